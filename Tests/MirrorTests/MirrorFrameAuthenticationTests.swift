import Checker
import Mirror
@testable import MirrorLive
import NIOCore
import NIOPosix
import Specs
import Trace
import XCTest

/// Every frame after the handshake is authenticated: one that is forged, altered or replayed
/// closes its path (logged with the peer), and the other paths go on.
final class MirrorFrameAuthenticationTests: XCTestCase {
    private let keys = PathAuthenticator(key: MirrorSharedKey(passphrase: "k"))
        .frameKeys(listenerNonce: Array(repeating: 1, count: 32), connectorNonce: Array(repeating: 2, count: 32), path: 0)

    private func body(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    func testSealedFramesOpenInOrderAndAnAlteredOrReplayedFrameFails() throws {
        var sender = FrameSealer(key: keys.connectorToListener), receiver = FrameSealer(key: keys.connectorToListener)
        var first = body([10, 1, 2, 3]), second = body([10, 4, 5, 6])
        sender.seal(&first)
        sender.seal(&second)
        XCTAssertEqual(first.readableBytes, 4 + FrameSealer.tagSize)

        var copy = first
        try receiver.open(&copy)
        XCTAssertEqual(Array(copy.readableBytesView), [10, 1, 2, 3])
        var replayed = first
        XCTAssertThrowsError(try receiver.open(&replayed), "frame 0 again where frame 1 is due") { error in
            XCTAssertEqual(error as? FrameAuthenticationError, .badTag(frame: 1))
        }

        var fresh = FrameSealer(key: keys.connectorToListener)
        var altered = first
        altered.setInteger(UInt8(99), at: altered.readerIndex + 1)
        XCTAssertThrowsError(try fresh.open(&altered))

        var wrongDirection = FrameSealer(key: keys.listenerToConnector)
        var other = first
        XCTAssertThrowsError(try wrongDirection.open(&other), "a frame reflected back to its sender fails")
    }

    // MARK: Live, through a proxy that alters a frame in flight

    final class LogLines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    func testAFrameAlteredInFlightClosesItsPathAndNothingWrongIsApplied() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 3)
        let key = MirrorSharedKey.random()
        let log = LogLines()
        let primaryTrace = MemoryRecorder(), secondaryTrace = MemoryRecorder()
        let secondary = MirrorSecondaryNode(
            configuration: .init(key: key, paths: 2), loop: group.next(), recorder: secondaryTrace, log: log.append)
        let secondaryAddress = try await secondary.start()
        // Path 0 goes through the proxy, which alters one byte of the 5th frame the primary
        // sends on it and fixes up the frame's CRC, as an attacker would.
        let proxy = try await FlippingProxy.start(on: group.next(), to: secondaryAddress, flipFrame: 4)
        var configuration = MirrorPrimaryNode.Configuration(key: key, paths: 2, streams: 2)
        configuration.redialsLostPaths = true
        configuration.redialDelay = .milliseconds(20)
        let primary = MirrorPrimaryNode(configuration: configuration, loop: group.next(), recorder: primaryTrace, log: log.append)
        try await primary.connect(to: [proxy.localAddress!, secondaryAddress])

        var workload = MirrorWorkload(records: 1000)
        workload.window = 64
        let result = try await primary.run(workload)
        XCTAssertEqual(result.committed, 1000, "the other path went on, and path 0 came back")
        XCTAssertTrue(log.all.contains { $0.contains("secondary: closed path 0 from [IPv4]127.0.0.1") && $0.contains("failed authentication") },
                      "\(log.all)")
        XCTAssertTrue(primaryTrace.events.contains { $0.kind == .path(path: 0, up: false) })
        let held = await secondary.records()
        XCTAssertEqual(held.count, 1000)
        for (lsn, record) in held {
            XCTAssertEqual(record.payload, MirrorWorkload.payload(index: lsn - 1, size: workload.payloadSize), "lsn \(lsn)")
        }
        await secondary.stop()
        await primary.shutdown()
        try await proxy.close()
        try await group.shutdownGracefully()
        XCTAssertEqual(try SpecRunner.run(MirrorSpec.self, events: primaryTrace.events + secondaryTrace.events).violations, [])
    }

    // MARK: Refusals before authentication (issue 13 #6, #7)

    func testGarbageAHugeLengthAndTooManyHandshakesAreRefusedAndLogged() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let log = LogLines()
        var configuration = MirrorSecondaryNode.Configuration(key: .random(), paths: 2)
        configuration.maxPendingHandshakes = 3
        let secondary = MirrorSecondaryNode(configuration: configuration, loop: group.next(), recorder: MemoryRecorder(), log: log.append)
        let address = try await secondary.start()

        func send(_ bytes: [UInt8]) async throws -> Channel {
            let channel = try await ClientBootstrap(group: group).connect(to: address).get()
            try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
            return channel
        }
        func waitForLog(_ text: String) async throws {
            for _ in 0..<300 where !log.all.contains(where: { $0.contains(text) }) { try await Task.sleep(for: .milliseconds(10)) }
        }
        // A declared length of 0xFFFFFFFF, and a frame over the handshake limit.
        _ = try await send([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        try await waitForLog("4294967295")
        _ = try await send([0, 0, 0x10, 0, 0, 0, 0, 0] + Array(repeating: 7, count: 4096))
        try await waitForLog("limit: 256")
        // A frame with a bad CRC.
        _ = try await send([0, 0, 0, 4, 0xDE, 0xAD, 0xBE, 0xEF, 2, 0, 0, 0])
        try await waitForLog("checksumMismatch")
        let refusals = log.all.filter { $0.contains("refused connection from [IPv4]127.0.0.1") }
        XCTAssertEqual(refusals.count, 3, "each refusal logged once, with the peer: \(log.all)")

        // Connections that never answer the challenge: three may wait, the fourth is refused.
        var silent: [Channel] = []
        for _ in 0..<3 { silent.append(try await ClientBootstrap(group: group).connect(to: address).get()) }
        try await Task.sleep(for: .milliseconds(50))
        silent.append(try await ClientBootstrap(group: group).connect(to: address).get())
        try await waitForLog("too many connections in their handshake")
        XCTAssertTrue(log.all.contains { $0.contains("too many connections in their handshake") }, "\(log.all)")
        for channel in silent { try? await channel.close().get() }
        await secondary.stop()
        try await group.shutdownGracefully()
    }
}

/// A TCP proxy for one destination that passes the listener's bytes back as they are and
/// re-frames the connector's frames, altering one byte in the body of frame `flipFrame` of the
/// first connection (and fixing its CRC). Test-only.
enum FlippingProxy {
    /// Starts listening on loopback; returns the server channel.
    static func start(on loop: EventLoop, to destination: SocketAddress, flipFrame: Int) async throws -> Channel {
        let flipped = Flag()
        return try await ServerBootstrap(group: loop, childGroup: loop)
            .childChannelInitializer { inbound in
                ClientBootstrap(group: loop)
                    .channelInitializer { outbound in
                        outbound.pipeline.addHandler(Relay(peer: inbound))
                    }
                    .connect(to: destination)
                    .flatMap { outbound in
                        inbound.pipeline.addHandlers([
                            ByteToMessageHandler(FrameDecoder(limit: { let l = FrameLimit(); l.maxBody = FrameCodec.maxBody; return l }())),
                            Alter(peer: outbound, flipFrame: flipFrame, flipped: flipped),
                        ])
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// Whether the one alteration was made; used only on the proxy's loop.
    final class Flag: @unchecked Sendable {
        var value = false
    }

    /// Copies bytes to the peer channel; closes it on close.
    final class Relay: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let peer: Channel
        init(peer: Channel) { self.peer = peer }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            peer.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }
        func channelInactive(context: ChannelHandlerContext) { peer.close(promise: nil) }
        func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
    }

    /// Re-frames each frame body to the peer, altering one.
    final class Alter: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let peer: Channel
        let flipFrame: Int
        let flipped: Flag
        var count = 0
        init(peer: Channel, flipFrame: Int, flipped: Flag) {
            self.peer = peer
            self.flipFrame = flipFrame
            self.flipped = flipped
        }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var body = unwrapInboundIn(data)
            if count == flipFrame, !flipped.value, body.readableBytes > 20 {
                flipped.value = true
                let at = body.readerIndex + 10
                body.setInteger(body.getInteger(at: at, as: UInt8.self)! ^ 0x01, at: at)
            }
            count += 1
            var out = context.channel.allocator.buffer(capacity: body.readableBytes + 8)
            FrameCodec.encode(body, into: &out)
            peer.writeAndFlush(out, promise: nil)
        }
        func channelInactive(context: ChannelHandlerContext) { peer.close(promise: nil) }
        func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
    }
}
