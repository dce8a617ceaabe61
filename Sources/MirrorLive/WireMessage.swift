import Mirror
import NIOCore
import Trace

/// Why a frame body is not a message.
package enum WireError: Error, Sendable, Equatable {
    /// The first byte names no message type.
    case unknownType(UInt8)
    /// The body ends before the message does.
    case shortBody(type: UInt8)
    /// Bytes are left after the message.
    case trailingBytes(type: UInt8, count: Int)
    /// A count or number is out of range (negative, or absurdly large).
    case badField(String)
}

/// Everything said on a path: the handshake, then the mirror's messages.
package enum WireMessage: Sendable, Equatable {
    /// Listener to connector: prove you hold the key, over this nonce.
    case challenge(nonce: [UInt8])
    /// Connector to listener: which path this connection is, its own nonce, and its proof.
    case response(path: Int, nonce: [UInt8], mac: [UInt8])
    /// Listener to connector: accepted, with the listener's proof over both nonces.
    case accept(mac: [UInt8])
    /// A mirror message (after the handshake).
    case mirror(MirrorMessage)
    /// Connector to listener, after the handshake: the primary ends its run cleanly and closes
    /// its paths; the secondary must not take over when they go down.
    case farewell

    // Type bytes.
    static let challengeType: UInt8 = 1, responseType: UInt8 = 2, acceptType: UInt8 = 3, farewellType: UInt8 = 4
    static let entryType: UInt8 = 10, ackType: UInt8 = 11, fencedType: UInt8 = 12

    /// Writes the message (a frame body) into `out`.
    package func encode(into out: inout ByteBuffer) {
        switch self {
        case .challenge(let nonce):
            out.writeInteger(Self.challengeType)
            Self.writeBytes(nonce, &out)
        case let .response(path, nonce, mac):
            out.writeInteger(Self.responseType)
            out.writeInteger(UInt32(path))
            Self.writeBytes(nonce, &out)
            Self.writeBytes(mac, &out)
        case .accept(let mac):
            out.writeInteger(Self.acceptType)
            Self.writeBytes(mac, &out)
        case .mirror(.entry(let e)):
            out.writeInteger(Self.entryType)
            for value in [e.epoch, e.sendSeq, e.lsn] { out.writeInteger(Int64(value)) }
            out.writeInteger(e.key)
            out.writeInteger(Int64(e.entry.stream))
            out.writeInteger(Int64(e.entry.sn))
            out.writeInteger(UInt32(e.deps.count))
            for dep in e.deps {
                out.writeInteger(Int64(dep.stream))
                out.writeInteger(Int64(dep.sn))
            }
            Self.writeBytes(e.payload, &out)
        case let .mirror(.ack(epoch, stream, sn, ackSeq)):
            out.writeInteger(Self.ackType)
            for value in [epoch, stream, sn, ackSeq] { out.writeInteger(Int64(value)) }
        case let .mirror(.fenced(epoch)):
            out.writeInteger(Self.fencedType)
            out.writeInteger(Int64(epoch))
        case .farewell:
            out.writeInteger(Self.farewellType)
        }
    }

    /// Reads one message from a whole frame body.
    package static func decode(_ body: ByteBuffer) throws(WireError) -> WireMessage {
        var body = body
        guard let type = body.readInteger(as: UInt8.self) else { throw .shortBody(type: 0) }
        var reader = Reader(buffer: body, type: type)
        let message: WireMessage
        switch type {
        case challengeType:
            message = .challenge(nonce: try reader.bytes())
        case responseType:
            let path = Int(try reader.u32())
            message = .response(path: path, nonce: try reader.bytes(), mac: try reader.bytes())
        case acceptType:
            message = .accept(mac: try reader.bytes())
        case entryType:
            let epoch = try reader.int(), sendSeq = try reader.int(), lsn = try reader.int()
            let key = try reader.u64()
            let entry = StreamEntry(stream: try reader.int(), sn: try reader.int())
            let count = Int(try reader.u32())
            guard count <= 4096 else { throw .badField("deps count \(count)") }
            var deps: [StreamEntry] = []
            deps.reserveCapacity(count)
            for _ in 0..<count { deps.append(StreamEntry(stream: try reader.int(), sn: try reader.int())) }
            message = .mirror(.entry(MirrorEntryMessage(
                epoch: epoch, sendSeq: sendSeq, lsn: lsn, key: key, entry: entry, deps: deps,
                payload: try reader.bytes())))
        case ackType:
            message = .mirror(.ack(
                epoch: try reader.int(), stream: try reader.int(), sn: try reader.int(), ackSeq: try reader.int()))
        case fencedType:
            message = .mirror(.fenced(epoch: try reader.int()))
        case farewellType:
            message = .farewell
        default:
            throw .unknownType(type)
        }
        guard reader.buffer.readableBytes == 0 else {
            throw .trailingBytes(type: type, count: reader.buffer.readableBytes)
        }
        return message
    }

    /// A length-prefixed byte string.
    static func writeBytes(_ bytes: [UInt8], _ out: inout ByteBuffer) {
        out.writeInteger(UInt32(bytes.count))
        out.writeBytes(bytes)
    }

    /// Reads fields of one message, naming the message type in its errors.
    struct Reader {
        var buffer: ByteBuffer
        let type: UInt8

        mutating func u32() throws(WireError) -> UInt32 {
            guard let value = buffer.readInteger(as: UInt32.self) else { throw .shortBody(type: type) }
            return value
        }

        mutating func u64() throws(WireError) -> UInt64 {
            guard let value = buffer.readInteger(as: UInt64.self) else { throw .shortBody(type: type) }
            return value
        }

        /// A non-negative integer.
        mutating func int() throws(WireError) -> Int {
            guard let value = buffer.readInteger(as: Int64.self) else { throw .shortBody(type: type) }
            guard value >= 0 else { throw .badField("negative integer \(value)") }
            return Int(value)
        }

        mutating func bytes() throws(WireError) -> [UInt8] {
            let count = Int(try u32())
            guard let bytes = buffer.readBytes(length: count) else { throw .shortBody(type: type) }
            return bytes
        }
    }
}
