import Mirror
import Trace
import XCTest

/// The cores on fixed input sequences: actions, trace events, and the spec's verdict.
final class MirrorCoreTests: XCTestCase {
    func testWriteIsSentAndCommittedOnlyAfterTheAck() throws {
        var h = MirrorHarness(streams: 1, paths: 1)
        let up = h.p(.pathUp(0))
        XCTAssertEqual(up, [
            .record(TraceEvent(node: "primary", seq: 1, kind: .path(path: 0, up: true))),
            .record(TraceEvent(node: "primary", seq: 2, kind: .assign(stream: 0, path: 0))),
        ])
        let write = h.p(.write(.init(key: 7, payload: [1, 2, 3])))
        XCTAssertEqual(write, [
            .record(TraceEvent(node: "primary", seq: 3, kind: .append(lsn: 1, stream: 0, sn: 1, deps: []))),
            .record(TraceEvent(node: "primary", seq: 4, kind: .send(stream: 0, sn: 1, path: 0))),
            .send(path: 0, .entry(MirrorEntryMessage(
                epoch: 1, sendSeq: 4, lsn: 1, key: 7, entry: entry(0, 1), deps: [], payload: [1, 2, 3]))),
        ])
        XCTAssertTrue(h.commits.isEmpty)

        let applied = h.deliver(path: 0)
        XCTAssertEqual(applied, [
            .record(TraceEvent(node: "secondary", seq: 1, kind: .recv(stream: 0, sn: 1, path: 0),
                               causes: [EventID(node: "primary", seq: 4)])),
            .record(TraceEvent(node: "secondary", seq: 2, kind: .apply(stream: 0, sn: 1))),
            .persist(MirrorRecord(lsn: 1, key: 7, entry: entry(0, 1), payload: [1, 2, 3])),
            .record(TraceEvent(node: "secondary", seq: 3, kind: .ack(stream: 0, sn: 1))),
            .send(path: 0, .ack(epoch: 1, stream: 0, sn: 1, ackSeq: 3)),
        ])
        let acked = h.p(.arrived(path: 0, h.toPrimary[0]!.removeFirst()))
        XCTAssertEqual(acked, [
            .record(TraceEvent(node: "primary", seq: 5, kind: .acked(stream: 0, sn: 1),
                               causes: [EventID(node: "secondary", seq: 3)])),
            .record(TraceEvent(node: "primary", seq: 6, kind: .commit(lsn: 1))),
            .commit(lsn: 1),
        ])
        XCTAssertEqual(try h.violations(), [])
    }

    func testSameKeySameStreamAndSnCountsUp() {
        var h = MirrorHarness(streams: 4, paths: 1)
        h.up(0)
        for key: UInt64 in [5, 9, 5, 2, 9, 5] { h.write(key: key) }
        let appends = h.kinds("append").map { kind -> [Int] in
            guard case let .append(lsn, stream, sn, _) = kind else { return [] }
            return [lsn, stream, sn]
        }
        XCTAssertEqual(appends, [[1, 1, 1], [2, 1, 2], [3, 1, 3], [4, 2, 1], [5, 1, 4], [6, 1, 5]])
    }

    func testReorderingAcrossPathsIsAppliedInStreamOrder() throws {
        var h = MirrorHarness(streams: 2, paths: 2)
        h.up(0)
        h.write(key: 1)  // (1,1) on path 0
        h.write(key: 1)  // (1,2) on path 0
        h.up(1)  // path 1 takes stream 1
        XCTAssertEqual(h.primary.assignments, [0, 1])
        h.write(key: 1)  // (1,3) on path 1
        h.deliverAll(path: 1)  // (1,3) overtakes: buffered, not applied
        XCTAssertEqual(h.kinds("apply"), [])
        XCTAssertEqual(h.secondary.buffered, 1)
        h.deliver(path: 0)
        h.deliver(path: 0)
        XCTAssertEqual(h.kinds("apply"), [.apply(stream: 1, sn: 1), .apply(stream: 1, sn: 2), .apply(stream: 1, sn: 3)])
        XCTAssertEqual(h.kinds("ack"), [.ack(stream: 1, sn: 1), .ack(stream: 1, sn: 3)])
        h.returnAll()
        XCTAssertEqual(h.commits, [1, 2, 3])
        XCTAssertEqual(try h.violations(), [])
    }

    func testDuplicatesAreDroppedAndAnAppliedOneIsAckedAgain() throws {
        var s = MirrorSecondary()
        let message = MirrorEntryMessage(epoch: 1, sendSeq: 4, lsn: 1, key: 0, entry: entry(0, 1), deps: [], payload: [])
        let second = MirrorEntryMessage(epoch: 1, sendSeq: 5, lsn: 2, key: 0, entry: entry(0, 2), deps: [], payload: [])
        _ = s.handle(.arrived(path: 0, .entry(second)))
        let again = s.handle(.arrived(path: 1, .entry(second)))  // buffered copy: dropped, no ack
        XCTAssertEqual(again, [
            .record(TraceEvent(node: "secondary", seq: 2, kind: .recv(stream: 0, sn: 2, path: 1),
                               causes: [EventID(node: "primary", seq: 5)])),
            .record(TraceEvent(node: "secondary", seq: 3, kind: .drop(stream: 0, sn: 2))),
        ])
        _ = s.handle(.arrived(path: 0, .entry(message)))
        XCTAssertEqual(s.applied(stream: 0), 2)
        let late = s.handle(.arrived(path: 1, .entry(message)))  // applied copy: dropped, acked again
        XCTAssertEqual(late, [
            .record(TraceEvent(node: "secondary", seq: 8, kind: .recv(stream: 0, sn: 1, path: 1),
                               causes: [EventID(node: "primary", seq: 4)])),
            .record(TraceEvent(node: "secondary", seq: 9, kind: .drop(stream: 0, sn: 1))),
            .record(TraceEvent(node: "secondary", seq: 10, kind: .ack(stream: 0, sn: 2))),
            .send(path: 1, .ack(epoch: 1, stream: 0, sn: 2, ackSeq: 10)),
        ])
        XCTAssertEqual(s.droppedCount, 2)
        XCTAssertEqual(s.appliedCount, 2)
    }

    func testBarrierHoldsMetadataUntilItsDataIsApplied() throws {
        var h = MirrorHarness(streams: 2, paths: 2)
        h.up(0)
        h.up(1)
        XCTAssertEqual(h.primary.assignments, [0, 1])
        let data = h.write(key: 0)  // (0,1) on path 0
        h.write(key: 1, deps: [data])  // (1,1) on path 1, after (0,1)
        XCTAssertEqual(h.kinds("append").last, .append(lsn: 2, stream: 1, sn: 1, deps: [entry(0, 1)]))
        h.deliverAll(path: 1)
        XCTAssertEqual(h.kinds("apply"), [])
        h.deliverAll(path: 0)
        XCTAssertEqual(h.kinds("apply"), [.apply(stream: 0, sn: 1), .apply(stream: 1, sn: 1)])
        h.returnAll()
        XCTAssertEqual(h.commits, [1, 2])
        XCTAssertEqual(try h.violations(), [])
    }

    func testDepsOnTheSameStreamOrCommittedRecordsAreImpliedAndUnknownOnesRejected() {
        var h = MirrorHarness(streams: 2, paths: 1)
        h.up(0)
        let first = h.write(key: 0)
        h.settle()
        h.write(key: 1, deps: [first])  // committed: already applied at the secondary
        h.write(key: 1, deps: [2])  // same stream: implied by order
        XCTAssertEqual(h.kinds("append").suffix(2), [
            .append(lsn: 2, stream: 1, sn: 1, deps: []), .append(lsn: 3, stream: 1, sn: 2, deps: []),
        ])
        XCTAssertEqual(h.p(.write(.init(key: 0, payload: [], deps: [9]))),
                       [.rejected(.unknownDependency(lsn: 9, latest: 3))])
    }

    func testSameInputsGiveTheSameActions() {
        func run() -> [TraceEvent] {
            var h = MirrorHarness(streams: 3, paths: 3)
            for path in 0..<3 { h.up(path) }
            for key: UInt64 in 0..<20 { h.write(key: key * 7, deps: key > 3 ? [Int(key) - 2] : []) }
            h.down(1)
            h.settle()
            return h.events
        }
        XCTAssertEqual(run(), run())
    }
}
