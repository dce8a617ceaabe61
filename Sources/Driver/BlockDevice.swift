/// A device of fixed-size blocks: what the driver persists to.
///
/// Reads and writes take whole blocks. A completed `write` is not yet durable: it may sit in a
/// volatile cache until `flush` returns (or, written with `fua`, it is durable when `write`
/// returns). Two implementations: `FileBlockDevice` (a real file, in `DriverLive`) and
/// `VolatileCacheDevice` (the cache a power cut can undo, over any other device).
///
/// Implementations are reference types and say in their doc comment whether they are
/// thread-safe; the driver's runtimes call one device from one thread at a time.
public protocol BlockDevice: AnyObject {
    /// Bytes per block (4096 by default; a multiple of the 512-byte sector).
    var blockSize: Int { get }
    /// How many blocks the device holds.
    var blockCount: Int { get }
    /// Reads `count` whole blocks starting at `block`.
    func read(block: Int, count: Int) throws(BlockDeviceError) -> [UInt8]
    /// Writes whole blocks (`bytes.count` a multiple of `blockSize`) starting at `block`;
    /// with `fua`, the write is durable when this returns.
    func write(block: Int, _ bytes: [UInt8], fua: Bool) throws(BlockDeviceError)
    /// Makes every write that completed before this call durable.
    func flush() throws(BlockDeviceError)
}

/// The size of a sector: the unit a write can tear at.
package let sectorSize = 512

/// A device operation that failed, with where and why.
public struct BlockDeviceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was being done: `read`, `write`, `flush`, `open`, ...
    public var operation: String
    /// The device (a file path, or a name for simulated ones).
    public var device: String
    /// What went wrong, for people.
    public var message: String

    /// Makes an error.
    public init(operation: String, device: String, message: String) {
        self.operation = operation
        self.device = device
        self.message = message
    }

    /// `device: operation failed: message`.
    public var description: String { "\(device): \(operation) failed: \(message)" }
}

/// Bytes at an absolute byte offset of a device: one piece of a byte-addressed write.
public struct ByteExtent: Sendable, Equatable {
    /// The device byte offset of the first byte.
    public var offset: Int
    /// The bytes.
    public var bytes: [UInt8]

    /// Makes an extent.
    package init(offset: Int, bytes: [UInt8]) {
        self.offset = offset
        self.bytes = bytes
    }
}

/// A byte range of a device: one piece of what a caller's read returns.
public struct DeviceRange: Sendable, Equatable {
    /// The device byte offset of the first byte.
    public var offset: Int
    /// How many bytes.
    public var count: Int

    /// Makes a range.
    package init(offset: Int, count: Int) {
        self.offset = offset
        self.count = count
    }
}
