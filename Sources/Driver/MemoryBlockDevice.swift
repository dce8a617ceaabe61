/// A block device in memory: the medium under a simulated disk, and a model in tests.
///
/// Every write is durable at once, so `flush` does nothing; put a `VolatileCacheDevice` over
/// it to model a disk cache a power cut can undo. Out-of-range or misaligned calls throw
/// `BlockDeviceError`.
///
/// Not thread-safe: call it from one thread at a time.
package final class MemoryBlockDevice: BlockDevice, CustomStringConvertible {
    /// The name errors give for the device.
    package let name: String
    /// Bytes per block.
    package let blockSize: Int
    /// How many blocks the device holds.
    package let blockCount: Int
    /// The whole content, `blockSize * blockCount` bytes, for tests and model comparisons;
    /// setting it to another length traps.
    package var bytes: [UInt8] {
        didSet {
            precondition(bytes.count == blockSize * blockCount, "\(name): content must stay \(blockSize * blockCount) bytes")
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
        self.bytes = [UInt8](repeating: 0, count: blockSize * blockCount)
    }

    /// The device's name.
    package var description: String { name }

    /// Reads `count` whole blocks starting at `block`.
    package func read(block: Int, count: Int) throws(BlockDeviceError) -> [UInt8] {
        try checkBlocks("read", block: block, count: count)
        return Array(bytes[block * blockSize..<(block + count) * blockSize])
    }

    /// Writes whole blocks starting at `block`; durable at once, with or without `fua`.
    package func write(block: Int, _ bytes: [UInt8], fua: Bool) throws(BlockDeviceError) {
        _ = try checkWrite(block: block, byteCount: bytes.count)
        let start = block * blockSize
        self.bytes.replaceSubrange(start..<start + bytes.count, with: bytes)
    }

    /// Does nothing: every write is durable when it returns.
    package func flush() throws(BlockDeviceError) {}
}
