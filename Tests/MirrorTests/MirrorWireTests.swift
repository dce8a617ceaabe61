import Checksum
@testable import MirrorLive
import Mirror
import NIOCore
import Trace
import XCTest

/// Frames, checksums, messages and handshake proofs, without sockets.
final class MirrorWireTests: XCTestCase {
    private func frame(_ message: WireMessage) -> ByteBuffer {
        var body = ByteBufferAllocator().buffer(capacity: 64)
        message.encode(into: &body)
        var out = ByteBufferAllocator().buffer(capacity: 80)
        FrameCodec.encode(body, into: &out)
        return out
    }

    func testCRC32CheckValue() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
    }

    func testMessagesRoundTripThroughFrames() throws {
        let messages: [WireMessage] = [
            .challenge(nonce: PathAuthenticator.nonce()),
            .response(path: 3, nonce: [1, 2], mac: [3, 4, 5]),
            .accept(mac: [9]),
            .mirror(.entry(MirrorEntryMessage(
                epoch: 2, sendSeq: 77, lsn: 12, key: .max, entry: StreamEntry(stream: 1, sn: 4),
                deps: [StreamEntry(stream: 0, sn: 9)], payload: Array(0..<200)))),
            .mirror(.ack(epoch: 1, stream: 5, sn: 6, ackSeq: 7)),
            .mirror(.fenced(epoch: 3)),
        ]
        var stream = ByteBufferAllocator().buffer(capacity: 1024)
        for message in messages { stream.writeImmutableBuffer(frame(message)) }
        // Delivered one byte at a time: a frame is yielded only once it is whole.
        var pending = ByteBufferAllocator().buffer(capacity: 1024)
        var decoded: [WireMessage] = []
        while let byte = stream.readInteger(as: UInt8.self) {
            pending.writeInteger(byte)
            while let body = try FrameCodec.decode(&pending) { decoded.append(try WireMessage.decode(body)) }
        }
        XCTAssertEqual(decoded, messages)
    }

    func testACorruptFrameIsAnErrorNotData() {
        var buffer = frame(.mirror(.ack(epoch: 1, stream: 0, sn: 1, ackSeq: 1)))
        let last = buffer.writerIndex - 1
        buffer.setInteger(buffer.getInteger(at: last, as: UInt8.self)! ^ 0x40, at: last)
        XCTAssertThrowsError(try FrameCodec.decode(&buffer)) { error in
            guard case FrameError.checksumMismatch = error else { return XCTFail("\(error)") }
        }
    }

    func testAnOversizedLengthIsRefused() {
        var buffer = ByteBufferAllocator().buffer(capacity: 8)
        buffer.writeInteger(UInt32.max)
        buffer.writeInteger(UInt32(0))
        XCTAssertThrowsError(try FrameCodec.decode(&buffer)) { error in
            XCTAssertEqual(error as? FrameError, .tooLong(length: Int(UInt32.max), limit: FrameCodec.maxBody))
        }
    }

    func testMalformedBodiesNameWhatIsWrong() {
        var short = ByteBufferAllocator().buffer(capacity: 4)
        short.writeInteger(UInt8(11))
        short.writeInteger(UInt32(1))
        XCTAssertThrowsError(try WireMessage.decode(short)) { XCTAssertEqual($0 as? WireError, .shortBody(type: 11)) }
        var unknown = ByteBufferAllocator().buffer(capacity: 1)
        unknown.writeInteger(UInt8(99))
        XCTAssertThrowsError(try WireMessage.decode(unknown)) { XCTAssertEqual($0 as? WireError, .unknownType(99)) }
    }

    func testProofsNeedTheKeyAndBindThePath() {
        let right = PathAuthenticator(key: MirrorSharedKey(passphrase: "k"))
        let wrong = PathAuthenticator(key: MirrorSharedKey(passphrase: "not k"))
        let a = PathAuthenticator.nonce(), b = PathAuthenticator.nonce()
        let proof = right.connectorProof(listenerNonce: a, connectorNonce: b, path: 1)
        XCTAssertTrue(right.checkConnector(proof, listenerNonce: a, connectorNonce: b, path: 1))
        XCTAssertFalse(right.checkConnector(proof, listenerNonce: a, connectorNonce: b, path: 2))
        XCTAssertFalse(wrong.checkConnector(proof, listenerNonce: a, connectorNonce: b, path: 1))
        XCTAssertFalse(right.checkListener(proof, listenerNonce: a, connectorNonce: b, path: 1),
                       "a connector's proof is not a listener's")
    }
}

/// The secondary's log file: written, read back, torn tail tolerated, damage reported.
final class MirrorLogFileTests: XCTestCase {
    func testRecordsReadBackAndACutOffTailIsIgnoredButDamageIsNot() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mirror-log-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let records = (1...3).map {
            MirrorRecord(lsn: $0, key: UInt64($0 * 10), entry: StreamEntry(stream: $0 % 2, sn: $0), payload: Array(repeating: UInt8($0), count: $0))
        }
        let file = try MirrorLogFile(path: path)
        for record in records { file.append(record) }
        try file.close()
        XCTAssertEqual(try MirrorLogFile.read(path: path), records)

        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
        bytes.removeLast(3)  // a crash mid-write
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try MirrorLogFile.read(path: path), Array(records.prefix(2)))

        bytes[FrameCodec.headerSize] ^= 0xFF  // a flipped bit in the first record
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try MirrorLogFile.read(path: path)) { error in
            guard case MirrorLogFileError.damaged(_, let offset, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(offset, 0)
        }
    }
}
