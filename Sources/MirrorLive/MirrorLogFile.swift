import Foundation
import Mirror
import NIOCore
import Trace

/// Why the secondary's log file could not be written or read.
public enum MirrorLogFileError: Error, Sendable, Equatable {
    /// The file could not be created or opened.
    case cannotOpen(path: String)
    /// Writing to the file failed.
    case writeFailed(path: String, reason: String)
    /// A frame in the file is damaged (not a cut-off tail, which `read` tolerates).
    case damaged(path: String, offset: Int, reason: String)
}

/// The secondary's copy of the log on disk: every applied record appended as one checksummed
/// frame (`FrameCodec`), in apply order.
///
/// Appends are buffered and handed to the operating system by `flush()`; the secondary node
/// flushes its log before it flushes its paths, so every record it acknowledged has reached
/// the file before the ack leaves the node (crash-safe, not power-safe: there is no fsync).
///
/// Not thread-safe: owned by one node and used only on its event loop.
public final class MirrorLogFile {
    /// The file's path.
    public let path: String
    private let handle: FileHandle
    private var buffer = ByteBufferAllocator().buffer(capacity: 64 << 10)
    private var body = ByteBufferAllocator().buffer(capacity: 256)

    /// Creates (or truncates) the file.
    public init(path: String) throws(MirrorLogFileError) {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path)
        else { throw .cannotOpen(path: path) }
        self.handle = handle
    }

    deinit { try? handle.close() }

    /// Buffers one record.
    public func append(_ record: MirrorRecord) {
        body.clear()
        for value in [record.lsn, record.entry.stream, record.entry.sn] { body.writeInteger(Int64(value)) }
        body.writeInteger(record.key)
        body.writeInteger(UInt32(record.payload.count))
        body.writeBytes(record.payload)
        FrameCodec.encode(body, into: &buffer)
    }

    /// Hands every buffered record to the operating system.
    public func flush() throws(MirrorLogFileError) {
        guard buffer.readableBytes > 0 else { return }
        do {
            try handle.write(contentsOf: Data(buffer.readableBytesView))
        } catch {
            throw .writeFailed(path: path, reason: "\(error)")
        }
        buffer.clear()
    }

    /// Flushes and closes the file.
    public func close() throws(MirrorLogFileError) {
        try flush()
        try? handle.close()
    }

    /// Reads a log file back, in apply order. A cut-off last frame (a crash mid-write) is
    /// ignored; a damaged frame anywhere is an error.
    public static func read(path: String) throws(MirrorLogFileError) -> [MirrorRecord] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .cannotOpen(path: path) }
        var buffer = ByteBufferAllocator().buffer(capacity: data.count)
        buffer.writeBytes(data)
        var records: [MirrorRecord] = []
        while true {
            let offset = buffer.readerIndex
            let frame: ByteBuffer?
            do {
                frame = try FrameCodec.decode(&buffer)
            } catch {
                throw .damaged(path: path, offset: offset, reason: "\(error)")
            }
            guard var frame else { return records }
            guard let lsn = frame.readInteger(as: Int64.self), let stream = frame.readInteger(as: Int64.self),
                  let sn = frame.readInteger(as: Int64.self), let key = frame.readInteger(as: UInt64.self),
                  let count = frame.readInteger(as: UInt32.self), let payload = frame.readBytes(length: Int(count)),
                  frame.readableBytes == 0
            else { throw .damaged(path: path, offset: offset, reason: "malformed record") }
            records.append(MirrorRecord(
                lsn: Int(lsn), key: key, entry: StreamEntry(stream: Int(stream), sn: Int(sn)), payload: payload))
        }
    }
}
