@testable import Specs
import Trace
import XCTest

/// Builds a `driver` trace in memory: the `driver` node's seq counts up from 1, in call order.
struct DriverTraceBuilder {
    /// The events, in seq order.
    private(set) var events: [TraceEvent] = []

    /// Appends an event and returns its id.
    @discardableResult
    mutating func add(_ kind: EventKind) -> EventID {
        events.append(TraceEvent(node: "driver", seq: events.count + 1, kind: kind))
        return EventID(node: "driver", seq: events.count)
    }

    /// `submit` of `id` on `iface`, writing 512 bytes at `id * 512`.
    mutating func submit(_ id: Int, iface: Int = 0, deps: [Int] = []) {
        add(.submit(iface: iface, id: id, off: id * 512, len: 512, deps: deps))
    }

    /// `stage` of `id` into region 0.
    mutating func stage(_ id: Int) { add(.stage(id: id, region: 0)) }

    /// `complete` of `id`.
    mutating func complete(_ id: Int) { add(.complete(id: id)) }

    /// `durable` of `id`.
    mutating func durable(_ id: Int) { add(.durable(id: id)) }

    /// `recovered` of `id`.
    mutating func recovered(_ id: Int) { add(.recovered(id: id)) }

    /// submit, stage, complete and durable of `id`.
    mutating func write(_ id: Int, iface: Int = 0, deps: [Int] = []) {
        submit(id, iface: iface, deps: deps)
        stage(id)
        complete(id)
        durable(id)
    }

    /// submit, stage and complete of `id`: buffered, not durable.
    mutating func buffer(_ id: Int, iface: Int = 0, deps: [Int] = []) {
        submit(id, iface: iface, deps: deps)
        stage(id)
        complete(id)
    }

    /// Replays the trace through `DriverSpec`.
    func check() throws -> SpecRunner.Outcome {
        try SpecRunner.run(DriverSpec.self, events: events)
    }
}


final class DriverSpecTests: XCTestCase {
    // MARK: - Passing traces

    func testPassingTraceAcrossACrash() throws {
        var t = DriverTraceBuilder()
        t.write(1, iface: 0)
        t.write(2, iface: 1)
        t.write(3, iface: 0, deps: [2])
        t.add(.sync(iface: 0))
        t.add(.syncDone(iface: 0))
        // Durable before its completion, then completed.
        t.submit(4, iface: 1)
        t.stage(4)
        t.durable(4)
        t.complete(4)
        // Buffered at the crash: lost, and it was not needed by anything.
        t.buffer(5, iface: 0)
        t.buffer(6, iface: 0)
        t.add(.sync(iface: 1))
        t.add(.crash)
        for id in [1, 2, 3, 4] { t.recovered(id) }
        t.add(.online)
        // The next epoch: iface 0's predecessor is request 3 (5 and 6 were lost).
        t.write(7, iface: 0, deps: [1])
        t.add(.sync(iface: 0))
        t.write(8, iface: 0)
        t.add(.syncDone(iface: 0))
        let outcome = try t.check()
        XCTAssertEqual(outcome.violations, [])
        XCTAssertGreaterThan(outcome.obligations, 0)
    }

    func testRecoveryThatReplaysBufferedRequestsPasses() throws {
        var t = DriverTraceBuilder()
        t.write(1)
        t.buffer(2)
        t.buffer(3, deps: [2])
        t.add(.crash)
        for id in [1, 2, 3] { t.recovered(id) }
        // Power lost again during recovery: the recovery starts over.
        t.add(.crash)
        for id in [1, 2, 3] { t.recovered(id) }
        t.add(.online)
        t.write(4)
        XCTAssertEqual(try t.check().violations, [])
    }

    func testMemoryKeepsACompactRecordPerRequestOfTheEpoch() {
        var spec = DriverSpec()
        let sink = TrustingSink()
        var seq = 0
        func feed(_ kind: EventKind) {
            seq += 1
            spec.observe(TraceEvent(node: "driver", seq: seq, kind: kind), sink: sink)
        }
        for epoch in 0..<3 {
            for k in 1...10_000 {
                let id = epoch * 10_000 + k
                feed(.submit(iface: k % 4, id: id, off: 0, len: 8, deps: k > 4 ? [id - 4] : []))
                feed(.stage(id: id, region: 0))
                feed(.complete(id: id))
                feed(.durable(id: id))
                if k % 100 == 0 { feed(.sync(iface: k % 4)); feed(.syncDone(iface: k % 4)) }
            }
            XCTAssertEqual(spec.requests.count, 0)
            XCTAssertEqual(spec.settled.count, 10_000)
            feed(.crash)
            for k in 1...10_000 { feed(.recovered(id: epoch * 10_000 + k)) }
            feed(.online)
            XCTAssertEqual(spec.settled.count, 0)
        }
        spec.finish(sink: sink)
        XCTAssertEqual(sink.violations, [])
    }

    func testAnEarlierArrivalLostIsForgottenButADepLostIsNeverDurable() throws {
        var t = DriverTraceBuilder()
        t.buffer(1)
        t.add(.crash)
        t.add(.online)
        // An online outside a recovery changes nothing.
        t.add(.online)
        // Request 1 was submitted before 2 on iface 0 and lost: forgiven.
        t.write(2)
        t.add(.sync(iface: 0))
        t.add(.syncDone(iface: 0))
        XCTAssertEqual(try t.check().violations, [])
        // As a dep, a lost request is never durable: durable(3) breaks driver.order.
        t.write(3, iface: 1, deps: [1])
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.driverOrder])
        XCTAssertEqual(outcome.violations.map(\.message), [
            "request 3 became durable at driver#16, but its dep 1 was lost at the crash at driver#4 of its "
                + "epoch (not recovered after it) and not submitted again, so it is never durable",
        ])
        XCTAssertEqual(outcome.violations.first?.events.map(\.id.seq), [16, 13, 4])
    }

    func testDurableWaitingForADepThatIsThenLostBreaksOrder() throws {
        var t = DriverTraceBuilder()
        t.buffer(1, iface: 1)
        t.write(2, iface: 0, deps: [1])  // 1 is not durable yet: waits, and 1 is lost at the crash
        t.add(.crash)
        t.recovered(2)
        t.add(.online)
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.driverOrder, .driverRecoveredPrefix])
        let order = outcome.violations.filter { $0.invariant == .driverOrder }
        XCTAssertEqual(order.map(\.message), [
            "request 2 became durable at driver#7, but its dep 1 was not durable then and was lost at the "
                + "crash at driver#8 (not recovered by the online at driver#10), so it is never durable",
        ])
    }

    func testRecoveredRequestWhoseDepWasLostInAnEarlierEpochBreaksRecoveredPrefix() throws {
        var t = DriverTraceBuilder()
        t.buffer(1)
        t.add(.crash)
        t.add(.online)
        t.buffer(2, iface: 1, deps: [1])
        t.add(.crash)
        t.recovered(2)
        t.add(.online)
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.driverRecoveredPrefix])
        XCTAssertEqual(outcome.violations.count, 1)
        XCTAssertTrue(outcome.violations[0].message.contains("its dep 1 was lost at the crash at driver#4"),
                      outcome.violations[0].message)
    }

    func testEventsOfALostRequestBreakLifecycle() throws {
        var t = DriverTraceBuilder()
        t.submit(1)
        t.stage(1)
        t.add(.crash)
        t.add(.online)
        t.complete(1)
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.driverLifecycle])
        XCTAssertEqual(outcome.violations.first?.message,
                       "request 1 is completed at driver#5, but it was lost at an earlier crash "
                        + "(not recovered after its epoch's crash)")
    }

    // MARK: - driver.lifecycle

    func testIdSubmittedTwiceBreaksLifecycle() throws {
        var t = DriverTraceBuilder()
        t.write(1)
        t.submit(1, iface: 1)
        XCTAssertEqual(try t.check().brokenInvariants, [.driverLifecycle])
    }

    func testEventsWithoutASubmitBreakLifecycle() throws {
        for kind in [EventKind.stage(id: 9, region: 0), .complete(id: 9), .durable(id: 9)] {
            var t = DriverTraceBuilder()
            t.add(kind)
            XCTAssertEqual(try t.check().brokenInvariants, [.driverLifecycle], "\(kind)")
        }
        var t = DriverTraceBuilder()
        t.add(.crash)
        t.recovered(9)
        t.add(.online)
        XCTAssertEqual(try t.check().brokenInvariants, [.driverLifecycle])
    }

    func testStepsOutOfOrderOrRepeatedBreakLifecycle() throws {
        var t = DriverTraceBuilder()
        t.submit(1)
        t.complete(1)
        t.stage(1)
        t.durable(1)
        var outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.driverLifecycle])
        XCTAssertEqual(outcome.violations.map(\.message), ["request 1 is completed at driver#2 before it was staged"])

        t = DriverTraceBuilder()
        t.write(1)
        t.durable(1)
        t.complete(1)
        t.stage(1)
        outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.driverLifecycle])
        XCTAssertEqual(outcome.violations.count, 3)
    }

    func testServingBetweenCrashAndOnlineBreaksLifecycle() throws {
        var t = DriverTraceBuilder()
        t.write(1)
        t.add(.crash)
        t.recovered(1)
        t.submit(2)
        t.stage(2)
        t.add(.online)
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.driverLifecycle])
        XCTAssertEqual(outcome.violations.count, 1)
    }

    func testRecoveredWithoutACrashBreaksNothing() throws {
        var t = DriverTraceBuilder()
        t.write(1)
        t.recovered(1)
        t.add(.crash)
        t.recovered(1)
        t.add(.online)
        t.recovered(1)
        XCTAssertEqual(try t.check().violations, [])
    }

    func testRecoveredWithoutACrashMakesTheRequestDurable() throws {
        var t = DriverTraceBuilder()
        t.buffer(1)
        t.recovered(1)
        t.write(2)  // request 1 is durable from its recovered event on
        t.add(.sync(iface: 0))
        t.add(.syncDone(iface: 0))
        t.durable(1)  // its own durable: allowed once, after its stage
        XCTAssertEqual(try t.check().violations, [])
    }

    func testSurvivorMayCompleteAndBecomeDurableAfterOnline() throws {
        var t = DriverTraceBuilder()
        t.submit(1)
        t.stage(1)
        t.submit(2, iface: 1)
        t.add(.crash)
        t.recovered(1)  // replayed: it survives
        t.recovered(2)
        t.add(.online)
        t.complete(1)
        t.durable(1)
        t.stage(2)  // a survivor never staged may still be staged, then the rest
        t.durable(2)
        t.complete(2)
        t.write(3)
        XCTAssertEqual(try t.check().violations, [])
    }

    func testSurvivorStepsOutOfOrderOrRepeatedBreakLifecycle() throws {
        var t = DriverTraceBuilder()
        t.submit(1)
        t.stage(1)
        t.add(.crash)
        t.recovered(1)
        t.add(.online)
        t.complete(1)
        t.complete(1)
        var outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.driverLifecycle])
        XCTAssertEqual(outcome.violations.map(\.message), ["request 1 is completed a second time at driver#7"])

        t = DriverTraceBuilder()
        t.write(1)
        t.add(.crash)
        t.recovered(1)
        t.add(.online)
        t.durable(1)
        outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.driverLifecycle])
        XCTAssertEqual(outcome.violations.count, 1)
    }

    func testSurvivorsLateDurableWithALostDepBreaksOrder() throws {
        var t = DriverTraceBuilder()
        t.buffer(1)
        t.submit(2, iface: 1, deps: [1])
        t.stage(2)
        t.add(.crash)
        t.recovered(2)  // its dep 1 is lost: recovered-prefix
        t.add(.online)
        t.complete(2)
        t.durable(2)  // its dep 1 is never durable: order
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.driverOrder, .driverRecoveredPrefix])
        XCTAssertEqual(outcome.violations.count, 2)
    }

    func testRecoveredOfARequestLostAtAnEarlierCrashBreaksLifecycle() throws {
        var t = DriverTraceBuilder()
        t.buffer(1)
        t.add(.crash)
        t.add(.online)
        t.add(.crash)
        t.recovered(1)
        t.add(.online)
        XCTAssertEqual(try t.check().brokenInvariants, [.driverLifecycle])
    }

    func testRecoveredAgainAfterALaterCrashIsAllowed() throws {
        var t = DriverTraceBuilder()
        t.write(1)
        t.add(.crash)
        t.recovered(1)
        t.add(.online)
        t.add(.crash)
        t.recovered(1)
        t.add(.online)
        XCTAssertEqual(try t.check().violations, [])
    }

    func testRecoveredTwiceInOneRecoveryIsAllowed() throws {
        var t = DriverTraceBuilder()
        t.write(1)
        t.add(.crash)
        t.recovered(1)
        t.recovered(1)
        t.add(.online)
        XCTAssertEqual(try t.check().violations, [])
    }
}
