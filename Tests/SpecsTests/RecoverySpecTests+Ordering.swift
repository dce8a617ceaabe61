import Specs
import Trace
import XCTest

// The ordering and completion invariants: deps-first, logs-first, once, skip, complete.
extension RecoverySpecTests {
    // MARK: - recovery.deps-first

    func testDependencyEndOnAnotherWorkerWithoutCausalLinkBreaksDepsFirst() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("volumes", deps: ["journal"])
        t.fw(.begin)
        let notifyJournal = t.notify("journal")
        let notifyVolumes = t.notify("volumes")  // too early: journal's end not observed yet
        t.start("journal", on: "w1", notify: notifyJournal)
        let endJournal = t.end("journal", on: "w1")
        t.start("volumes", on: "w2", notify: notifyVolumes)  // after it in line order only
        let endVolumes = t.end("volumes", on: "w2")
        t.observe("journal", end: endJournal)
        t.observe("volumes", end: endVolumes)
        t.fw(.done(ok: true))

        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.recoveryDepsFirst])
        XCTAssertEqual(outcome.violations.count, 1)
        XCTAssertEqual(outcome.violations[0].events.map(\.id), [endJournal, EventID(node: "w2", seq: 1)])
    }

    func testStartAfterFailedDependencyBreaksDepsFirst() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("volumes", deps: ["journal"])
        t.fw(.begin)
        t.walk("journal", on: "w1", ok: false)
        t.walk("volumes", on: "w2")

        XCTAssertEqual(try t.check().brokenInvariants, [.recoveryDepsFirst])
    }

    func testStartBeforeSoftDependencyFinishedBreaksDepsFirst() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("cache", after: ["journal"])
        t.fw(.begin)
        let notifyJournal = t.notify("journal")
        t.start("journal", on: "w1", notify: notifyJournal)
        t.walk("cache", on: "w2")
        let end = t.end("journal", on: "w1")
        t.observe("journal", end: end)
        t.fw(.done(ok: true))

        XCTAssertEqual(try t.check().brokenInvariants, [.recoveryDepsFirst])
    }

    // MARK: - recovery.logs-first

    func testProcessWithoutCausalLinkToUntagBreaksLogsFirst() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("replay", logs: ["journal"])
        t.fw(.begin)
        let notifyJournal = t.notify("journal")
        let notifyReplay = t.notify("replay")
        t.start("journal", on: "w1", notify: notifyJournal)
        t.add("w1", .tag(consumer: "journal", log: "nvlog"))
        t.start("replay", on: "w2", notify: notifyReplay)
        let untag = t.add("w1", .untag(consumer: "journal", log: "nvlog"))
        let process = t.add("w2", .process(consumer: "replay", log: "nvlog"))  // no cause: concurrent
        let endJournal = t.end("journal", on: "w1")
        t.observe("journal", end: endJournal)
        let endReplay = t.end("replay", on: "w2")
        t.observe("replay", end: endReplay)
        t.fw(.done(ok: true))

        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.recoveryLogsFirst])
        XCTAssertEqual(outcome.violations.map { $0.events.map(\.id) }, [[untag, process]])
    }

    func testTagAndUntagObservedAfterProcessBreakLogsFirst() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("replay", logs: ["journal"])
        t.fw(.begin)
        let notifyReplay = t.notify("replay")
        t.start("replay", on: "w2", notify: notifyReplay)
        t.add("w2", .process(consumer: "replay", log: "nvlog"))
        let endReplay = t.end("replay", on: "w2")
        t.observe("replay", end: endReplay)
        let notifyJournal = t.notify("journal")
        t.start("journal", on: "w1", notify: notifyJournal)
        t.add("w1", .tag(consumer: "journal", log: "nvlog"))
        t.add("w1", .untag(consumer: "journal", log: "nvlog"))
        let endJournal = t.end("journal", on: "w1")
        let observe = t.observe("journal", end: endJournal)
        t.fw(.done(ok: true), causes: [observe])

        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.recoveryLogsFirst])
        XCTAssertEqual(outcome.violations.count, 1)
    }

    func testProcessOfNeverUntaggedLogBeforeTaggersEndBreaksLogsFirst() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("replay", logs: ["journal"])
        t.fw(.begin)
        t.fw(.tag(consumer: "journal", log: "nvlog"))
        let notifyJournal = t.notify("journal")
        let notifyReplay = t.notify("replay")
        t.start("journal", on: "w1", notify: notifyJournal)
        let endJournal = t.end("journal", on: "w1")
        t.start("replay", on: "w2", notify: notifyReplay)
        t.add("w2", .process(consumer: "replay", log: "nvlog"))  // journal's end is not before it
        let endReplay = t.end("replay", on: "w2")
        t.observe("journal", end: endJournal)
        t.observe("replay", end: endReplay)
        t.fw(.done(ok: true))

        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.recoveryLogsFirst])
        XCTAssertEqual(outcome.violations.count, 1)
    }

    func testUntaggedLogOfUnrelatedConsumerIsNotAnObligation() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("replay")  // no logs dependency on journal
        t.fw(.begin)
        t.fw(.tag(consumer: "journal", log: "nvlog"))
        t.walk("replay", on: "w2")
        t.add("w3", .process(consumer: "replay", log: "nvlog"))
        t.walk("journal", on: "w1")
        t.fw(.done(ok: true))

        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [])
    }

    // MARK: - recovery.once

    func testNotifiedTwiceBreaksOnce() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.fw(.begin)
        t.notify("journal")
        t.walk("journal", on: "w1")
        t.fw(.done(ok: true))

        XCTAssertEqual(try t.check().brokenInvariants, [.recoveryOnce])
    }

    func testStartNotCausedByItsNotifyBreaksOnce() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.fw(.begin)
        t.notify("journal")
        t.start("journal", on: "w1", notify: nil)
        let end = t.end("journal", on: "w1")
        t.observe("journal", end: end)
        t.fw(.done(ok: true))

        XCTAssertEqual(try t.check().brokenInvariants, [.recoveryOnce])
    }

    func testEndWithoutStartBreaksOnce() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.fw(.begin)
        t.notify("journal")
        let end = t.end("journal", on: "w1")
        t.observe("journal", end: end)
        t.fw(.done(ok: true))

        XCTAssertEqual(try t.check().brokenInvariants, [.recoveryOnce])
    }

    func testTimedOutConsumersLaterWorkEventsOtherThanEndAreAllowed() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.fw(.begin)
        let notify = t.notify("journal")
        t.fw(.end(consumer: "journal", ok: false, reason: "timeout"))
        t.start("journal", on: "w1", notify: notify)
        t.add("w1", .tag(consumer: "journal", log: "nvlog"))
        t.add("w1", .untag(consumer: "journal", log: "nvlog"))
        t.fw(.done(ok: false))

        XCTAssertEqual(try t.check().violations, [])
    }

    func testWorkerEndAfterTimeoutEndBreaksOnce() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.fw(.begin)
        let notify = t.notify("journal")
        t.start("journal", on: "w1", notify: notify)
        t.fw(.end(consumer: "journal", ok: false, reason: "timeout"))
        let late = t.end("journal", on: "w1")
        t.observe("journal", end: late)
        t.fw(.done(ok: false))

        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.recoveryOnce])
        XCTAssertTrue(outcome.violations[0].message.contains("timeout"), outcome.violations[0].message)
    }

    func testEventsOfUnregisteredConsumerBreakOnce() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.fw(.begin)
        t.walk("journal", on: "w1")
        t.walk("ghost", on: "w2")
        t.fw(.done(ok: true))

        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.recoveryOnce])
        XCTAssertEqual(outcome.violations.count, 3)  // its notify, start and end
    }

    // MARK: - recovery.skip

    func testSkippedConsumerThatStartsBreaksSkip() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.fw(.begin)
        let notify = t.notify("journal")
        t.fw(.skip(consumer: "journal"))
        t.start("journal", on: "w1", notify: notify)

        XCTAssertEqual(try t.check().brokenInvariants, [.recoverySkip])
    }

    func testSkipWithoutFailedDependencyBreaksSkipWhenDone() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("volumes", deps: ["journal"])
        t.fw(.begin)
        t.walk("journal", on: "w1")
        t.fw(.skip(consumer: "volumes"))
        t.fw(.done(ok: true))

        XCTAssertEqual(try t.check().brokenInvariants, [.recoverySkip])
    }

    func testSkipWithoutFailedDependencyIsNotJudgedWithoutDone() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("volumes", deps: ["journal"])
        t.fw(.begin)
        t.walk("journal", on: "w1")
        t.fw(.skip(consumer: "volumes"))
        t.fw(.crash)

        XCTAssertEqual(try t.check().violations, [])
    }

    func testDependentOfFailureNotSkippedBreaksSkipAndComplete() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("volumes", deps: ["journal"])
        t.fw(.begin)
        t.walk("journal", on: "w1", ok: false)
        t.fw(.done(ok: false))

        XCTAssertEqual(try t.check().brokenInvariants, [.recoverySkip, .recoveryComplete])
    }

    // MARK: - recovery.complete

    func testDoneOkDespiteFailureBreaksComplete() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.fw(.begin)
        t.walk("journal", on: "w1", ok: false)
        t.fw(.done(ok: true))

        XCTAssertEqual(try t.check().brokenInvariants, [.recoveryComplete])
    }

    func testDoneNotOkWithoutFailureBreaksComplete() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.fw(.begin)
        t.walk("journal", on: "w1")
        t.fw(.done(ok: false))

        XCTAssertEqual(try t.check().brokenInvariants, [.recoveryComplete])
    }

    func testConsumerNeitherEndedNorSkippedBreaksComplete() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("scrub")
        t.fw(.begin)
        t.walk("journal", on: "w1")
        t.fw(.done(ok: true))

        XCTAssertEqual(try t.check().brokenInvariants, [.recoveryComplete])
    }

    func testDoneWithoutCausalLinkToLastEndBreaksComplete() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.fw(.begin)
        let notify = t.notify("journal")
        t.start("journal", on: "w1", notify: notify)
        let end = t.end("journal", on: "w1")
        let done = t.fw(.done(ok: true))  // the framework never observed the end
        t.observe("journal", end: end)

        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.recoveryComplete])
        XCTAssertEqual(outcome.violations.map { $0.events.map(\.id) }, [[end, done]])
    }

    func testEndObservedAfterDoneBreaksComplete() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("scrub")
        t.fw(.begin)
        t.walk("journal", on: "w1")
        let notify = t.notify("scrub")
        t.start("scrub", on: "w2", notify: notify)
        t.fw(.done(ok: true))
        t.end("scrub", on: "w2")

        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.recoveryComplete])
        XCTAssertEqual(outcome.violations.count, 1)  // reported once, at done
    }

    func testSecondEndAfterDoneBreaksOnceAndComplete() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.fw(.begin)
        t.walk("journal", on: "w1")
        t.fw(.done(ok: true))
        t.end("journal", on: "w1")

        XCTAssertEqual(try t.check().brokenInvariants, [.recoveryOnce, .recoveryComplete])
    }

    func testSkipOfUnregisteredConsumerBreaksSkipWhenDone() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.fw(.begin)
        t.walk("journal", on: "w1")
        t.fw(.skip(consumer: "ghost"))
        t.fw(.done(ok: true))

        XCTAssertEqual(try t.check().brokenInvariants, [.recoverySkip])
    }

    func testSkipAfterDoneBreaksComplete() throws {
        var t = RecoveryTraceBuilder()
        t.register("journal")
        t.register("volumes", deps: ["journal"])
        t.fw(.begin)
        t.walk("journal", on: "w1", ok: false)
        t.fw(.done(ok: false))
        t.fw(.skip(consumer: "volumes"))

        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.recoveryComplete])
        XCTAssertEqual(outcome.violations.count, 1)  // reported once, at done
    }

    func testReportsAreDeterministic() throws {
        var t = RecoveryTraceBuilder()
        for name in ["e", "d", "c", "b", "a"] { t.register(name, deps: ["z-\(name)"]) }
        t.fw(.begin)
        for name in ["a", "b", "c", "d", "e"] { t.walk(name, on: "w-\(name)", ok: false) }
        t.fw(.done(ok: true))

        let first = try t.check().violations
        for _ in 0..<5 { XCTAssertEqual(try t.check().violations, first) }
        XCTAssertEqual(Set(first.map(\.invariant)), [.recoveryAcyclic, .recoveryComplete])
    }
}
