import Checksum
import Mirror
import NIOCore
import Trace

/// The on-disk format of the secondary's log file (version 1), and its reader.
///
/// A file is a 16-byte header, then frames, appended in apply order:
///
/// - header: the magic `PLMBMLOG` (8 bytes), the version (`UInt32`, 1), and a CRC-32 of those
///   12 bytes (`UInt32`);
/// - frame: `[UInt32 body length][UInt32 CRC-32 of the body][UInt32 CRC-32 of the first 8
///   bytes][body]`; the header's own checksum means a damaged length is recognised as damage,
///   never read as a frame that runs past the end of the file;
/// - body: a type byte, then for a record (type 1) `lsn`, `stream`, `sn` (`Int64` each), `key`
///   (`UInt64`), the payload's length (`UInt32`) and the payload; for a takeover (type 2) the
///   new epoch (`Int64`): the secondary took over, and the records before it are what it serves.
///
/// Integers are big-endian. Reading tells a torn tail from damage: a frame cut off by the end of
/// the file, or a last frame whose bytes are wrong (a write the crash interrupted), or zeros to
/// the end, is a torn tail and is cut; a bad frame with anything after it is damage, refused
/// with its offset.
public enum MirrorLogFormat {
    /// The magic bytes that open the file.
    package static let magic: [UInt8] = Array("PLMBMLOG".utf8)
    /// The format version this code writes and reads.
    package static let version: UInt32 = 1
    /// Bytes of the file header.
    package static let headerSize = 16
    /// Bytes before each frame's body.
    package static let frameHeaderSize = 12
    /// The largest body accepted (a record of 16 MiB of payload and its fields).
    package static let maxBody = (16 << 20) + 64

    static let recordType: UInt8 = 1, takeoverType: UInt8 = 2

    /// What a log file holds.
    public struct Contents: Sendable, Equatable {
        /// The records, in apply order.
        public var records: [MirrorRecord]
        /// The epoch of the takeover written in the file, if the secondary took over.
        public var takeoverEpoch: Int?
        /// Bytes of whole, valid frames (header included): where the next frame goes.
        public var validLength: Int
        /// Bytes after `validLength`: a torn tail, cut when the file is reopened for writing.
        public var tornBytes: Int
    }

    /// Appends the file header to `out`.
    static func writeHeader(into out: inout ByteBuffer) {
        var head = magic
        withUnsafeBytes(of: version.bigEndian) { head += $0 }
        out.writeBytes(head)
        out.writeInteger(head.withUnsafeBytes { CRC32.checksum($0) })
    }

    /// Appends one record as a frame to `out`.
    static func appendRecord(_ record: MirrorRecord, into out: inout ByteBuffer) {
        appendFrame(into: &out) { body in
            body.writeInteger(recordType)
            body.writeInteger(Int64(record.lsn))
            body.writeInteger(Int64(record.entry.stream))
            body.writeInteger(Int64(record.entry.sn))
            body.writeInteger(record.key)
            body.writeInteger(UInt32(record.payload.count))
            body.writeBytes(record.payload)
        }
    }

    /// Appends a takeover frame to `out`.
    static func appendTakeover(epoch: Int, into out: inout ByteBuffer) {
        appendFrame(into: &out) { body in
            body.writeInteger(takeoverType)
            body.writeInteger(Int64(epoch))
        }
    }

    /// Writes a frame header with room for its checksums, the body, then fills in the sums.
    private static func appendFrame(into out: inout ByteBuffer, _ body: (inout ByteBuffer) -> Void) {
        let start = out.writerIndex
        out.writeInteger(UInt32(0))
        out.writeInteger(UInt32(0))
        out.writeInteger(UInt32(0))
        body(&out)
        let length = out.writerIndex - start - frameHeaderSize
        out.setInteger(UInt32(length), at: start)
        out.setInteger(checksum(out, at: start + frameHeaderSize, length: length), at: start + 4)
        out.setInteger(checksum(out, at: start, length: 8), at: start + 8)
    }

    /// The CRC-32 of `length` bytes of `buffer` at the absolute index `at`.
    private static func checksum(_ buffer: ByteBuffer, at: Int, length: Int) -> UInt32 {
        buffer.withUnsafeReadableBytes { bytes in
            let from = at - buffer.readerIndex
            return CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[from..<from + length]))
        }
    }

    /// Reads a whole file's bytes: its records, its takeover, and where a torn tail begins.
    ///
    /// Throws `MirrorLogFileError.damaged` (with the offset) for a bad header, an unknown version
    /// or a bad frame that is not the file's tail.
    package static func read(_ bytes: UnsafeRawBufferPointer, path: String) throws(MirrorLogFileError) -> Contents {
        guard bytes.count >= headerSize else {
            if bytes.allSatisfy({ $0 == 0 }) || Array(bytes) == Array(magic.prefix(bytes.count)) {
                // A file created and cut before its header was whole: nothing was ever acknowledged.
                return Contents(records: [], takeoverEpoch: nil, validLength: 0, tornBytes: bytes.count)
            }
            throw .damaged(path: path, offset: 0, reason: "not a mirror log file (shorter than its \(headerSize)-byte header)")
        }
        guard Array(bytes[0..<8]) == magic else {
            throw .damaged(path: path, offset: 0, reason: "not a mirror log file (no PLMBMLOG magic)")
        }
        guard CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<12])) == be32(bytes, 12) else {
            throw .damaged(path: path, offset: 0, reason: "file header checksum mismatch")
        }
        let fileVersion = be32(bytes, 8)
        guard fileVersion == version else {
            throw .damaged(path: path, offset: 8, reason: "version \(fileVersion), this plumb reads version \(version)")
        }
        var contents = Contents(records: [], takeoverEpoch: nil, validLength: headerSize, tornBytes: 0)
        var offset = headerSize
        while offset < bytes.count {
            let rest = bytes.count - offset
            func tornOrDamaged(_ reason: String, frameEnd: Int) throws(MirrorLogFileError) {
                let tail = UnsafeRawBufferPointer(rebasing: bytes[offset...])
                if frameEnd >= bytes.count || tail.allSatisfy({ $0 == 0 }) { return }
                throw .damaged(path: path, offset: offset, reason: reason)
            }
            guard rest >= frameHeaderSize else {
                try tornOrDamaged("cut-off frame header", frameEnd: bytes.count)
                break
            }
            let length = Int(be32(bytes, offset)), bodySum = be32(bytes, offset + 4)
            guard CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + 8])) == be32(bytes, offset + 8),
                  length <= maxBody
            else {
                try tornOrDamaged("frame header checksum mismatch", frameEnd: offset + 1)
                break
            }
            let end = offset + frameHeaderSize + length
            guard end <= bytes.count else { break }  // cut off by the end of the file: a torn tail
            let body = UnsafeRawBufferPointer(rebasing: bytes[(offset + frameHeaderSize)..<end])
            guard CRC32.checksum(body) == bodySum else {
                try tornOrDamaged("frame body checksum mismatch", frameEnd: end)
                break
            }
            try decodeBody(body, into: &contents, path: path, offset: offset)
            offset = end
            contents.validLength = end
        }
        contents.tornBytes = bytes.count - contents.validLength
        return contents
    }

    /// Decodes one checked frame body into `contents`.
    private static func decodeBody(
        _ body: UnsafeRawBufferPointer, into contents: inout Contents, path: String, offset: Int
    ) throws(MirrorLogFileError) {
        var buffer = ByteBuffer(bytes: body)
        let type = buffer.readInteger(as: UInt8.self)
        switch type {
        case recordType:
            guard let lsn = buffer.readInteger(as: Int64.self), let stream = buffer.readInteger(as: Int64.self),
                  let sn = buffer.readInteger(as: Int64.self), let key = buffer.readInteger(as: UInt64.self),
                  let count = buffer.readInteger(as: UInt32.self), let payload = buffer.readBytes(length: Int(count)),
                  buffer.readableBytes == 0, lsn > 0, stream >= 0, sn > 0
            else { throw .damaged(path: path, offset: offset, reason: "malformed record") }
            guard contents.takeoverEpoch == nil else {
                throw .damaged(path: path, offset: offset, reason: "a record after the takeover")
            }
            contents.records.append(MirrorRecord(
                lsn: Int(lsn), key: key, entry: StreamEntry(stream: Int(stream), sn: Int(sn)), payload: payload))
        case takeoverType:
            guard let epoch = buffer.readInteger(as: Int64.self), buffer.readableBytes == 0, epoch > 0 else {
                throw .damaged(path: path, offset: offset, reason: "malformed takeover")
            }
            contents.takeoverEpoch = Int(epoch)
        default:
            throw .damaged(path: path, offset: offset, reason: "unknown frame type \(type.map(String.init) ?? "none")")
        }
    }

    private static func be32(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        (UInt32(bytes[at]) << 24) | (UInt32(bytes[at + 1]) << 16) | (UInt32(bytes[at + 2]) << 8) | UInt32(bytes[at + 3])
    }
}
