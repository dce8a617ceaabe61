@testable import MirrorLive
import Mirror
import NIOCore
import NIOPosix
import Specs
import Trace
import Checker
import XCTest

/// The live runtime over real loopback sockets.
final class MirrorLiveTests: XCTestCase {
    /// Collects log lines from any thread.
    final class LogLines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    private func scratchDirectory() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mirror-live-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    /// Checks the recorded files as `plumb check` does (Z3 proving every obligation).
    private func violations(in files: [String]) throws -> [Violation] {
        let report = Checker().check(files: files)
        XCTAssertNil(report.error, report.text)
        XCTAssertEqual(report.system, .mirror)
        XCTAssertGreaterThan(report.stats.events, 0)
        XCTAssertEqual(report.verdict, report.violations.isEmpty ? .pass : .fail, report.text)
        XCTAssertTrue(report.proofs.contains { $0.engine == .z3 && $0.invariant == .mirrorCommitAfterMirror && $0.result == .proved }, report.text)
        return report.violations
    }

    func testRunWithAPathKilledAndThePrimaryKilledRecordsAPassingTrace() async throws {
        var options = MirrorRecording.Options(records: 3000, streams: 4, paths: 3, outputDirectory: scratchDirectory())
        options.failPath = (path: 1, afterRecords: 1000)
        options.crashPrimaryAt = 2500
        options.window = 256
        options.secondaryLogPath = options.outputDirectory + "/secondary.log"
        let log = LogLines()
        let summary = try await MirrorRecording(options: options).run(log: log.append)

        XCTAssertTrue(summary.crashed)
        XCTAssertEqual(summary.takeoverEpoch, 2)
        XCTAssertEqual(summary.submitted, 2500)
        XCTAssertGreaterThan(summary.committed, 1500)
        XCTAssertEqual(summary.lostCommits, 0)
        XCTAssertGreaterThanOrEqual(summary.secondaryRecords, summary.committed)
        XCTAssertTrue(summary.sentPerPath.allSatisfy { $0 > 0 }, "\(summary.sentPerPath)")
        XCTAssertTrue(log.all.contains { $0.contains("failing path 1") }, "\(log.all)")
        XCTAssertTrue(log.all.contains { $0.contains("took over") }, "\(log.all)")
        XCTAssertEqual(try violations(in: summary.files), [])

        let onDisk = try MirrorLogFile.read(path: options.outputDirectory + "/secondary.log")
        XCTAssertEqual(onDisk.count, summary.applied)
        XCTAssertEqual(Set(onDisk.map(\.lsn)).count, onDisk.count, "each record applied once")
        for record in onDisk {
            XCTAssertEqual(record.payload, MirrorWorkload.payload(index: record.lsn - 1, size: options.payloadSize))
        }

        let primary = try String(contentsOfFile: summary.files[0], encoding: .utf8)
        XCTAssertTrue(primary.split(separator: "\n").last!.contains("\"ev\":\"crash\""), "the crash is the primary's last line")
        let secondary = try String(contentsOfFile: summary.files[1], encoding: .utf8)
        XCTAssertTrue(secondary.contains("\"ev\":\"takeover\""))
        XCTAssertTrue(secondary.contains("\"ev\":\"path\",\"path\":1,\"up\":false"))
    }

    /// The events of one trace file, in line order.
    private func events(in file: String) throws -> [TraceEvent] {
        var reader = try TraceFileReader(path: file, fileIndex: 0)
        var events: [TraceEvent] = []
        while let item = try reader.next() {
            if case .event(let event) = item { events.append(event) }
        }
        return events
    }

    /// A run too short for a dial and a handshake still sees the path back at M, carrying
    /// entries (before, the comeback came after the last write, and "back after 0 records").
    func testAShortRunWaitsForTheRestoredPath() async throws {
        var options = MirrorRecording.Options(records: 300, streams: 4, paths: 3, outputDirectory: scratchDirectory())
        options.failPath = (path: 1, afterRecords: 50)
        options.restorePath = (path: 1, afterRecords: 100)
        let summary = try await MirrorRecording(options: options).run()
        XCTAssertEqual(summary.committed, 300)
        let comeback = try XCTUnwrap(summary.comebacks.first, "\(summary.comebacks)")
        XCTAssertEqual(comeback.afterRecords, 100)
        XCTAssertGreaterThan(comeback.sent, 0)
        // At the last record too: the run waits for the comeback before it ends.
        options.outputDirectory = scratchDirectory()
        options.restorePath = (path: 1, afterRecords: 300)
        let last = try await MirrorRecording(options: options).run()
        XCTAssertEqual(last.comebacks.first?.afterRecords, 300, "\(last.comebacks)")
    }

    func testAFailedPathComesBackAndTakesStreamsAgain() async throws {
        var options = MirrorRecording.Options(records: 6000, streams: 4, paths: 3, outputDirectory: scratchDirectory())
        options.failPath = (path: 1, afterRecords: 1500)
        options.restorePath = (path: 1, afterRecords: 3000)
        options.window = 256
        let log = LogLines()
        let summary = try await MirrorRecording(options: options).run(log: log.append)

        XCTAssertFalse(summary.crashed)
        XCTAssertEqual(summary.committed, 6000)
        XCTAssertEqual(summary.secondaryRecords, 6000)
        XCTAssertEqual(summary.lostCommits, 0)
        XCTAssertTrue(log.all.contains { $0.contains("failing path 1") }, "\(log.all)")
        XCTAssertTrue(log.all.contains { $0.contains("path 1 is back") }, "\(log.all)")
        XCTAssertEqual(summary.comebacks.count, 1, "\(summary.comebacks)")
        let comeback = try XCTUnwrap(summary.comebacks.first)
        XCTAssertEqual(comeback.path, 1)
        XCTAssertEqual(comeback.afterRecords, 3000, "the writes after M wait for the comeback")
        XCTAssertGreaterThan(comeback.sent, 0, "the restored path carried entries after it came back")
        XCTAssertLessThanOrEqual(comeback.sent, summary.sentPerPath[1])

        // In the primary's trace: path 1 up, down, up again, then entries sent on it.
        let primary = try events(in: summary.files[0])
        let ups = primary.indices.filter { primary[$0].kind == .path(path: 1, up: true) }
        let downs = primary.indices.filter { primary[$0].kind == .path(path: 1, up: false) }
        XCTAssertEqual(ups.count, 2)
        let down = try XCTUnwrap(downs.first), back = try XCTUnwrap(ups.last)
        XCTAssertLessThan(down, back)
        XCTAssertFalse(primary[down..<back].contains { if case .send(_, _, 1) = $0.kind { true } else { false } })
        let sentAfter = primary[back...].count { if case .send(_, _, 1) = $0.kind { true } else { false } }
        XCTAssertEqual(sentAfter, comeback.sent)
        // The secondary took the new connection for path 1.
        let secondary = try events(in: summary.files[1])
        XCTAssertEqual(secondary.count { $0.kind == .path(path: 1, up: true) }, 2)

        let report = Checker().check(files: summary.files)
        XCTAssertEqual(report.violations, [], report.text)
        XCTAssertEqual(report.verdict, .pass, report.text)
        XCTAssertFalse(report.proofs.isEmpty, report.text)
        XCTAssertTrue(report.proofs.contains { $0.engine == .z3 }, report.text)
        XCTAssertTrue(report.proofs.allSatisfy { $0.result == .proved }, report.text)
    }

    func testCleanRunCommitsEverything() async throws {
        var options = MirrorRecording.Options(records: 2000, streams: 3, paths: 2, outputDirectory: scratchDirectory())
        options.window = 128
        let summary = try await MirrorRecording(options: options).run()
        XCTAssertFalse(summary.crashed)
        XCTAssertEqual(summary.committed, 2000)
        XCTAssertEqual(summary.secondaryRecords, 2000)
        XCTAssertEqual(summary.resent, 0)
        XCTAssertEqual(summary.sentPerPath.reduce(0, +), 2000)
        XCTAssertEqual(try violations(in: summary.files), [])
    }

    func testAPeerWithTheWrongKeyIsRefusedAndLogged() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let log = LogLines()
        let secondary = MirrorSecondaryNode(
            configuration: .init(key: MirrorSharedKey(passphrase: "right"), paths: 2),
            loop: group.next(), recorder: MemoryRecorder(), log: log.append)
        let address = try await secondary.start()
        XCTAssertEqual(address.ipAddress, "127.0.0.1")
        let intruder = MirrorPrimaryNode(
            configuration: .init(key: MirrorSharedKey(passphrase: "wrong"), paths: 2, streams: 1),
            loop: group.next(), recorder: MemoryRecorder(), log: log.append)
        do {
            try await intruder.connect(to: address)
            XCTFail("a peer with the wrong key connected")
        } catch let error as MirrorLiveError {
            guard case .handshakeFailed(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, 0)
        }
        XCTAssertTrue(log.all.contains { $0.contains("refused connection") && $0.contains("authentication failed") }, "\(log.all)")
        let counts = await secondary.counts()
        XCTAssertEqual(counts.applied, 0)
        let value = await secondary.value(forKey: 0)
        XCTAssertNil(value)
        await secondary.stop()
        await intruder.shutdown()
        try await group.shutdownGracefully()
    }

    func testACorruptFrameClosesThePathAndCountsAsAPathFailure() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let key = MirrorSharedKey.random()
        let log = LogLines()
        let primaryTrace = MemoryRecorder(), secondaryTrace = MemoryRecorder()
        let secondary = MirrorSecondaryNode(
            configuration: .init(key: key, paths: 2), loop: group.next(), recorder: secondaryTrace, log: log.append)
        let primary = MirrorPrimaryNode(
            configuration: .init(key: key, paths: 2, streams: 2), loop: group.next(), recorder: primaryTrace, log: log.append)
        try await primary.connect(to: try await secondary.start())

        // A frame whose checksum does not match its body, written under the framer.
        var frame = ByteBufferAllocator().buffer(capacity: 16)
        frame.writeInteger(UInt32(4))
        frame.writeInteger(UInt32(0xDEAD_BEEF))
        frame.writeBytes([11, 0, 0, 0])
        try await primary.injectRaw(frame, on: 1)
        for _ in 0..<500 where !primaryTrace.events.contains(where: { $0.kind == .path(path: 1, up: false) }) {
            try await Task.sleep(for: .milliseconds(10))
        }

        var workload = MirrorWorkload(records: 500)
        workload.window = 64
        let result = try await primary.run(workload)
        XCTAssertEqual(result.committed, 500)
        XCTAssertEqual(result.stats.sentPerPath[1], 0, "path 1 failed before any entry")
        XCTAssertTrue(log.all.contains { $0.contains("checksumMismatch") }, "\(log.all)")
        XCTAssertTrue(primaryTrace.events.contains { $0.kind == .path(path: 1, up: false) })
        let served = await secondary.value(forKey: UInt64(499 % workload.keys))
        XCTAssertEqual(served, MirrorWorkload.payload(index: 499, size: workload.payloadSize), "the latest write of the key")
        await secondary.stop()
        await primary.shutdown()
        try await group.shutdownGracefully()
        let events = primaryTrace.events + secondaryTrace.events
        XCTAssertEqual(try SpecRunner.run(MirrorSpec.self, events: events).violations, [])
    }

    func testALostPathIsDialedAgainOnItsOwnAndTakesStreams() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let key = MirrorSharedKey.random()
        let log = LogLines()
        let primaryTrace = MemoryRecorder(), secondaryTrace = MemoryRecorder()
        let secondary = MirrorSecondaryNode(
            configuration: .init(key: key, paths: 2), loop: group.next(), recorder: secondaryTrace, log: log.append)
        var configuration = MirrorPrimaryNode.Configuration(key: key, paths: 2, streams: 2)
        configuration.redialsLostPaths = true
        configuration.redialDelay = .milliseconds(20)
        let primary = MirrorPrimaryNode(
            configuration: configuration, loop: group.next(), recorder: primaryTrace, log: log.append)
        try await primary.connect(to: try await secondary.start())

        // A corrupt frame closes path 1; the primary dials it again after the delay.
        var frame = ByteBufferAllocator().buffer(capacity: 16)
        frame.writeInteger(UInt32(4))
        frame.writeInteger(UInt32(0xDEAD_BEEF))
        frame.writeBytes([11, 0, 0, 0])
        try await primary.injectRaw(frame, on: 1)
        for _ in 0..<500 where primaryTrace.events.count(where: { $0.kind == .path(path: 1, up: true) }) < 2 {
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTAssertTrue(primaryTrace.events.contains { $0.kind == .path(path: 1, up: false) })
        XCTAssertEqual(primaryTrace.events.count { $0.kind == .path(path: 1, up: true) }, 2, "\(log.all)")

        var workload = MirrorWorkload(records: 500)
        workload.window = 64
        let result = try await primary.run(workload)
        XCTAssertEqual(result.committed, 500)
        XCTAssertGreaterThan(result.stats.sentPerPath[1], 0, "path 1 took streams again")
        XCTAssertEqual(result.comebacks.map(\.path), [1])
        XCTAssertEqual(result.comebacks.first?.sent, result.stats.sentPerPath[1])
        await secondary.stop()
        await primary.shutdown()
        try await group.shutdownGracefully()
        let events = primaryTrace.events + secondaryTrace.events
        XCTAssertEqual(try SpecRunner.run(MirrorSpec.self, events: events).violations, [])
    }
}
