import Checksum
@testable import MirrorLive
import NIOCore
import XCTest

/// The path limit: the token bucket's arithmetic on a clock the test sets, the shaper on a live
/// path, and the fast CRC-32 every frame takes.
final class MirrorPathLimitTests: XCTestCase {
    private let second = 1_000_000_000

    func testAFullBucketSendsItsBurstThenWaitsForCredit() {
        // 1000 bytes/s, 100 bytes of burst: a byte per millisecond.
        var bucket = TokenBucket(bytesPerSecond: 1000, burst: 100, now: 0)
        XCTAssertEqual(bucket.available(at: 0), 100)
        XCTAssertEqual(bucket.spend(60, at: 0), 0)
        XCTAssertEqual(bucket.spend(60, at: 0), 0, "allowed while not in debt, and goes into debt")
        XCTAssertEqual(bucket.available(at: 0), -20)
        // 20 bytes of debt take 20 ms to pay back; nothing is spent while waiting.
        XCTAssertEqual(bucket.spend(1, at: 0), 20 * second / 1000)
        XCTAssertEqual(bucket.spend(1, at: 5 * second / 1000), 15 * second / 1000)
        XCTAssertEqual(bucket.spend(1, at: 20 * second / 1000), 0)
        XCTAssertEqual(bucket.available(at: 20 * second / 1000), -1)
    }

    func testCreditRefillsContinuouslyUpToTheBurst() {
        var bucket = TokenBucket(bytesPerSecond: 1000, burst: 100, now: 0)
        XCTAssertEqual(bucket.spend(100, at: 0), 0)
        // Half a byte's worth of time, twice: nothing is rounded away.
        XCTAssertEqual(bucket.available(at: second / 2000), 0)
        XCTAssertEqual(bucket.available(at: second / 1000), 1)
        XCTAssertEqual(bucket.available(at: 50 * second / 1000), 50)
        // An hour idle fills it to the burst, no more (and does not overflow).
        XCTAssertEqual(bucket.available(at: 3600 * second), 100)
        // A clock going backwards earns nothing.
        XCTAssertEqual(bucket.available(at: 10 * second), 100)
    }

    func testAFrameLargerThanTheBurstStillGoesAndIsPaidBack() {
        var bucket = TokenBucket(bytesPerSecond: 1000, burst: 100, now: 0)
        XCTAssertEqual(bucket.spend(1000, at: 0), 0)
        XCTAssertEqual(bucket.spend(1, at: 0), 900 * second / 1000)
        XCTAssertEqual(bucket.spend(1, at: 900 * second / 1000), 0)
    }

    func testOverTimeTheBucketLetsOutTheRatePlusTheBurst() {
        // 25 MB/s, 64 KiB burst, 4 KiB frames offered as fast as allowed for one second.
        let rate = 25_000_000, burst = 64 << 10, frame = 4160
        var bucket = TokenBucket(bytesPerSecond: rate, burst: burst, now: 0)
        var now = 0, sent = 0
        while now <= second {
            let wait = bucket.spend(frame, at: now)
            if wait == 0 { sent += frame } else { now += wait }
        }
        XCTAssertLessThanOrEqual(sent, rate + burst + frame)
        XCTAssertGreaterThanOrEqual(sent, rate)
    }

    func testAShapedPathNeverSendsFasterThanItsLimit() async throws {
        // 200 records of 4 KiB (about 0.85 MB with framing) over one path at 2 MB/s: at least
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mirror-limit-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: directory) }
        var options = MirrorRecording.Options(records: 200, streams: 2, paths: 1, outputDirectory: directory)
        options.payloadSize = 4096
        options.pathBytesPerSecond = 2_000_000
        options.recordsTraces = false
        options.measuresCommitLatency = true
        let summary = try await MirrorRecording(options: options).run()
        XCTAssertEqual(summary.committed, 200)
        XCTAssertEqual(summary.lostCommits, 0)
        XCTAssertEqual(summary.files, [], "no trace files when not recording")
        XCTAssertEqual(summary.commitLatencies.count, 200)
        // The pace itself is the shaper's contract, tested by byte counts above; the time it
        // takes is measured by `plumb bench mirror`, not asserted here (CI machines are loaded).
    }

    func testThePacedClientSubmitsNoFasterThanItsRate() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mirror-pace-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: directory) }
        var options = MirrorRecording.Options(records: 101, streams: 2, paths: 2, outputDirectory: directory)
        options.writesPerSecond = 500
        let summary = try await MirrorRecording(options: options).run()
        XCTAssertEqual(summary.committed, 101)
        XCTAssertEqual(summary.lostCommits, 0)
    }

    func testTheSlicingChecksumMatchesTheBytewiseOne() {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 7, 8, 9, 15, 16, 63, 4096 + 57] {
            let bytes = (0..<length + 3).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            buffer.moveReaderIndex(forwardBy: 3)  // an unaligned start
            XCTAssertEqual(CRC32.checksum(buffer.readableBytesView), CRC32.checksum(Array(bytes[3...])), "length \(length)")
        }
        var check = ByteBufferAllocator().buffer(capacity: 9)
        check.writeString("123456789")
        XCTAssertEqual(CRC32.checksum(check.readableBytesView), 0xCBF4_3926)
    }
}
