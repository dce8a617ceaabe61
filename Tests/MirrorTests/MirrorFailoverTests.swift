import Mirror
import Trace
import XCTest

/// Path failures, degraded mode, crash, takeover and fencing on fixed input sequences.
final class MirrorFailoverTests: XCTestCase {
    func testPathFailureMovesStreamsAndResendsUnacknowledgedEntries() throws {
        var h = MirrorHarness(streams: 2, paths: 2)
        h.up(0)
        h.up(1)
        h.write(key: 1)  // (1,1) on path 1
        h.write(key: 1)  // (1,2) on path 1
        h.deliver(path: 1)  // (1,1) arrives; its ack is lost with the path
        let sendsBefore = h.kinds("send").count
        h.down(1)
        XCTAssertEqual(h.primary.assignments, [0, 0])
        XCTAssertEqual(Array(h.kinds("send").dropFirst(sendsBefore)),
                       [.send(stream: 1, sn: 1, path: 0), .send(stream: 1, sn: 2, path: 0)])
        XCTAssertEqual(h.primary.stats.resent, 2)
        h.settle()
        XCTAssertEqual(h.kinds("drop"), [.drop(stream: 1, sn: 1)])
        XCTAssertEqual(h.commits, [1, 2])
        XCTAssertEqual(h.primary.stats.sentPerPath, [2, 2])
        XCTAssertEqual(try h.violations(), [])
    }

    func testAnAckLostWithItsPathIsRecoveredByTheResend() throws {
        var h = MirrorHarness(streams: 2, paths: 2)
        h.up(0)
        h.up(1)
        let data = h.write(key: 0)  // (0,1) on path 0
        h.write(key: 1, deps: [data])  // (1,1) on path 1
        h.deliverAll(path: 1)
        h.deliverAll(path: 0)  // applies both; each stream is acked on its own path
        XCTAssertEqual(h.toPrimary[0], [.ack(epoch: 1, stream: 0, sn: 1, ackSeq: 7)])
        XCTAssertEqual(h.toPrimary[1], [.ack(epoch: 1, stream: 1, sn: 1, ackSeq: 8)])
        h.down(1)  // the ack of stream 1 is lost with path 1
        h.settle()
        XCTAssertEqual(h.kinds("drop"), [.drop(stream: 1, sn: 1)])
        XCTAssertEqual(h.commits.sorted(), [1, 2])
        XCTAssertEqual(try h.violations(), [])
    }

    func testAPathThatComesBackTakesStreamsAgain() throws {
        var h = MirrorHarness(streams: 4, paths: 2)
        h.up(0)
        h.up(1)
        XCTAssertEqual(h.primary.assignments, [0, 0, 1, 1], "path 1 takes the highest streams of path 0")
        h.down(1)
        XCTAssertEqual(h.primary.assignments, [0, 0, 0, 0])
        h.up(1)
        XCTAssertEqual(h.primary.assignments, [0, 0, 1, 1])
        for key: UInt64 in 0..<8 { h.write(key: key) }
        h.settle()
        XCTAssertEqual(h.primary.stats.sentPerPath, [4, 4])
        XCTAssertEqual(h.commits.count, 8)
        XCTAssertEqual(try h.violations(), [])
    }

    func testWithEveryPathDownThePrimaryIsDegradedAndCommitsNothing() throws {
        var h = MirrorHarness(streams: 2, paths: 2)
        h.up(0)
        h.up(1)
        h.write(key: 0)
        h.down(0)
        h.down(1)
        XCTAssertEqual(h.degraded, [true])
        XCTAssertTrue(h.primary.isDegraded)
        let sends = h.kinds("send").count
        h.write(key: 1)
        XCTAssertEqual(h.kinds("send").count, sends, "nothing is sent with no path up")
        XCTAssertEqual(h.commits, [])
        h.up(1)
        XCTAssertEqual(h.degraded, [true, false])
        h.settle()
        XCTAssertEqual(h.commits.sorted(), [1, 2])
        XCTAssertEqual(try h.violations(), [])
    }

    func testTakeoverServesEveryCommittedWrite() throws {
        var h = MirrorHarness(streams: 2, paths: 2)
        h.up(0)
        h.up(1)
        for key: UInt64 in 0..<6 { h.write(key: key) }
        h.settle()
        h.write(key: 0)  // lsn 7: applied, ack lost
        h.write(key: 1)  // lsn 8: never delivered
        h.deliverAll(path: 0)
        h.p(.crash)
        XCTAssertEqual(h.p(.write(.init(key: 3, payload: []))), [.rejected(.notServing(.crashed))])
        h.s(.pathDown(0))
        h.s(.pathDown(1))
        let takeover = h.s(.takeover)
        XCTAssertEqual(takeover.last, .tookOver(epoch: 2))
        XCTAssertEqual(h.commits.sorted(), [1, 2, 3, 4, 5, 6])
        let served = Set(h.persisted.map(\.lsn))
        XCTAssertTrue(Set(h.commits).isSubset(of: served))
        XCTAssertEqual(served, [1, 2, 3, 4, 5, 6, 7])
        XCTAssertEqual(try h.violations(), [])
    }

    func testAStalePrimaryIsFencedAndNeverOverwritesThePartner() throws {
        var h = MirrorHarness(streams: 1, paths: 1)
        h.up(0)
        h.write(key: 0)
        h.settle()
        h.write(key: 0)  // lsn 2: in the stale primary's log only
        h.down(0)
        h.p(.crash)
        h.s(.takeover)
        let eventsAtTakeover = h.events.count
        let persistedAtTakeover = h.persisted

        h.p(.restart)
        XCTAssertEqual(h.primary.mode, .rejoining)
        let attempt = h.p(.pathUp(0))
        h.s(.pathUp(0))
        XCTAssertEqual(attempt.compactMap { if case .note(let n) = $0 { n.name } else { nil } }, ["x-path", "x-send"])
        let refused = h.deliver(path: 0)
        XCTAssertEqual(refused.count, 2)
        guard case .note(let fence) = refused[0] else { return XCTFail("expected a note") }
        XCTAssertEqual(fence.name, "x-fence")
        XCTAssertEqual(fence.fields, [.init("stream", 0), .init("sn", 2), .init("path", 0),
                                      .init("epoch", 1), .init("current", 2)])
        XCTAssertEqual(refused[1], .send(path: 0, .fenced(epoch: 2)))
        h.returnAll()
        XCTAssertEqual(h.primary.mode, .fenced)
        XCTAssertEqual(h.fencedAt, 2)
        XCTAssertEqual(h.notes.last?.name, "x-fenced")

        // Nothing reached the partner's log, and the stale node recorded only x- notes.
        XCTAssertEqual(h.persisted, persistedAtTakeover)
        XCTAssertEqual(h.events.count, eventsAtTakeover + 1, "only the secondary's path event")
        XCTAssertEqual(h.commits, [1])
        XCTAssertEqual(h.p(.write(.init(key: 0, payload: []))), [.rejected(.notServing(.fenced))])
        XCTAssertTrue(h.notes.allSatisfy { $0.name.hasPrefix("x-") })
        var line: [UInt8] = []
        TraceEncoder.append(extension: h.notes.first!, to: &line)
        XCTAssertEqual(String(decoding: line, as: UTF8.self), "{\"node\":\"primary\",\"seq\":\(h.notes.first!.seq),\"ev\":\"x-restart\",\"epoch\":1}\n")
        XCTAssertEqual(try h.violations(), [])
    }

    func testASecondaryThatTookOverRefusesTheOldPrimaryStillRunning() throws {
        // A partition: the secondary took over while the primary kept running.
        var h = MirrorHarness(streams: 1, paths: 1)
        h.up(0)
        h.s(.takeover)
        h.write(key: 0)
        h.settle()
        XCTAssertEqual(h.primary.mode, .fenced)
        XCTAssertEqual(h.commits, [])
        XCTAssertEqual(h.persisted, [])
        XCTAssertEqual(try h.violations(), [])
    }

    func testSeededSchedulesWithFailuresAndReorderingObeyTheSpec() throws {
        for seed in 1...40 as ClosedRange<UInt64> {
            var rng = SplitMix(seed: seed)
            var h = MirrorHarness(streams: 3, paths: 3)
            for path in 0..<3 { h.up(path) }
            var lsns: [Int] = []
            for _ in 0..<60 {
                switch rng.next() % 10 {
                case 0...3:
                    let deps = lsns.isEmpty || rng.next() % 3 != 0 ? [] : [lsns[Int(rng.next() % UInt64(lsns.count))]]
                    lsns.append(h.write(key: rng.next() % 5, deps: deps))
                case 4...6:
                    let path = Int(rng.next() % 3)
                    if let queue = h.toSecondary[path], !queue.isEmpty {
                        h.deliver(path: path, index: queue.count > 1 && rng.next() % 4 == 0 ? 1 : 0)
                    }
                case 7:
                    h.returnAll()
                case 8:
                    h.down(Int(rng.next() % 3))
                default:
                    h.up(Int(rng.next() % 3))
                }
            }
            for path in 0..<3 { h.up(path) }
            h.settle()
            XCTAssertEqual(h.commits.count, lsns.count, "seed \(seed)")
            XCTAssertEqual(h.primary.unacknowledged, 0, "seed \(seed)")
            h.p(.crash)
            h.s(.takeover)
            XCTAssertEqual(try h.violations(), [], "seed \(seed)")
        }
    }
}

/// A small deterministic generator (SplitMix64) for seeded schedules.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
