import Specs
import Trace
import XCTest

/// Builds a `recovery` trace in memory: each node's seq counts up from 1, in call order.
struct RecoveryTraceBuilder: TraceBuilding {
    var events: [TraceEvent] = []

    /// An event of the framework.
    @discardableResult
    mutating func fw(_ kind: EventKind, causes: [EventID] = []) -> EventID {
        add("framework", kind, causes: causes)
    }

    /// An accepted registration.
    @discardableResult
    mutating func register(
        _ consumer: String, deps: [String] = [], after: [String] = [], logs: [String] = []
    ) -> EventID {
        fw(.register(consumer: consumer, deps: deps, after: after, logs: logs))
    }

    /// `notify` on the framework.
    @discardableResult
    mutating func notify(_ consumer: String) -> EventID { fw(.notify(consumer: consumer)) }

    /// `start` on `worker`, caused by `notify`.
    @discardableResult
    mutating func start(_ consumer: String, on worker: String, notify: EventID?) -> EventID {
        add(worker, .start(consumer: consumer), causes: notify.map { [$0] } ?? [])
    }

    /// `end` on `worker`.
    @discardableResult
    mutating func end(_ consumer: String, on worker: String, ok: Bool = true, causes: [EventID] = []) -> EventID {
        add(worker, .end(consumer: consumer, ok: ok, reason: ok ? nil : "failed"), causes: causes)
    }

    /// `observe` on the framework, caused by the worker's `end`.
    @discardableResult
    mutating func observe(_ consumer: String, end: EventID) -> EventID {
        fw(.observe(consumer: consumer), causes: [end])
    }

    /// A whole walk of one consumer: notify, start and end on `worker`, observe.
    mutating func walk(_ consumer: String, on worker: String, ok: Bool = true) {
        let notify = notify(consumer)
        start(consumer, on: worker, notify: notify)
        let end = end(consumer, on: worker, ok: ok)
        observe(consumer, end: end)
    }

    /// Replays the trace through `RecoverySpec`.
    func check() throws -> SpecRunner.Outcome {
        try SpecRunner.run(RecoverySpec.self, events: events)
    }
}

final class RecoverySpecTests: XCTestCase {
    // MARK: - Passing runs

    func testPassingRunWithWorkersOnSeparateNodes() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("log-replay", deps: ["journal"])
        t.register("volumes", deps: ["log-replay"])
        t.register("scrub")
        t.fw(.begin)
        let notifyJournal = t.notify("journal")
        let notifyScrub = t.notify("scrub")
        t.start("journal", on: "w1", notify: notifyJournal)
        t.start("scrub", on: "w3", notify: notifyScrub)
        let endJournal = t.end("journal", on: "w1")
        t.observe("journal", end: endJournal)
        t.walk("log-replay", on: "w2")
        let notifyVolumes = t.notify("volumes")
        t.start("volumes", on: "w1", notify: notifyVolumes)
        let endScrub = t.end("scrub", on: "w3")
        let observeScrub = t.observe("scrub", end: endScrub)
        let endVolumes = t.end("volumes", on: "w1")
        let observeVolumes = t.observe("volumes", end: endVolumes)
        t.fw(.done(ok: true), causes: [observeScrub, observeVolumes])

        let outcome = try t.check()
        XCTAssertEqual(outcome.violations, [])
        XCTAssertGreaterThan(outcome.obligations, 0)
    }

    func testFailureSkipsDependentsTransitively() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("log-replay", deps: ["journal"])
        t.register("volumes", deps: ["log-replay"])
        t.register("scrub")
        t.fw(.begin)
        t.walk("journal", on: "w1", ok: false)
        t.fw(.skip(consumer: "log-replay"))
        t.fw(.skip(consumer: "volumes"))
        t.walk("scrub", on: "w2")
        t.fw(.done(ok: false))

        XCTAssertEqual(try t.check().violations, [])
    }

    func testFrameworkTimeoutEndNeedsNoWorkerEnd() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("volumes", deps: ["journal"])
        t.fw(.begin)
        let notify = t.notify("journal")
        t.start("journal", on: "w1", notify: notify)
        t.fw(.end(consumer: "journal", ok: false, reason: "timeout"))
        t.fw(.skip(consumer: "volumes"))
        t.fw(.done(ok: false))

        XCTAssertEqual(try t.check().violations, [])
    }

    func testAfterAndLogsDependenciesHonoured() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("cache", after: ["journal"])
        t.register("replay", logs: ["journal"])
        t.fw(.begin)
        let notifyJournal = t.notify("journal")
        let notifyReplay = t.notify("replay")  // may start early: it only waits per log
        t.start("journal", on: "w1", notify: notifyJournal)
        t.add("w1", .tag(consumer: "journal", log: "nvlog"))
        t.start("replay", on: "w2", notify: notifyReplay)
        let untag = t.add("w1", .untag(consumer: "journal", log: "nvlog"))
        t.add("w2", .process(consumer: "replay", log: "nvlog"), causes: [untag])
        let endJournal = t.end("journal", on: "w1")
        t.observe("journal", end: endJournal)
        t.walk("cache", on: "w3")
        let endReplay = t.end("replay", on: "w2")
        t.observe("replay", end: endReplay)
        t.fw(.done(ok: true))

        let outcome = try t.check()
        XCTAssertEqual(outcome.violations, [])
    }

    func testAfterIsSatisfiedBySkip() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("replay", deps: ["journal"])
        t.register("cache", after: ["replay"])
        t.fw(.begin)
        t.walk("journal", on: "w1", ok: false)
        t.fw(.skip(consumer: "replay"))
        t.walk("cache", on: "w2")
        t.fw(.done(ok: false))

        XCTAssertEqual(try t.check().violations, [])
    }

    func testLogNeverUntaggedIsReleasedByTheTaggersEnd() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("replay", logs: ["journal"])
        t.fw(.tag(consumer: "journal", log: "nvlog"))  // the framework tags at registration
        t.fw(.begin)
        t.walk("journal", on: "w1")
        let notify = t.notify("replay")  // after observing journal's end
        t.start("replay", on: "w2", notify: notify)
        t.add("w2", .process(consumer: "replay", log: "nvlog"))
        let end = t.end("replay", on: "w2")
        t.observe("replay", end: end)
        t.fw(.done(ok: true))

        XCTAssertEqual(try t.check().violations, [])
    }

    func testTwoRunsWithACrashBetween() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("volumes", deps: ["journal"])
        t.fw(.begin)
        let notify1 = t.notify("journal")
        t.start("journal", on: "w1", notify: notify1)
        t.fw(.crash)
        // Run 1 never reached done: volumes never running is not judged. The worker's end of run 1
        // comes after the crash but not after run 2's begin, so it belongs to run 1.
        t.end("journal", on: "w1")
        t.register("journal")
        t.register("volumes", deps: ["journal"])
        t.fw(.begin)
        t.walk("journal", on: "w1")
        t.walk("volumes", on: "w2")
        t.fw(.done(ok: true))

        XCTAssertEqual(try t.check().violations, [])
    }

    func testWorkerEventBeforeSecondBeginBelongsToFirstRun() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.fw(.begin)
        let notify = t.notify("journal")
        t.start("journal", on: "w1", notify: notify)
        let end = t.end("journal", on: "w1")
        t.observe("journal", end: end)
        t.fw(.done(ok: true))
        t.register("journal")
        t.fw(.begin)
        // After run 1's notify but not after run 2's begin: a second start of run 1's journal.
        t.start("journal", on: "w2", notify: notify)

        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.recoveryOnce])
        XCTAssertEqual(outcome.violations.count, 1)
        XCTAssertTrue(outcome.violations[0].message.contains("twice in run 1"), outcome.violations[0].message)
    }

    // MARK: - Registrations are judged over the run

    /// The reviewer's example: w3's `process` has no causal link to the framework, so it may be
    /// linearized before the `register` events. It belongs to the first run and must come after
    /// `end(a)` (a never untags L), which it does not: logs-first, whatever the order.
    private func processBeforeRegisterTrace(processFirst: Bool) -> RecoveryTraceBuilder {
        var t = RecoveryTraceBuilder()
        if processFirst { t.add("w3", .process(consumer: "b", log: "L")) }
        t.register("a")
        t.register("b", logs: ["a"])
        t.fw(.begin)
        let notifyA = t.notify("a")
        let notifyB = t.notify("b")
        t.start("a", on: "w2", notify: notifyA)
        t.add("w2", .tag(consumer: "a", log: "L"))
        let endA = t.end("a", on: "w2")
        t.start("b", on: "w1", notify: notifyB)
        let endB = t.end("b", on: "w1")
        if !processFirst { t.add("w3", .process(consumer: "b", log: "L")) }
        t.observe("a", end: endA)
        t.observe("b", end: endB)
        t.fw(.done(ok: true))
        return t
    }

    func testProcessObservedBeforeItsRunsRegistrationsBreaksLogsFirstInEveryOrder() throws {
        for processFirst in [true, false] {
            let t = processBeforeRegisterTrace(processFirst: processFirst)
            if processFirst { XCTAssertEqual(t.events.first?.id, EventID(node: "w3", seq: 1)) }
            let outcome = try t.check()
            XCTAssertEqual(outcome.brokenInvariants, [.recoveryLogsFirst], "process first: \(processFirst)")
            XCTAssertEqual(outcome.violations.count, 1, "process first: \(processFirst)")
            // The events cited depend on what was observed before the process (a's tag, or its end).
            XCTAssertTrue(
                outcome.violations.first?.events.map(\.id).contains(EventID(node: "w3", seq: 1)) ?? false,
                "process first: \(processFirst)")
        }
    }

    /// A `start` and `end` with no causal link to the framework, observed before the registrations:
    /// judged against them (b is registered, with dep a), so deps-first is not skipped and nothing
    /// is "not registered".
    func testStartAndEndObservedBeforeRegistrationsAreJudgedAgainstThem() throws {
        for workerFirst in [true, false] {
            var t = RecoveryTraceBuilder()
            var endB: EventID?
            if workerFirst {
                t.add("w1", .start(consumer: "b"))  // names no notify: once
                endB = t.end("b", on: "w1")
            }
            t.register("a")
            t.register("b", deps: ["a"])
            t.fw(.begin)
            t.walk("a", on: "w2")
            t.notify("b")  // the start names no notify: once either way
            if !workerFirst {
                t.add("w1", .start(consumer: "b"))
                endB = t.end("b", on: "w1")
            }
            t.observe("b", end: endB!)
            let outcome = try t.check()
            XCTAssertEqual(outcome.brokenInvariants, [.recoveryOnce, .recoveryDepsFirst], "worker first: \(workerFirst)")
            XCTAssertEqual(outcome.violations.count, 2, "worker first: \(workerFirst)")
            let once = outcome.violations.first { $0.invariant == .recoveryOnce }
            XCTAssertEqual(once?.events.first?.id, EventID(node: "w1", seq: 1))
            XCTAssertFalse(once?.message.contains("not registered") ?? true, once?.message ?? "")
        }
    }

    /// A worker event of the first run whose `begin` never comes is judged at the end of the trace,
    /// against every registration of the run.
    func testWorkerEventOfARunThatNeverBeginsIsJudgedAtTheEnd() throws {
        var t = RecoveryTraceBuilder()
        t.add("w1", .start(consumer: "ghost"))
        t.register("journal")
        t.add("w2", .start(consumer: "journal"))
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.recoveryOnce])
        XCTAssertEqual(outcome.violations.map(\.message), [
            "start w1#1 names consumer \"ghost\", which is not registered in run 1",
            "start w2#1 starts consumer \"journal\" without a notify of it in run 1 before it",
        ])
    }

    /// A consumer registered after `begin` breaks acyclic, but it is registered: its notify, start
    /// and end (some observed before its `register`) do not break once.
    func testConsumerRegisteredLateIsRegisteredForOnce() throws {
        for startFirst in [true, false] {
            var t = RecoveryTraceBuilder()
            t.register("a")
            t.fw(.begin)
            let notifyA = t.notify("a")
            let notifyLate = t.notify("late")
            var startLate: EventID?
            if startFirst { startLate = t.start("late", on: "w2", notify: notifyLate) }
            t.register("late", deps: ["a"])
            if !startFirst { startLate = t.start("late", on: "w2", notify: notifyLate) }
            t.start("a", on: "w1", notify: notifyA)
            let endA = t.end("a", on: "w1")
            let observeA = t.observe("a", end: endA)
            XCTAssertNotNil(startLate)
            let endLate = t.end("late", on: "w2")
            let observeLate = t.observe("late", end: endLate)
            t.fw(.done(ok: true), causes: [observeA, observeLate])

            let outcome = try t.check()
            // late's start does not come after a's end: deps-first judges it with its dependencies.
            XCTAssertEqual(outcome.brokenInvariants, [.recoveryAcyclic, .recoveryDepsFirst], "start first: \(startFirst)")
            XCTAssertEqual(outcome.violations.filter { $0.invariant == .recoveryAcyclic }.count, 1)
        }
    }

    func testLateRegistrationReviewerExampleBreaksOnlyAcyclic() throws {
        var t = RecoveryTraceBuilder()
        t.register("a")
        t.fw(.begin)
        let notifyA = t.notify("a")
        let notifyLate = t.notify("late")
        t.register("late")
        t.start("a", on: "w1", notify: notifyA)
        let endA = t.end("a", on: "w1")
        t.observe("a", end: endA)
        t.start("late", on: "w2", notify: notifyLate)
        let endLate = t.end("late", on: "w2")
        t.observe("late", end: endLate)
        t.fw(.done(ok: true))

        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.recoveryAcyclic])
        XCTAssertEqual(outcome.violations.count, 1)
    }

    // MARK: - Names are exact strings

    func testCanonicallyEquivalentNamesAreDifferentConsumers() throws {
        let composed = "caf\u{e9}", decomposed = "cafe\u{301}"
        XCTAssertEqual(composed, decomposed)  // Swift's String equality: canonical equivalence
        var t = RecoveryTraceBuilder()
        t.register(composed)
        t.register(decomposed, deps: [composed])  // not a duplicate registration
        t.fw(.begin)
        t.walk(composed, on: "w1")
        t.walk(decomposed, on: "w2")
        t.fw(.done(ok: true))
        XCTAssertEqual(try t.check().violations, [])

        var u = RecoveryTraceBuilder()
        u.register(composed)
        u.fw(.begin)
        u.walk(decomposed, on: "w1")  // never registered: its notify, start and end break once
        u.fw(.done(ok: true))  // and the registered one never ran
        let outcome = try u.check()
        XCTAssertEqual(outcome.brokenInvariants, [.recoveryOnce, .recoveryComplete])
        XCTAssertEqual(outcome.violations.filter { $0.invariant == .recoveryOnce }.count, 3)
    }

    func testCanonicallyEquivalentLogNamesAreDifferentLogs() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("replay", logs: ["journal"])
        t.fw(.begin)
        t.fw(.tag(consumer: "journal", log: "caf\u{e9}"))
        let notifyJournal = t.notify("journal")
        let notifyReplay = t.notify("replay")
        t.start("journal", on: "w1", notify: notifyJournal)
        t.start("replay", on: "w2", notify: notifyReplay)
        t.add("w2", .process(consumer: "replay", log: "cafe\u{301}"))  // another log: not tagged
        let endJournal = t.end("journal", on: "w1")
        let endReplay = t.end("replay", on: "w2")
        t.observe("journal", end: endJournal)
        t.observe("replay", end: endReplay)
        t.fw(.done(ok: true))
        XCTAssertEqual(try t.check().violations, [])
    }

    // MARK: - recovery.acyclic

    func testCycleBreaksAcyclic() throws {
        var t = RecoveryTraceBuilder()
        t.register("a", deps: ["b"])
        t.register("b", after: ["a"])
        t.register("c")
        t.fw(.begin)

        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.recoveryAcyclic])
        XCTAssertEqual(outcome.violations.count, 1)
        XCTAssertTrue(outcome.violations[0].message.contains("cycle"), outcome.violations[0].message)
    }

    func testRegistrationAfterBeginBreaksAcyclic() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.fw(.begin)
        t.register("volumes", deps: ["journal"])

        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.recoveryAcyclic])
        XCTAssertEqual(outcome.violations.count, 1)
    }

    func testDuplicateRegistrationBreaksAcyclic() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("journal")
        t.fw(.begin)
        t.walk("journal", on: "w1")
        t.fw(.done(ok: true))

        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.recoveryAcyclic])
        XCTAssertEqual(outcome.violations.first?.events.map(\.id), [
            EventID(node: "framework", seq: 2), EventID(node: "framework", seq: 1),
        ])
    }

    func testAcceptedRegistrationNamingARejectedConsumerBreaksAcyclic() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.fw(.reject(consumer: "cache", reason: "unknown dependency \"ghost\""))
        t.register("volumes", deps: ["journal", "cache"])
        t.fw(.begin)
        t.walk("journal", on: "w1")
        t.walk("volumes", on: "w2")
        t.fw(.done(ok: true))

        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.recoveryAcyclic])
        XCTAssertEqual(outcome.violations.count, 1)
        let message = outcome.violations[0].message
        XCTAssertTrue(message.contains("\"cache\"") && message.contains("rejected"), message)
    }

    func testSecondBeginWithoutDoneOrCrashBreaksAcyclic() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.fw(.begin)
        t.fw(.begin)
        t.walk("journal", on: "w1")
        t.fw(.done(ok: true))

        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.recoveryAcyclic])
        XCTAssertEqual(outcome.violations.count, 1)
    }

    func testCrashDuringRegistrationStartsOver() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal", deps: ["volumes"])
        t.fw(.crash)
        // The next run registers from scratch; run 1's graph names an unregistered consumer.
        t.register("journal")
        t.fw(.begin)
        t.walk("journal", on: "w1")
        t.fw(.done(ok: true))

        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.recoveryAcyclic])
        XCTAssertTrue(outcome.violations[0].message.contains("run 1"), outcome.violations[0].message)
    }
}
