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
}
