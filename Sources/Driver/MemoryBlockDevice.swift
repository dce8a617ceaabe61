/// A block device in memory: the medium under a simulated disk, and a model in tests.
///
/// Every write is durable at once, so `flush` does nothing; put a `VolatileCacheDevice` over
/// it to model a disk cache a power cut can undo. Out-of-range or misaligned calls throw
/// `BlockDeviceError`.
///
/// The content is kept in pages of 32 KiB, each an array of its own: a `copy()` shares every
/// page until one of the two devices writes it (copy-on-write per page), and pages never
/// written share one zeroed buffer. So a copy of a large device (an explorer branching over a
/// device sized from a captured trace) costs one reference per page, not its bytes.
///
/// Not thread-safe: call it from one thread at a time.
package final class MemoryBlockDevice: BlockDevice, CustomStringConvertible {
    /// The name errors give for the device.
    package let name: String
    /// Bytes per block.
    package let blockSize: Int
    /// How many blocks the device holds.
    package let blockCount: Int
    /// Blocks per page (the last page may hold fewer).
    private let pageBlocks: Int
    // One caller at a time (above), so the hot fields skip Swift's run-time exclusivity check.
    /// The content, page by page.
    @exclusivity(unchecked) private var pages: [[UInt8]]

    /// The whole content, `blockSize * blockCount` bytes, for tests and model comparisons (it
    /// copies every byte: hot paths read `bytes(in:)`); setting it to another length traps.
    package var bytes: [UInt8] {
        get {
            var all: [UInt8] = []
            all.reserveCapacity(byteCount)
            for page in pages { all += page }
            return all
        }
        set {
            precondition(newValue.count == byteCount, "\(name): content must stay \(byteCount) bytes")
            replaceBytes(at: 0, with: newValue[...])
        }
    }

    /// A zeroed device of `blockCount` blocks of `blockSize` bytes (a positive multiple of
    /// `sectorSize`).
    package init(blockSize: Int = 4096, blockCount: Int, name: String = "memory") {
        precondition(blockSize > 0 && blockSize % sectorSize == 0, "block size must be a positive multiple of \(sectorSize)")
        precondition(blockCount >= 0, "block count must not be negative")
        self.name = name
        self.blockSize = blockSize
        self.blockCount = blockCount
        pageBlocks = max(1, 32 * 1024 / blockSize)
        let zeroed = [UInt8](repeating: 0, count: pageBlocks * blockSize)
        pages = Array(repeating: zeroed, count: blockCount / pageBlocks)
        if blockCount % pageBlocks > 0 { pages.append([UInt8](repeating: 0, count: blockCount % pageBlocks * blockSize)) }
    }

    /// A device with `other`'s name, geometry and pages (shared until written).
    private init(sharing other: MemoryBlockDevice) {
        name = other.name
        blockSize = other.blockSize
        blockCount = other.blockCount
        pageBlocks = other.pageBlocks
        pages = other.pages
    }

    /// An independent device with the same name, geometry and bytes (sharing its pages until
    /// either writes them).
    package func copy() -> MemoryBlockDevice { MemoryBlockDevice(sharing: self) }

    /// The device's name.
    package var description: String { name }

    /// The bytes at device offsets `range` (which must lie on the device).
    package func bytes(in range: Range<Int>) -> [UInt8] {
        precondition(range.lowerBound >= 0 && range.upperBound <= byteCount, "\(name): \(range) is outside the device")
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        let pageBytes = pageBlocks * blockSize
        var at = range.lowerBound
        while at < range.upperBound {
            let (page, within) = at.quotientAndRemainder(dividingBy: pageBytes)
            let count = min(range.upperBound - at, pages[page].count - within)
            out += pages[page][within ..< within + count]
            at += count
        }
        return out
    }

    /// Lays `bytes` over the device from offset `offset` (they must fit on it).
    package func replaceBytes(at offset: Int, with bytes: ArraySlice<UInt8>) {
        precondition(offset >= 0 && offset + bytes.count <= byteCount, "\(name): \(bytes.count) bytes at \(offset) do not fit")
        let pageBytes = pageBlocks * blockSize
        var at = offset
        var from = bytes.startIndex
        while from < bytes.endIndex {
            let (page, within) = at.quotientAndRemainder(dividingBy: pageBytes)
            let count = min(bytes.endIndex - from, pages[page].count - within)
            pages[page].replaceSubrange(within ..< within + count, with: bytes[from ..< from + count])
            at += count
            from += count
        }
    }

    /// Calls `body` with the bytes at device offsets `range` (which must lie on the device), in
    /// place, a page's part at a time in order (its offset from `range`'s start, its bytes, and
    /// whether its page is the very page `reference` holds there: unchanged since one of the
    /// two was copied from the other), until it returns false; whether it never did. For
    /// comparing without a copy.
    package func allParts(in range: Range<Int>, comparedTo reference: MemoryBlockDevice? = nil,
                          _ body: (Int, UnsafeRawBufferPointer, Bool) -> Bool) -> Bool {
        precondition(range.lowerBound >= 0 && range.upperBound <= byteCount, "\(name): \(range) is outside the device")
        let pageBytes = pageBlocks * blockSize
        var at = range.lowerBound
        while at < range.upperBound {
            let (page, within) = at.quotientAndRemainder(dividingBy: pageBytes)
            let count = min(range.upperBound - at, pages[page].count - within)
            let goOn = pages[page].withUnsafeBytes { all in
                let same = reference.map { $0.pageBytes == pageBytes && $0.pages.count == pages.count && Self.same(all, $0.pages[page]) } ?? false
                return body(at - range.lowerBound, UnsafeRawBufferPointer(rebasing: all[within ..< within + count]), same)
            }
            if !goOn { return false }
            at += count
        }
        return true
    }

    /// Bytes per page.
    private var pageBytes: Int { pageBlocks * blockSize }

    /// Whether `page` is the storage of `other` (the same buffer, not equal bytes).
    private static func same(_ page: UnsafeRawBufferPointer, _ other: [UInt8]) -> Bool {
        other.withUnsafeBytes { $0.baseAddress == page.baseAddress && $0.count == page.count }
    }

    /// Calls `body` with the bytes of block `block`, in place (for hashing without a copy).
    package func withUnsafeBytes<R>(ofBlock block: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let (page, within) = block.quotientAndRemainder(dividingBy: pageBlocks)
        return pages[page].withUnsafeBytes { all in
            body(UnsafeRawBufferPointer(rebasing: all[within * blockSize ..< (within + 1) * blockSize]))
        }
    }

    /// Reads `count` whole blocks starting at `block`.
    package func read(block: Int, count: Int) throws(BlockDeviceError) -> [UInt8] {
        try checkBlocks("read", block: block, count: count)
        return bytes(in: block * blockSize ..< (block + count) * blockSize)
    }

    /// Writes whole blocks starting at `block`; durable at once, with or without `fua`.
    package func write(block: Int, _ bytes: [UInt8], fua: Bool) throws(BlockDeviceError) {
        _ = try checkWrite(block: block, byteCount: bytes.count)
        replaceBytes(at: block * blockSize, with: bytes[...])
    }

    /// Does nothing: every write is durable when it returns.
    package func flush() throws(BlockDeviceError) {}
}
