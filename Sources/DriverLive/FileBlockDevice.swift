import CWriteBack
import Driver
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A block device over a real file: `pread`/`pwrite` at block offsets, `fdatasync` to flush.
///
/// A write with `fua` is `pwrite` then `fdatasync`. Reads past the end of the file or short
/// reads are errors, as are calls after `close()`. Every error names the file's path.
///
/// Safe to call from several threads for disjoint blocks (`pread`/`pwrite` keep no file
/// offset), but the driver calls it from one thread; `close()` must not race other calls.
public final class FileBlockDevice: BlockDevice, CustomStringConvertible {
    /// The file's path, as given.
    public let path: String
    /// Bytes per block.
    public let blockSize: Int
    /// How many blocks the file holds: its size over `blockSize`.
    public let blockCount: Int
    /// The open file; nil once closed.
    private var fd: FileDescriptor?

    private init(path: String, fd: FileDescriptor, blockSize: Int, blockCount: Int) {
        self.path = path
        self.fd = fd
        self.blockSize = blockSize
        self.blockCount = blockCount
    }

    deinit {
        close()
    }

    /// Opens an existing file whose size is a non-zero multiple of `blockSize`.
    public static func open(path: String, blockSize: Int = 4096) throws(BlockDeviceError) -> FileBlockDevice {
        try checkBlockSize(blockSize, path: path, operation: "open")
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .readWrite)
        } catch {
            throw failure("open", path, error)
        }
        let size: Int64
        do {
            size = try fd.seek(offset: 0, from: .end)
        } catch {
            try? fd.close()
            throw failure("open", path, error)
        }
        guard size > 0, size % Int64(blockSize) == 0 else {
            try? fd.close()
            throw BlockDeviceError(
                operation: "open", device: path,
                message: "the file is \(size) bytes, not a non-zero multiple of the \(blockSize)-byte block")
        }
        return FileBlockDevice(path: path, fd: fd, blockSize: blockSize, blockCount: Int(size) / blockSize)
    }

    /// Creates a new file of `bytes` zero bytes (a non-zero multiple of `blockSize`); refuses a
    /// path that exists. The new size is synced before this returns.
    public static func create(path: String, bytes: Int, blockSize: Int = 4096) throws(BlockDeviceError) -> FileBlockDevice {
        try checkBlockSize(blockSize, path: path, operation: "create")
        guard bytes > 0, bytes % blockSize == 0 else {
            throw BlockDeviceError(
                operation: "create", device: path,
                message: "\(bytes) bytes is not a non-zero multiple of the \(blockSize)-byte block")
        }
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(
                FilePath(path), .readWrite, options: [.create, .exclusiveCreate],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw failure("create", path, error)
        }
        do {
            try fd.resize(to: Int64(bytes))
            guard fsync(fd.rawValue) == 0 else { throw Errno(rawValue: errno) }
        } catch {
            try? fd.close()
            unlink(path)
            throw failure("create", path, error)
        }
        return FileBlockDevice(path: path, fd: fd, blockSize: blockSize, blockCount: bytes / blockSize)
    }

    /// The file's path.
    public var description: String { path }

    /// Closes the file; later calls throw. Closing twice does nothing.
    public func close() {
        try? fd?.close()
        fd = nil
    }

    /// Reads `count` whole blocks from `block` with `pread`, until all are read.
    public func read(block: Int, count: Int) throws(BlockDeviceError) -> [UInt8] {
        try checkBlocks("read", block: block, count: count)
        let fd = try open("read")
        var result = [UInt8](repeating: 0, count: count * blockSize)
        let start = Int64(block) * Int64(blockSize)
        var done = 0
        var failure: BlockDeviceError?
        result.withUnsafeMutableBytes { buffer in
            while done < buffer.count {
                do {
                    let got = try fd.read(
                        fromAbsoluteOffset: start + Int64(done),
                        into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
                    guard got > 0 else {
                        failure = BlockDeviceError(
                            operation: "read", device: path,
                            message: "end of file at byte \(start + Int64(done)) (file shorter than \(blockCount) blocks)")
                        return
                    }
                    done += got
                } catch {
                    failure = Self.failure("read", path, error)
                    return
                }
            }
        }
        if let failure { throw failure }
        return result
    }

    /// Writes whole blocks from `block` with `pwrite`; with `fua`, then `fdatasync`.
    public func write(block: Int, _ bytes: [UInt8], fua: Bool) throws(BlockDeviceError) {
        _ = try checkWrite(block: block, byteCount: bytes.count)
        let fd = try open("write")
        do {
            try fd.writeAll(toAbsoluteOffset: Int64(block) * Int64(blockSize), bytes)
        } catch {
            throw Self.failure("write", path, error)
        }
        if fua {
            try sync("write")
        } else if bytes.count >= Self.writeBehindBytes {
            startWriteBack(fd, offset: block * blockSize, count: bytes.count)
        }
    }

    /// Writes at least this large start their write-back at once, so that the disk works while
    /// the next writes are copied in and the flush that follows finds little left to do.
    static let writeBehindBytes = 128 << 10

    /// Starts writing the range to the disk without waiting (`sync_file_range` with
    /// `SYNC_FILE_RANGE_WRITE` on Linux, nothing elsewhere). Not a flush: only a hint that
    /// moves work earlier, so its failure is ignored.
    private func startWriteBack(_ fd: FileDescriptor, offset: Int, count: Int) {
        _ = plumb_start_write_back(fd.rawValue, Int64(offset), Int64(count))
    }

    /// `fdatasync`: makes every completed write durable.
    public func flush() throws(BlockDeviceError) {
        try sync("flush")
    }

    /// The open descriptor, or an error naming `operation` if closed.
    private func open(_ operation: String) throws(BlockDeviceError) -> FileDescriptor {
        guard let fd else {
            throw BlockDeviceError(operation: operation, device: path, message: "the file is closed")
        }
        return fd
    }

    /// `fdatasync` (`fsync` where there is none), its errno turned into an error.
    private func sync(_ operation: String) throws(BlockDeviceError) {
        let fd = try open(operation)
        #if canImport(Glibc)
        let status = fdatasync(fd.rawValue)
        #else
        let status = fsync(fd.rawValue)
        #endif
        guard status == 0 else {
            let reason = String(cString: strerror(errno))
            throw BlockDeviceError(operation: operation, device: path, message: "fdatasync: \(reason)")
        }
    }

    /// Throws unless `blockSize` is a positive multiple of the sector.
    private static func checkBlockSize(_ blockSize: Int, path: String, operation: String) throws(BlockDeviceError) {
        guard blockSize > 0, blockSize % sectorSize == 0 else {
            throw BlockDeviceError(
                operation: operation, device: path,
                message: "block size \(blockSize) is not a positive multiple of \(sectorSize)")
        }
    }

    /// A system call's error as a device error on `path`.
    private static func failure(_ operation: String, _ path: String, _ error: any Error) -> BlockDeviceError {
        let reason = (error as? Errno).map { "\($0.description) (errno \($0.rawValue))" } ?? "\(error)"
        return BlockDeviceError(operation: operation, device: path, message: reason)
    }
}
