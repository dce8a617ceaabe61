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
    private var pages: [[UInt8]]
    /// Per piece, `pieceDigest(_:)`: its index and bytes hashed.
    private var pieceDigests: [UInt64]
    /// How many bytes there are.
    package let count: Int
    /// A stable hash of the content: the wrapping sum of the piece digests (equal contents,
    /// equal digests, in any process).
    package private(set) var digest: UInt64 = 0

    /// The bytes `bytes`, paged.
    package init(_ bytes: [UInt8]) {
        count = bytes.count
        let pages = stride(from: 0, to: bytes.count, by: Self.pageSize).map { start in
            Array(bytes[start ..< min(bytes.count, start + Self.pageSize)])
        }
        self.pages = pages
        pieceDigests = []
        pieceDigests.reserveCapacity((count + Self.pieceSize - 1) / Self.pieceSize)
        for piece in 0 ..< (count + Self.pieceSize - 1) / Self.pieceSize {
            let term = pieceDigest(piece)
            pieceDigests.append(term)
            digest &+= term
        }
    }

    /// The whole content in one array (it copies every byte: for tests and messages).
    package var bytes: [UInt8] {
        var all: [UInt8] = []
        all.reserveCapacity(count)
        for page in pages { all += page }
        return all
    }

    /// The bytes at offsets `range`, which must lie within the content.
    package func bytes(in range: Range<Int>) -> [UInt8] {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "\(range) is outside \(count) bytes")
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var at = range.lowerBound
        while at < range.upperBound {
            let (page, within) = at.quotientAndRemainder(dividingBy: Self.pageSize)
            let take = min(range.upperBound - at, pages[page].count - within)
            out += pages[page][within ..< within + take]
            at += take
        }
        return out
    }

    /// Calls `body` with the bytes at offsets `range` (which must lie within the content), in
    /// place, a page's part at a time in order (its offset from `range`'s start, its bytes, and
    /// whether its page is the very page `reference` holds there: unchanged since one of the
    /// two was copied from the other), until it returns false; whether it never did. For
    /// comparing without a copy.
    package func allParts(in range: Range<Int>, comparedTo reference: PagedBytes? = nil,
                          _ body: (Int, UnsafeRawBufferPointer, Bool) -> Bool) -> Bool {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "\(range) is outside \(count) bytes")
        var at = range.lowerBound
        while at < range.upperBound {
            let (page, within) = at.quotientAndRemainder(dividingBy: Self.pageSize)
            let take = min(range.upperBound - at, pages[page].count - within)
            let goOn = pages[page].withUnsafeBytes { all in
                let same = reference.map { other in
                    other.count == count && other.pages[page].withUnsafeBytes { $0.baseAddress == all.baseAddress }
                } ?? false
                return body(at - range.lowerBound, UnsafeRawBufferPointer(rebasing: all[within ..< within + take]), same)
            }
            if !goOn { return false }
            at += take
        }
        return true
    }

    /// Lays `bytes` over the content from offset `offset` (they must fit), and updates the
    /// digest of each piece they touch.
    package mutating func replace(at offset: Int, with bytes: [UInt8]) {
        precondition(offset >= 0 && offset + bytes.count <= count,
                     "\(bytes.count) bytes at \(offset) do not fit in \(count)")
        guard !bytes.isEmpty else { return }
        var at = offset
        var from = 0
        while from < bytes.count {
            let (page, within) = at.quotientAndRemainder(dividingBy: Self.pageSize)
            let take = min(bytes.count - from, pages[page].count - within)
            pages[page].replaceSubrange(within ..< within + take, with: bytes[from ..< from + take])
            at += take
            from += take
        }
        for piece in offset / Self.pieceSize ... (offset + bytes.count - 1) / Self.pieceSize {
            let term = pieceDigest(piece)
            digest = digest &- pieceDigests[piece] &+ term
            pieceDigests[piece] = term
        }
    }

    /// The digest term of piece `index`: its index and bytes hashed.
    private func pieceDigest(_ index: Int) -> UInt64 {
        let start = index * Self.pieceSize
        let (page, within) = start.quotientAndRemainder(dividingBy: Self.pageSize)
        var hash = StableHasher()
        hash.combine(index)
        pages[page].withUnsafeBytes { all in
            let end = min(all.count, within + Self.pieceSize)
            hash.combine(contiguous: UnsafeRawBufferPointer(rebasing: all[within ..< end]))
        }
        return hash.value
    }
}
