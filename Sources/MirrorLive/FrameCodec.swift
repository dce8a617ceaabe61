import Checksum
import NIOCore

/// Why bytes on a path are not a frame. Any of these closes the path: it counts as a path
/// failure, never as data.
package enum FrameError: Error, Sendable, Equatable {
    /// The length prefix exceeds the limit (garbage, or a peer that is not ours).
    case tooLong(length: Int, limit: Int)
    /// The body's CRC-32 differs from the one the sender wrote.
    case checksumMismatch(expected: UInt32, actual: UInt32)
    /// The connection ended in the middle of a frame.
    case truncated(have: Int, need: Int)
}

/// Length-prefixed, checksummed frames: `[UInt32 body length][UInt32 CRC-32 of body][body]`,
/// big-endian.
package enum FrameCodec {
    /// Header bytes before each body.
    package static let headerSize = 8
    /// The largest body accepted: 16 MiB.
    package static let maxBody = 16 << 20

    /// Appends `body` as one frame to `out`.
    package static func encode(_ body: ByteBuffer, into out: inout ByteBuffer) {
        out.writeInteger(UInt32(body.readableBytes))
        out.writeInteger(CRC32.checksum(body.readableBytesView))
        out.writeImmutableBuffer(body)
    }

    /// Takes one whole frame's body off the front of `buffer`, or returns nil (consuming
    /// nothing) when the frame is not complete yet.
    /// A frame whose length prefix exceeds `limit` is an error at once (before its body arrives).
    package static func decode(_ buffer: inout ByteBuffer, limit: Int = maxBody) throws(FrameError) -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
              let sum = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt32.self)
        else { return nil }
        guard Int(length) <= limit else { throw .tooLong(length: Int(length), limit: limit) }
        guard buffer.readableBytes >= headerSize + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: headerSize)
        let body = buffer.readSlice(length: Int(length))!
        let actual = CRC32.checksum(body.readableBytesView)
        guard actual == sum else { throw .checksumMismatch(expected: sum, actual: actual) }
        return body
    }
}

/// The largest frame body a connection accepts now: handshake-sized until the peer has proved
/// the key, so that a peer without it cannot make the node buffer a large frame.
///
/// Not thread-safe: shared by one connection's decoder and path handler, on its event loop.
final class FrameLimit {
    /// The largest body before the handshake finished: 256 bytes (a handshake message is under 100).
    static let handshake = 256

    /// The limit in force.
    var maxBody = FrameLimit.handshake
}

/// Splits the inbound byte stream into frame bodies; a bad or cut-off frame is an error.
struct FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    /// The connection's current limit.
    let limit: FrameLimit

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let body = try FrameCodec.decode(&buffer, limit: limit.maxBody) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(body))
        return .continue
    }

    mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self).map(Int.init) ?? 0
            throw FrameError.truncated(have: buffer.readableBytes, need: FrameCodec.headerSize + length)
        }
        return .needMoreData
    }
}

/// Frames each outbound body.
struct FrameEncoder: MessageToByteEncoder {
    typealias OutboundIn = ByteBuffer

    func encode(data: ByteBuffer, out: inout ByteBuffer) throws {
        FrameCodec.encode(data, into: &out)
    }
}
