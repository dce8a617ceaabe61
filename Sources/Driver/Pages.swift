/// Bytes in pages of a fixed size, each an array of its own: a copy shares every page until
/// one of the two writes it, so copying a large content costs a reference per page, not its
/// bytes. What `MemoryBlockDevice` and `PagedBytes` keep their content in.
///
/// A value type; `Sendable`.
package struct Pages: Sendable {
    /// Bytes per page (the last page may hold fewer).
    package let pageSize: Int
    /// How many bytes there are.
    package let count: Int
    /// The content, page by page.
    private var pages: [[UInt8]]
    /// log2 of `pageSize` when it is a power of two (the usual case: a shift finds a page),
    /// else -1.
    private let shift: Int

    /// The page holding offset `offset`, and the offset within it.
    @inline(__always) private func locate(_ offset: Int) -> (page: Int, within: Int) {
        shift >= 0 ? (offset &>> shift, offset & (pageSize &- 1)) : offset.quotientAndRemainder(dividingBy: pageSize)
    }

    /// `count` zero bytes, every whole page sharing one zeroed buffer until written.
    package init(zeroes count: Int, pageSize: Int) {
        precondition(pageSize > 0 && count >= 0, "pages of \(pageSize) bytes cannot hold \(count)")
        self.pageSize = pageSize
        self.count = count
        shift = pageSize.nonzeroBitCount == 1 ? pageSize.trailingZeroBitCount : -1
        pages = Array(repeating: [UInt8](repeating: 0, count: pageSize), count: count / pageSize)
        if count % pageSize > 0 { pages.append([UInt8](repeating: 0, count: count % pageSize)) }
    }

    /// The bytes `bytes`, paged.
    package init(_ bytes: [UInt8], pageSize: Int) {
        precondition(pageSize > 0, "pages must hold bytes")
        self.pageSize = pageSize
        count = bytes.count
        shift = pageSize.nonzeroBitCount == 1 ? pageSize.trailingZeroBitCount : -1
        pages = stride(from: 0, to: bytes.count, by: pageSize).map { start in
            Array(bytes[start ..< min(bytes.count, start + pageSize)])
        }
    }

    /// The whole content in one array (it copies every byte: for tests and messages).
    package var bytes: [UInt8] {
        var all: [UInt8] = []
        all.reserveCapacity(count)
        for page in pages { all += page }
        return all
    }

    /// The bytes at offsets `range`, which the caller checked lie within the content.
    package func bytes(in range: Range<Int>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var at = range.lowerBound
        while at < range.upperBound {
            let (page, within) = locate(at)
            let take = min(range.upperBound - at, pages[page].count - within)
            out += pages[page][within ..< within + take]
            at += take
        }
        return out
    }

    /// Calls `body` with the bytes at offsets `range` (which the caller checked lie within the
    /// content), in place, a page's part at a time in order (its offset from `range`'s start,
    /// its bytes, and whether its page is the very page `reference` holds there: unchanged
    /// since one of the two was copied from the other), until it returns false; whether it
    /// never did. For comparing without a copy.
    package func allParts(in range: Range<Int>, comparedTo reference: Pages? = nil,
                          _ body: (Int, UnsafeRawBufferPointer, Bool) -> Bool) -> Bool {
        let other = reference.flatMap { $0.pageSize == pageSize && $0.count == count ? $0.pages : nil }
        var at = range.lowerBound
        while at < range.upperBound {
            let (page, within) = locate(at)
            let take = min(range.upperBound - at, pages[page].count - within)
            let goOn = pages[page].withUnsafeBytes { all in
                let same = other?[page].withUnsafeBytes { $0.baseAddress == all.baseAddress } ?? false
                return body(at - range.lowerBound, UnsafeRawBufferPointer(rebasing: all[within ..< within + take]), same)
            }
            if !goOn { return false }
            at += take
        }
        return true
    }

    /// Calls `body` with the `length` bytes at offset `offset`, in place; they must lie in one
    /// page (for hashing without a copy).
    package func withUnsafeBytes<R>(at offset: Int, length: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let (page, within) = locate(offset)
        return pages[page].withUnsafeBytes { all in
            body(UnsafeRawBufferPointer(rebasing: all[within ..< min(all.count, within + length)]))
        }
    }

    /// Lays `bytes` over the content from offset `offset`; the caller checked they fit.
    package mutating func replace(at offset: Int, with bytes: ArraySlice<UInt8>) {
        var at = offset
        var from = bytes.startIndex
        while from < bytes.endIndex {
            let (page, within) = locate(at)
            let take = min(bytes.endIndex - from, pages[page].count - within)
            pages[page].replaceSubrange(within ..< within + take, with: bytes[from ..< from + take])
            at += take
            from += take
        }
    }
}
