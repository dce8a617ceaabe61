import Recovery
import Trace
import XCTest

/// The walk on fixed input sequences: ordering, bounded workers, failures, timeouts, crashes.
final class WalkTests: XCTestCase {
    func testDependentsStartOnlyAfterTheirDepsAndIdleWorkersAreFilled() {
        var h = CoreHarness(workers: 2)
        h.register(
            .init("volumes", deps: ["journal", "nvlog"]), .init("journal"), .init("nvlog"),
            .init("quota", deps: ["volumes"]), .init("stats", after: ["volumes"]), .init("scrub"))
        XCTAssertEqual(h.feed(.begin).starts, ["journal@w0", "nvlog@w1"])
        // scrub is next in registration order among the ready ones.
        XCTAssertEqual(h.ok("nvlog").starts, ["scrub@w1"])
        XCTAssertEqual(h.ok("journal").starts, ["volumes@w0"])
        XCTAssertEqual(h.ok("scrub"), [])
        XCTAssertEqual(h.ok("volumes").starts, ["quota@w0", "stats@w1"])
        XCTAssertEqual(h.ok("stats"), [])
        let outcome = h.ok("quota").outcome
        XCTAssertEqual(outcome?.succeeded, ["volumes", "journal", "nvlog", "quota", "stats", "scrub"])
        XCTAssertEqual(Array(h.lines.suffix(3)), ["w0 end quota ok", "observe quota", "done true"])
        h.assertSpecPasses()
    }

    func testStartNamesItsNotifyAndObserveNamesTheWorkersEnd() {
        var h = CoreHarness(workers: 1)
        h.register(.init("journal"))
        h.feed(.begin)
        h.ok("journal")
        XCTAssertEqual(h.events.map(\.id), [
            EventID(node: "framework", seq: 1), EventID(node: "framework", seq: 2),
            EventID(node: "framework", seq: 3), EventID(node: "w0", seq: 1),
            EventID(node: "w0", seq: 2), EventID(node: "framework", seq: 4), EventID(node: "framework", seq: 5),
        ])
        XCTAssertEqual(h.events[3].causes, [EventID(node: "framework", seq: 3)])
        XCTAssertEqual(h.events[5].causes, [EventID(node: "w0", seq: 2)])
        XCTAssertEqual(h.events[6].kind, .done(ok: true))
    }

    func testFailureSkipsExactlyTheTransitiveDependents() {
        var h = CoreHarness(workers: 2)
        h.register(
            .init("journal"), .init("replay", deps: ["journal"]), .init("volumes", deps: ["replay"]),
            .init("quota", deps: ["volumes", "other"]), .init("other"), .init("stats", after: ["volumes"]),
            .init("audit", deps: ["stats"]))
        XCTAssertEqual(h.feed(.begin).starts, ["journal@w0", "other@w1"])
        XCTAssertEqual(h.fail("journal", "checksum mismatch").starts, ["stats@w0"])
        XCTAssertEqual(h.lines.filter { $0.hasPrefix("skip") }, ["skip replay", "skip volumes", "skip quota"])
        XCTAssertEqual(h.ok("other"), [])
        XCTAssertEqual(h.ok("stats").starts, ["audit@w0"])
        let outcome = h.ok("audit").outcome
        XCTAssertEqual(outcome?.failed, [.init(consumer: "journal", reason: "checksum mismatch")])
        XCTAssertEqual(outcome?.skipped, ["replay", "volumes", "quota"])
        XCTAssertEqual(outcome?.succeeded, ["other", "stats", "audit"])
        XCTAssertEqual(h.lines.last, "done false")
        XCTAssertTrue(h.lines.contains("w0 end journal checksum mismatch"))
        h.assertSpecPasses()
    }

    func testTimeoutIsRecordedByTheFrameworkAndTheAbandonedConsumerIsNeverHeardFromAgain() {
        var h = CoreHarness(workers: 1)
        h.register(.init("hang", timeout: .milliseconds(50)), .init("after-hang", deps: ["hang"]), .init("next"))
        let begin = h.feed(.begin)
        XCTAssertEqual(begin, [.start(h.t("hang"), worker: 0, timeout: .milliseconds(50))])
        h.feed(.tag(h.t("hang"), log: "nv0"))
        let timeout = h.feed(.timeoutFired(h.t("hang")))
        XCTAssertEqual(timeout.first, .abandon(h.t("hang")))
        XCTAssertEqual(timeout.starts, ["next@w0"])
        XCTAssertEqual(h.events.first { $0.kind == .end(consumer: "hang", ok: false, reason: "timeout") }?.node,
                       "framework")
        let recorded = h.events.count
        // Whatever the abandoned consumer does later is dropped.
        XCTAssertEqual(h.feed(.untag(h.t("hang"), log: "nv0")), [])
        XCTAssertEqual(h.feed(.process(h.t("hang"), log: "nv1")), [])
        XCTAssertEqual(h.ok("hang"), [])
        XCTAssertEqual(h.feed(.timeoutFired(h.t("hang"))), [])
        XCTAssertEqual(h.events.count, recorded)
        let outcome = h.ok("next").outcome
        XCTAssertEqual(outcome?.failed, [.init(consumer: "hang", reason: "timeout")])
        XCTAssertEqual(outcome?.skipped, ["after-hang"])
        h.assertSpecPasses()
    }

    func testTimeoutAfterTheEndIsIgnored() {
        var h = CoreHarness(workers: 1)
        h.register(.init("quick", timeout: .seconds(1)))
        h.feed(.begin)
        XCTAssertEqual(h.ok("quick").outcome?.ok, true)
        XCTAssertEqual(h.feed(.timeoutFired(h.t("quick"))), [])
        h.assertSpecPasses()
    }

    func testCrashEndsTheRunAndANewRunRegistersAndBeginsAgain() {
        var h = CoreHarness(workers: 2)
        h.register(.init("journal"), .init("volumes", deps: ["journal"]), .init("scrub"))
        h.feed(.begin)
        h.ok("journal")
        let oldVolumes = h.t("volumes")
        XCTAssertEqual(h.feed(.crash), [.abandon(oldVolumes), .abandon(h.t("scrub"))])
        XCTAssertEqual(h.core.phase, .crashed)
        // Run 1's consumers are dropped from now on.
        XCTAssertEqual(h.feed(.ended(oldVolumes, failure: nil)), [])
        h.register(.init("journal"), .init("volumes", deps: ["journal"]))
        XCTAssertEqual(h.core.run, 2)
        XCTAssertEqual(h.feed(.begin).starts, ["journal@w0"])
        XCTAssertEqual(h.feed(.ended(oldVolumes, failure: nil)), [])
        XCTAssertEqual(h.ok("journal").starts, ["volumes@w0"])
        XCTAssertEqual(h.ok("volumes").outcome?.run, 2)
        XCTAssertEqual(h.lines.filter { $0 == "crash" || $0 == "begin" || $0.hasPrefix("done") },
                       ["begin", "crash", "begin", "done true"])
        h.assertSpecPasses()
    }

    func testEmptyRunIsDoneAtOnceAndTheNextRunFollows() {
        var h = CoreHarness(workers: 1)
        XCTAssertEqual(h.feed(.begin), [.finished(RecoveryOutcome(run: 1))])
        h.register(.init("a"))
        h.feed(.begin)
        XCTAssertEqual(h.ok("a").outcome?.run, 2)
        XCTAssertEqual(h.lines, ["begin", "done true", "register a", "begin", "notify a", "w0 start a",
                                 "w0 end a ok", "observe a", "done true"])
        h.assertSpecPasses()
    }
}
