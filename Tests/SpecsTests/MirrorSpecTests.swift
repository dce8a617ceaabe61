@testable import Specs
import Trace
import XCTest

/// Builds a `mirror` trace in memory: each node's seq counts up from 1, in call order.
private struct MirrorTraceBuilder: TraceBuilding {
    var events: [TraceEvent] = []

    /// An event of the primary.
    @discardableResult
    mutating func p(_ kind: EventKind, causes: [EventID] = []) -> EventID { add("primary", kind, causes: causes) }

    /// An event of the secondary.
    @discardableResult
    mutating func s(_ kind: EventKind, causes: [EventID] = []) -> EventID { add("secondary", kind, causes: causes) }

    /// `append` on the primary.
    @discardableResult
    mutating func append(_ lsn: Int, _ stream: Int, _ sn: Int, deps: [StreamEntry] = []) -> EventID {
        p(.append(lsn: lsn, stream: stream, sn: sn, deps: deps))
    }

    /// `send` on the primary and its `recv` on the secondary (caused by it); returns the recv.
    @discardableResult
    mutating func transfer(_ stream: Int, _ sn: Int, path: Int = 0) -> EventID {
        let send = p(.send(stream: stream, sn: sn, path: path))
        return s(.recv(stream: stream, sn: sn, path: path), causes: [send])
    }

    /// `ack` on the secondary and its `acked` on the primary (caused by it); returns the acked.
    @discardableResult
    mutating func acknowledge(_ stream: Int, _ sn: Int) -> EventID {
        let ack = s(.ack(stream: stream, sn: sn))
        return p(.acked(stream: stream, sn: sn), causes: [ack])
    }

    /// A whole record, correctly mirrored: append, send, recv, apply, ack, acked, commit.
    mutating func record(_ lsn: Int, _ stream: Int, _ sn: Int, path: Int = 0, deps: [StreamEntry] = []) {
        append(lsn, stream, sn, deps: deps)
        transfer(stream, sn, path: path)
        s(.apply(stream: stream, sn: sn))
        acknowledge(stream, sn)
        p(.commit(lsn: lsn))
    }

    /// A record assigned to path 0, appended with `deps`, sent, received and applied (not
    /// acknowledged or committed).
    mutating func applied(_ lsn: Int, _ stream: Int, _ sn: Int, deps: [StreamEntry]) {
        p(.assign(stream: stream, path: 0))
        append(lsn, stream, sn, deps: deps)
        transfer(stream, sn)
        s(.apply(stream: stream, sn: sn))
    }

    /// Replays the trace through `MirrorSpec`.
    func check() throws -> SpecRunner.Outcome {
        try SpecRunner.run(MirrorSpec.self, events: events)
    }
}


private func entry(_ stream: Int, _ sn: Int) -> StreamEntry { StreamEntry(stream: stream, sn: sn) }

/// Replays `events` (already in a linearization of happens-before) and returns the spec's state.
private func runSpec(_ events: [TraceEvent]) throws -> MirrorSpec {
    var spec = MirrorSpec()
    let sink = TrustingSink()
    for event in try HappensBeforeGraph(events: events).linearized { spec.observe(event, sink: sink) }
    spec.finish(sink: sink)
    return spec
}

final class MirrorSpecTests: XCTestCase {
    // MARK: - Passing traces

    func testPassingTraceWithBarrierPathFailureAndTakeover() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        t.p(.assign(stream: 2, path: 1))
        t.p(.path(path: 0, up: true))
        t.record(10, 1, 1)
        t.record(11, 2, 1, path: 1, deps: [entry(1, 1)])
        t.record(12, 1, 2)
        // Path 1 fails; stream 2 moves to path 0, and an entry is resent there.
        t.append(13, 2, 2)
        t.transfer(2, 2, path: 1)
        t.p(.path(path: 1, up: false))
        t.s(.path(path: 1, up: false))
        t.p(.assign(stream: 2, path: 0))
        t.transfer(2, 2, path: 0)
        t.s(.apply(stream: 2, sn: 2))
        t.s(.drop(stream: 2, sn: 2))
        let acked = t.acknowledge(2, 2)
        t.p(.commit(lsn: 13), causes: [acked])
        // An entry appended but never committed is not lost by the takeover.
        t.append(14, 1, 3)
        t.p(.crash)
        t.s(.takeover)
        let outcome = try t.check()
        XCTAssertEqual(outcome.violations, [])
        XCTAssertGreaterThan(outcome.obligations, 0)
    }

    func testCommitObservedAfterTheTakeoverOfAnAppliedRecordPasses() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        t.append(1, 1, 1)
        t.transfer(1, 1)
        t.s(.apply(stream: 1, sn: 1))
        let ack = t.s(.ack(stream: 1, sn: 1))
        t.s(.takeover)
        t.p(.acked(stream: 1, sn: 1), causes: [ack])
        t.p(.commit(lsn: 1))
        XCTAssertEqual(try t.check().violations, [])
    }

    func testMemoryStaysProportionalToTheEntriesInFlight() {
        var spec = MirrorSpec()
        let sink = TrustingSink()
        var seq = (primary: 0, secondary: 0)
        func feed(_ node: String, _ kind: EventKind) {
            let n: Int
            if node == "primary" { seq.primary += 1; n = seq.primary } else { seq.secondary += 1; n = seq.secondary }
            spec.observe(TraceEvent(node: node, seq: n, kind: kind), sink: sink)
        }
        feed("primary", .assign(stream: 0, path: 0))
        feed("primary", .assign(stream: 1, path: 1))
        for lsn in 1...20_000 {
            let stream = lsn % 2, sn = (lsn + 1) / 2
            let deps = stream == 1 && sn > 1 ? [entry(0, sn - 1)] : []
            feed("primary", .append(lsn: lsn, stream: stream, sn: sn, deps: deps))
            feed("primary", .send(stream: stream, sn: sn, path: stream))
            feed("secondary", .recv(stream: stream, sn: sn, path: stream))
            feed("secondary", .apply(stream: stream, sn: sn))
            feed("secondary", .ack(stream: stream, sn: sn))
            feed("primary", .acked(stream: stream, sn: sn))
            feed("primary", .commit(lsn: lsn))
        }
        spec.finish(sink: sink)
        XCTAssertEqual(sink.violations, [])
        XCTAssertEqual(spec.entries.count, 0)
        XCTAssertEqual(spec.uncommitted.count, 0)
        XCTAssertEqual(spec.streams.count, 2)
    }

    func testReAckAndResendOfForgottenEntriesPass() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        for sn in 1...3 { t.record(sn, 1, sn) }
        // All three are forgotten by now; a late duplicate arrives and is dropped, and the
        // secondary acknowledges sn 2 again.
        t.transfer(1, 2)
        t.s(.drop(stream: 1, sn: 2))
        t.acknowledge(1, 2)
        t.p(.commit(lsn: 2))
        XCTAssertEqual(try t.check().violations, [])
    }

    func testKeySetRemembersKeysInAnyOrder() {
        var keys = IntKeySet()
        for key in [5, 6, 7, 9, 3, 8, 100, 4, 0] { XCTAssertTrue(keys.insert(key), "\(key)") }
        for key in [5, 6, 7, 9, 3, 8, 100, 4, 0] { XCTAssertFalse(keys.insert(key), "\(key)") }
        for key in [1, 2, 10, 99, 101, -1] { XCTAssertFalse(keys.contains(key), "\(key)") }
        XCTAssertTrue(keys.contains(8))
    }

    // MARK: - mirror.stream-order

    func testApplyWithAGapBreaksStreamOrder() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 3, path: 0))
        t.append(1, 3, 1)
        t.append(2, 3, 2)
        t.transfer(3, 2)
        t.s(.apply(stream: 3, sn: 2))
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.mirrorStreamOrder])
        XCTAssertEqual(outcome.violations.first?.message.contains("next expected sn is 1"), true)
    }

    func testApplyOutOfOrderAndTwiceBreaksStreamOrder() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        for sn in 1...3 { t.append(sn, 1, sn) }
        for sn in [1, 3, 2] { t.transfer(1, sn) }
        for sn in [1, 3, 2, 2] { t.s(.apply(stream: 1, sn: sn)) }
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.mirrorStreamOrder])
        // sn 3 skips 2, sn 2 comes after 3, and sn 2 again.
        XCTAssertEqual(outcome.violations.count, 3)
    }

    func testLSNAppendedTwiceBreaksStreamOrder() throws {
        var t = MirrorTraceBuilder()
        t.append(7, 1, 1)
        t.append(7, 1, 2)
        XCTAssertEqual(try t.check().brokenInvariants, [.mirrorStreamOrder])
    }

    func testEntryAppendedTwiceBreaksStreamOrder() throws {
        var t = MirrorTraceBuilder()
        t.append(7, 1, 1)
        t.append(8, 1, 1)
        XCTAssertEqual(try t.check().brokenInvariants, [.mirrorStreamOrder])
    }

    // MARK: - mirror.apply-after-recv

    func testApplyWithoutRecvBreaksApplyAfterRecv() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        t.append(1, 1, 1)
        t.p(.send(stream: 1, sn: 1, path: 0))
        t.s(.apply(stream: 1, sn: 1))
        t.s(.recv(stream: 1, sn: 1, path: 0))
        XCTAssertEqual(try t.check().brokenInvariants, [.mirrorApplyAfterRecv])
    }

    // MARK: - mirror.barrier

    func testDependentAppliedBeforeItsDepBreaksBarrier() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        t.p(.assign(stream: 2, path: 0))
        t.append(1, 1, 1)
        t.append(2, 2, 1, deps: [entry(1, 1)])
        t.transfer(1, 1)
        t.transfer(2, 1)
        t.s(.apply(stream: 2, sn: 1))
        t.s(.apply(stream: 1, sn: 1))
        XCTAssertEqual(try t.check().brokenInvariants, [.mirrorBarrier])
    }

    func testDepThatIsNeverAppliedBreaksBarrier() throws {
        var t = MirrorTraceBuilder()
        t.applied(2, 2, 1, deps: [entry(1, 1)])
        XCTAssertEqual(try t.check().brokenInvariants, [.mirrorBarrier])
    }

    /// The secondary's events come first and carry no causes: each apply is observed before the
    /// append that names its deps.
    func testBarrierIsJudgedWhenTheAppendIsObservedAfterTheApply() throws {
        for depFirst in [true, false] {
            var t = MirrorTraceBuilder()
            t.s(.recv(stream: 1, sn: 1, path: 0))
            t.s(.recv(stream: 2, sn: 1, path: 0))
            if depFirst { t.s(.apply(stream: 1, sn: 1)) }
            t.s(.apply(stream: 2, sn: 1))
            if !depFirst { t.s(.apply(stream: 1, sn: 1)) }
            t.append(1, 1, 1)
            t.append(2, 2, 1, deps: [entry(1, 1)])
            XCTAssertEqual(try t.check().brokenInvariants, depFirst ? [] : [.mirrorBarrier], "dep first: \(depFirst)")
        }
    }

    /// An entry that names itself as a dep breaks the barrier, and its own apply releases the
    /// pin it put on itself once: the state then equals that of an entry with no dep.
    func testAnEntryThatIsItsOwnDepIsJudgedAndUnpinnedOnce() throws {
        var t = MirrorTraceBuilder()
        t.applied(1, 1, 1, deps: [entry(1, 1)])
        XCTAssertEqual(try t.check().brokenInvariants, [.mirrorBarrier])
        let spec = try runSpec(t.events)
        XCTAssertEqual(spec.entries[entry(1, 1)]?.pins, 0)
        XCTAssertNotNil(spec.entries[entry(1, 1)]?.apply)
    }

    func testLateBarrierFindsADepAppliedAndForgottenAfterTheEntry() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        t.s(.recv(stream: 2, sn: 1, path: 0))
        t.s(.apply(stream: 2, sn: 1))
        // (1,1) is appended, applied after (2,1), acknowledged and committed (forgotten) before
        // the append of (2,1) names it as a dep.
        t.record(1, 1, 1)
        t.append(2, 2, 1, deps: [entry(1, 1)])
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.mirrorBarrier])
        XCTAssertEqual(outcome.violations.first?.events.map(\.id),
                       [EventID(node: "secondary", seq: 4), EventID(node: "secondary", seq: 2)])
        XCTAssertNil(try runSpec(t.events).lateSession)
    }

    func testDepAppliedLongBeforeTheAppendSatisfiesBarrier() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        t.p(.assign(stream: 2, path: 0))
        t.record(1, 1, 1)
        t.record(2, 1, 2)
        // (1,1) is applied, acknowledged and committed (forgotten) before (2,1) names it.
        t.record(3, 2, 1, deps: [entry(1, 1), entry(1, 2)])
        let outcome = try t.check()
        XCTAssertEqual(outcome.violations, [])
    }

    // MARK: - mirror.assigned-path

    func testSendBeforeAnyAssignBreaksAssignedPath() throws {
        var t = MirrorTraceBuilder()
        t.append(1, 1, 1)
        t.p(.send(stream: 1, sn: 1, path: 0))
        t.p(.assign(stream: 1, path: 0))
        XCTAssertEqual(try t.check().brokenInvariants, [.mirrorAssignedPath])
    }

    func testSendOnAnotherPathBreaksAssignedPath() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        t.p(.assign(stream: 1, path: 2))
        t.append(1, 1, 1)
        t.p(.send(stream: 1, sn: 1, path: 0))
        XCTAssertEqual(try t.check().brokenInvariants, [.mirrorAssignedPath])
    }

    func testSendOnAPathThePrimarySawGoDownBreaksAssignedPath() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        t.p(.path(path: 0, up: false))
        t.append(1, 1, 1)
        t.p(.send(stream: 1, sn: 1, path: 0))
        XCTAssertEqual(try t.check().brokenInvariants, [.mirrorAssignedPath])
    }

    func testOnlyThePrimarysPathEventsCount() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        t.p(.path(path: 0, up: false))
        t.s(.path(path: 0, up: true))
        t.p(.path(path: 0, up: true))
        t.s(.path(path: 0, up: false))
        t.append(1, 1, 1)
        t.p(.send(stream: 1, sn: 1, path: 0))
        XCTAssertEqual(try t.check().violations, [])
    }

    // MARK: - mirror.ack-after-apply

    func testAckBeforeApplyBreaksAckAfterApply() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        t.append(1, 1, 1)
        t.transfer(1, 1)
        t.s(.ack(stream: 1, sn: 1))
        t.s(.apply(stream: 1, sn: 1))
        XCTAssertEqual(try t.check().brokenInvariants, [.mirrorAckAfterApply])
    }

    func testCumulativeAckOverAGapBreaksAckAfterApply() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        t.append(1, 1, 1)
        t.append(2, 1, 2)
        t.append(3, 1, 3)
        t.transfer(1, 1)
        t.transfer(1, 3)
        t.s(.apply(stream: 1, sn: 1))
        t.s(.apply(stream: 1, sn: 3))
        t.s(.ack(stream: 1, sn: 3))
        // sn 3 skipped sn 2 (stream order); acknowledging up to 3 claims sn 2 too.
        XCTAssertEqual(try t.check().brokenInvariants, [.mirrorStreamOrder, .mirrorAckAfterApply])
    }

    // MARK: - mirror.commit-after-mirror

    func testCommitWithoutACausalPathFromTheApplyBreaksCommitAfterMirror() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        t.append(1, 1, 1)
        t.transfer(1, 1)
        t.s(.apply(stream: 1, sn: 1))
        t.s(.ack(stream: 1, sn: 1))
        // The primary commits without having heard the ack: the apply is earlier in line order
        // only, not in happens-before.
        t.p(.commit(lsn: 1))
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.mirrorCommitAfterMirror])
        XCTAssertEqual(outcome.violations.first?.events.map(\.id),
                       [EventID(node: "secondary", seq: 2), EventID(node: "primary", seq: 4)])
    }

    func testCommitBeforeTheApplyBreaksCommitAfterMirror() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        t.append(1, 1, 1)
        let send = t.p(.send(stream: 1, sn: 1, path: 0))
        t.p(.commit(lsn: 1))
        t.s(.recv(stream: 1, sn: 1, path: 0), causes: [send])
        t.s(.apply(stream: 1, sn: 1))
        XCTAssertEqual(try t.check().brokenInvariants, [.mirrorCommitAfterMirror])
    }

    func testCommitOfARecordNeverAppliedBreaksCommitAfterMirror() throws {
        var t = MirrorTraceBuilder()
        t.append(1, 1, 1)
        t.p(.commit(lsn: 1))
        XCTAssertEqual(try t.check().brokenInvariants, [.mirrorCommitAfterMirror])
    }

    func testCommitOfAnLSNNeverAppendedBreaksCommitAfterMirror() throws {
        var t = MirrorTraceBuilder()
        t.p(.commit(lsn: 42))
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.mirrorCommitAfterMirror])
        XCTAssertEqual(outcome.violations.first?.message, "lsn 42 was committed at primary#1 but never appended")
    }

    // MARK: - mirror.no-loss

    func testCommittedRecordAppliedAfterTheTakeoverBreaksNoLoss() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        t.append(1, 1, 1)
        t.transfer(1, 1)
        t.s(.takeover)
        t.s(.apply(stream: 1, sn: 1))
        let acked = t.acknowledge(1, 1)
        t.p(.commit(lsn: 1), causes: [acked])
        XCTAssertEqual(try t.check().brokenInvariants, [.mirrorNoLoss])
    }

    func testRecordCommittedBeforeTheTakeoverButNeverAppliedBreaksNoLoss() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        t.append(1, 1, 1)
        let commit = t.p(.commit(lsn: 1))
        t.s(.takeover, causes: [commit])
        XCTAssertEqual(try t.check().brokenInvariants, [.mirrorCommitAfterMirror, .mirrorNoLoss])
    }

    func testCommitConcurrentWithTheTakeoverCountsAgainstIt() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        t.s(.takeover)
        t.append(1, 1, 1)
        t.p(.commit(lsn: 1))
        XCTAssertEqual(try t.check().brokenInvariants, [.mirrorCommitAfterMirror, .mirrorNoLoss])
    }

    func testCommittedRecordsAppliedBeforeTheTakeoverPass() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        t.record(1, 1, 1)
        t.record(2, 1, 2)
        t.record(3, 1, 3)
        let before = try t.check().obligations
        t.s(.takeover)
        let outcome = try t.check()
        XCTAssertEqual(outcome.violations, [])
        // One obligation for the stream covers its three committed entries.
        XCTAssertEqual(outcome.obligations, before + 1)
    }

    // MARK: - mirror.dead-node

    func testEventsAfterACrashBreakDeadNode() throws {
        var t = MirrorTraceBuilder()
        t.p(.assign(stream: 1, path: 0))
        t.p(.crash)
        t.append(1, 1, 1)
        t.p(.assign(stream: 1, path: 1))
        t.s(.crash)
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.mirrorDeadNode])
        XCTAssertEqual(outcome.violations.count, 1)
        XCTAssertEqual(outcome.violations.first?.message,
                       "primary recorded append at primary#3 after its own crash at primary#2 (2 events in all)")
    }
}
