import Recovery
import Trace
import XCTest

/// Per-log dependencies: tag, untag, and process only after the tagger released the log.
final class LogDependencyTests: XCTestCase {
    func testDependentProcessesEachLogAfterItsUntagOrTheTaggersEnd() {
        var h = CoreHarness(workers: 2)
        h.register(.init("journal"), .init("scrub", logs: ["journal"]))
        // scrub starts as soon as journal started, not when it ends.
        XCTAssertEqual(h.feed(.begin).starts, ["journal@w0", "scrub@w1"])
        let journal = h.t("journal")
        let scrub = h.t("scrub")
        h.feed(.tag(journal, log: "nv0"))
        h.feed(.tag(journal, log: "nv1"))
        // Waits: journal holds nv0; nv2 journal never tagged, but it still might.
        XCTAssertEqual(h.feed(.process(scrub, log: "nv0")), [])
        XCTAssertEqual(h.feed(.process(scrub, log: "nv2")), [])
        XCTAssertEqual(h.feed(.process(journal, log: "nv0")), [.proceed(journal, log: "nv0")])
        XCTAssertEqual(h.feed(.untag(journal, log: "nv0")), [.proceed(scrub, log: "nv0")])
        let untag = h.events.first { $0.kind == .untag(consumer: "journal", log: "nv0") }!
        XCTAssertEqual(h.events.last?.kind, .process(consumer: "scrub", log: "nv0"))
        XCTAssertEqual(h.events.last?.causes, [untag.id])
        XCTAssertEqual(h.events.last?.node, "w1")
        // Re-tagging an untagged log is refused and not recorded.
        let before = h.events.count
        XCTAssertEqual(h.feed(.tag(journal, log: "nv0")), [.refused(.retagAfterUntag(consumer: "journal", log: "nv0"))])
        XCTAssertEqual(h.events.count, before)
        XCTAssertEqual(h.feed(.process(scrub, log: "nv1")), [])
        // journal ends without untagging nv1: its end releases nv1 and nv2.
        let end = h.ok("journal")
        XCTAssertEqual(end, [.proceed(scrub, log: "nv2"), .proceed(scrub, log: "nv1")])
        let journalEnd = h.events.first { $0.kind == .end(consumer: "journal", ok: true, reason: nil) }!
        XCTAssertEqual(h.events.filter { if case .process(consumer: "scrub", _) = $0.kind { true } else { false } }
            .suffix(2).map(\.causes), [[journalEnd.id], [journalEnd.id]])
        XCTAssertEqual(h.ok("scrub").outcome?.ok, true)
        h.assertSpecPasses()
    }

    func testOneWorkerNeverDeadlocksOnALogDependency() {
        // scrub is registered first, but it waits for journal to start, so it cannot hold the
        // only worker while journal has none.
        var h = CoreHarness(workers: 1)
        h.register(.init("scrub", logs: ["journal"]), .init("prep"), .init("journal", deps: ["prep"]))
        XCTAssertEqual(h.feed(.begin).starts, ["prep@w0"])
        XCTAssertEqual(h.ok("prep").starts, ["journal@w0"])
        h.feed(.tag(h.t("journal"), log: "nv0"))
        XCTAssertEqual(h.ok("journal").starts, ["scrub@w0"])
        XCTAssertEqual(h.feed(.process(h.t("scrub"), log: "nv0")), [.proceed(h.t("scrub"), log: "nv0")])
        XCTAssertEqual(h.ok("scrub").outcome?.ok, true)
        h.assertSpecPasses()
    }

    func testSkippedOrTimedOutTaggerReleasesItsLogs() {
        var h = CoreHarness(workers: 2)
        h.register(
            .init("bad"), .init("journal", deps: ["bad"]), .init("hang", timeout: .seconds(1)),
            .init("scrub", logs: ["journal", "hang"]))
        XCTAssertEqual(h.feed(.begin).starts, ["bad@w0", "hang@w1"])
        h.feed(.tag(h.t("hang"), log: "nv0"))
        // journal is skipped, which also lets scrub start once hang started.
        XCTAssertEqual(h.fail("bad").starts, ["scrub@w0"])
        XCTAssertEqual(h.feed(.process(h.t("scrub"), log: "nv0")), [])
        let timeout = h.feed(.timeoutFired(h.t("hang")))
        XCTAssertEqual(timeout, [.abandon(h.t("hang")), .proceed(h.t("scrub"), log: "nv0")])
        let causes = h.events.last!.causes
        XCTAssertEqual(causes.count, 2)
        XCTAssertTrue(causes.allSatisfy { $0.node == "framework" })
        XCTAssertEqual(h.ok("scrub").outcome?.skipped, ["journal"])
        h.assertSpecPasses()
    }
}
