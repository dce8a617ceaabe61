import Trace

/// Bytes kept in pages of 32 KiB, each an array of its own, with a digest of the whole kept
/// in pieces of 4 KiB: a copy shares every page until one of the two writes it, and a write
/// costs the pages it touches and the pieces it hashes again, not the whole. For the contents
/// model's base, the data area as the explorer knows it, which every explored state carries
/// and each recovery writes into: a device sized from a captured trace holds hundreds of MiB.
///
/// A value type; `Sendable`.
package struct PagedBytes: Sendable {
    /// Bytes per page (the last page may hold fewer).
    static let pageSize = 32 * 1024
    /// Bytes per piece of the digest (a page holds a whole number of them).
    static let pieceSize = 4 * 1024

    /// The content, page by page.
    private var pages: Pages
    /// Per piece, `pieceDigest(_:)`: its index and bytes hashed.
    private var pieceDigests: [UInt64]
    /// How many bytes there are.
    package var count: Int { pages.count }
    /// A stable hash of the content: the wrapping sum of the piece digests (equal contents,
    /// equal digests, in any process).
    package private(set) var digest: UInt64 = 0

    /// The bytes `bytes`, paged.
    package init(_ bytes: [UInt8]) {
        pages = Pages(bytes, pageSize: Self.pageSize)
        pieceDigests = []
        pieceDigests.reserveCapacity((bytes.count + Self.pieceSize - 1) / Self.pieceSize)
        for piece in 0 ..< (bytes.count + Self.pieceSize - 1) / Self.pieceSize {
            let term = pieceDigest(piece)
            pieceDigests.append(term)
            digest &+= term
        }
    }

    /// The whole content in one array (it copies every byte: for tests and messages).
    package var bytes: [UInt8] { pages.bytes }

    /// The bytes at offsets `range`, which must lie within the content.
    package func bytes(in range: Range<Int>) -> [UInt8] {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "\(range) is outside \(count) bytes")
        return pages.bytes(in: range)
    }

    /// Calls `body` with the bytes at offsets `range` (which must lie within the content), in
    /// place, a page's part at a time in order (its offset from `range`'s start, its bytes, and
    /// whether its page is the very page `reference` holds there: unchanged since one of the
    /// two was copied from the other), until it returns false; whether it never did. For
    /// comparing without a copy.
    package func allParts(in range: Range<Int>, comparedTo reference: PagedBytes? = nil,
                          _ body: (Int, UnsafeRawBufferPointer, Bool) -> Bool) -> Bool {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "\(range) is outside \(count) bytes")
        return pages.allParts(in: range, comparedTo: reference?.pages, body)
    }

    /// Lays `bytes` over the content from offset `offset` (they must fit), and updates the
    /// digest of each piece they touch.
    package mutating func replace(at offset: Int, with bytes: [UInt8]) {
        precondition(offset >= 0 && offset + bytes.count <= count,
                     "\(bytes.count) bytes at \(offset) do not fit in \(count)")
        guard !bytes.isEmpty else { return }
        pages.replace(at: offset, with: bytes[...])
        for piece in offset / Self.pieceSize ... (offset + bytes.count - 1) / Self.pieceSize {
            let term = pieceDigest(piece)
            digest = digest &- pieceDigests[piece] &+ term
            pieceDigests[piece] = term
        }
    }

    /// The digest term of piece `index`: its index and bytes hashed.
    private func pieceDigest(_ index: Int) -> UInt64 {
        var hash = StableHasher()
        hash.combine(index)
        pages.withUnsafeBytes(at: index * Self.pieceSize, length: Self.pieceSize) { hash.combine(contiguous: $0) }
        return hash.value
    }
}
