#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Mirror
import NIOCore
import Trace

/// Why the secondary's log file could not be written or read.
public enum MirrorLogFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be created or opened.
    case cannotOpen(path: String, reason: String)
    /// Writing to the file (or syncing it) failed.
    case writeFailed(path: String, reason: String)
    /// The file is damaged at `offset` (not a cut-off tail, which reading cuts).
    case damaged(path: String, offset: Int, reason: String)

    /// A sentence naming the file and, for damage, the offset.
    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): "\(path): cannot open the mirror log: \(reason)"
        case let .writeFailed(path, reason): "\(path): cannot write the mirror log: \(reason)"
        case let .damaged(path, offset, reason): "\(path): mirror log damaged at byte offset \(offset): \(reason)"
        }
    }
}

/// The secondary's copy of the log on disk, in the format of `MirrorLogFormat` (a versioned
/// header, then one checksummed frame per applied record, and a takeover frame when it took over).
///
/// Appends go to an in-memory batch; `takeBatch()` hands the batch to whoever writes it, and
/// `write(_:to:)` writes a batch and fsyncs it, so that a node can run the write and the fsync on
/// another thread and group the records of every path into one fsync (group commit).
/// `flush()` does both on the calling thread. The node acknowledges a record only once the batch
/// holding it was fsynced: what was acknowledged survives a crash and a power loss.
///
/// Not thread-safe: `append`, `takeBatch`, `flush` and `close` belong to one owner (a node's
/// event loop). `write(_:to:)` is static and may run on any thread, one batch at a time, in
/// the order the batches were taken.
public final class MirrorLogFile: @unchecked Sendable {
    /// The file's path.
    package let path: String
    /// The open file (written by `write(_:to:)`).
    package let descriptor: Int32
    private var batch = ByteBufferAllocator().buffer(capacity: 64 << 10)
    private var closed = false

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Creates (or truncates) the file and writes its header, fsynced with its directory.
    package convenience init(path: String) throws(MirrorLogFileError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        self.init(path: path, descriptor: fd)
        MirrorLogFormat.writeHeader(into: &batch)
        try flush()
        Self.syncDirectory(of: path)
    }

    /// Opens an existing file to append to it: reads it (throwing for damage), cuts a torn tail
    /// off the file (fsynced), and returns the file positioned after its last whole frame, with
    /// what it holds (`tornBytes` tells how much was cut). A file shorter than its header is
    /// started afresh.
    package static func reopen(path: String) throws(MirrorLogFileError) -> (file: MirrorLogFile, contents: MirrorLogFormat.Contents) {
        let contents = try contents(path: path)
        guard contents.validLength > 0 else { return (try MirrorLogFile(path: path), contents) }
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        let file = MirrorLogFile(path: path, descriptor: fd)
        if contents.tornBytes > 0 {
            guard ftruncate(fd, off_t(contents.validLength)) == 0, fsync(fd) == 0 else {
                throw .writeFailed(path: path, reason: "cutting the torn tail: " + String(cString: strerror(errno)))
            }
        }
        guard lseek(fd, off_t(contents.validLength), SEEK_SET) >= 0 else {
            throw .writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        return (file, contents)
    }

    deinit { if !closed { posixClose(descriptor) } }

    /// Adds one record to the batch.
    package func append(_ record: MirrorRecord) {
        MirrorLogFormat.appendRecord(record, into: &batch)
    }

    /// Adds the takeover at `epoch` to the batch: from it on, the file is what the secondary serves.
    package func appendTakeover(epoch: Int) {
        MirrorLogFormat.appendTakeover(epoch: epoch, into: &batch)
    }

    /// Whether records were appended since the batch was last taken.
    package var hasBatch: Bool { batch.readableBytes > 0 }

    /// Takes the batch appended so far (to pass to `write(_:to:)`), leaving an empty one.
    package func takeBatch() -> ByteBuffer? {
        guard batch.readableBytes > 0 else { return nil }
        let taken = batch
        batch = ByteBufferAllocator().buffer(capacity: max(64 << 10, taken.readableBytes))
        return taken
    }

    /// Writes `batch` at the file's position and fsyncs the file: on return, every frame in it
    /// survives a power loss.
    package static func write(_ batch: ByteBuffer, to descriptor: Int32, path: String) throws(MirrorLogFileError) {
        let failure: String? = batch.withUnsafeReadableBytes { bytes in
            var done = 0
            while done < bytes.count {
                let n = posixWrite(descriptor, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                done += n
            }
            return fsync(descriptor) == 0 ? nil : "fsync: " + String(cString: strerror(errno))
        }
        if let failure { throw .writeFailed(path: path, reason: failure) }
    }

    /// Writes and fsyncs the batch on this thread (nothing to do when it is empty).
    package func flush() throws(MirrorLogFileError) {
        guard !closed, let taken = takeBatch() else { return }
        try Self.write(taken, to: descriptor, path: path)
    }

    /// Flushes and closes the file; closing twice is harmless.
    package func close() throws(MirrorLogFileError) {
        guard !closed else { return }
        defer {
            closed = true
            posixClose(descriptor)
        }
        try flush()
    }

    /// The records of a log file, in apply order (a torn tail ignored, damage thrown).
    public static func read(path: String) throws(MirrorLogFileError) -> [MirrorRecord] {
        try contents(path: path).records
    }

    /// Everything a log file holds (see `MirrorLogFormat.read`); the file is not changed.
    public static func contents(path: String) throws(MirrorLogFileError) -> MirrorLogFormat.Contents {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .cannotOpen(path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot read it" : "no such file")
        }
        let result: Result<MirrorLogFormat.Contents, MirrorLogFileError> = data.withUnsafeBytes { bytes in
            do throws(MirrorLogFileError) {
                return .success(try MirrorLogFormat.read(bytes, path: path))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Fsyncs the directory holding `path`, so that a newly created file's name survives a
    /// power loss too (best effort).
    private static func syncDirectory(of path: String) {
        // Not `NSString.deletingLastPathComponent`, which traps on some one-letter names.
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        posixClose(fd)
    }
}

/// `close(2)`, by a name that the log file's own `close()` does not hide.
private func posixClose(_ fd: Int32) {
    _ = close(fd)
}

/// `write(2)`, by a name that no method hides.
private func posixWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
