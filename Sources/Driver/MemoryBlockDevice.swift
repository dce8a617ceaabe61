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
    // One caller at a time (above), so the hot fields skip Swift's run-time exclusivity check.
    /// The content, page by page.
    @exclusivity(unchecked) private var pages: Pages

    /// The whole content, `blockSize * blockCount` bytes, for tests and model comparisons (it
    /// copies every byte: hot paths read `bytes(in:)`); setting it to another length traps.
    package var bytes: [UInt8] {
        get { pages.bytes }
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
        pages = Pages(zeroes: blockCount * blockSize, pageSize: max(1, 32 * 1024 / blockSize) * blockSize)
    }

    /// A device with `other`'s name, geometry and pages (shared until written).
    private init(sharing other: MemoryBlockDevice) {
        name = other.name
        blockSize = other.blockSize
        blockCount = other.blockCount
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
        return pages.bytes(in: range)
    }

    /// Lays `bytes` over the device from offset `offset` (they must fit on it).
    package func replaceBytes(at offset: Int, with bytes: ArraySlice<UInt8>) {
        precondition(offset >= 0 && offset + bytes.count <= byteCount, "\(name): \(bytes.count) bytes at \(offset) do not fit")
        pages.replace(at: offset, with: bytes)
    }

    /// Calls `body` with the bytes at device offsets `range` (which must lie on the device), in
    /// place, a page's part at a time in order (its offset from `range`'s start, its bytes, and
    /// whether its page is the very page `reference` holds there: unchanged since one of the
    /// two was copied from the other), until it returns false; whether it never did. For
    /// comparing without a copy.
    package func allParts(in range: Range<Int>, comparedTo reference: MemoryBlockDevice? = nil,
                          _ body: (Int, UnsafeRawBufferPointer, Bool) -> Bool) -> Bool {
        precondition(range.lowerBound >= 0 && range.upperBound <= byteCount, "\(name): \(range) is outside the device")
        return pages.allParts(in: range, comparedTo: reference?.pages, body)
    }

    /// Calls `body` with the bytes of block `block`, in place (for hashing without a copy).
    package func withUnsafeBytes<R>(ofBlock block: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        pages.withUnsafeBytes(at: block * blockSize, length: blockSize, body)
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
