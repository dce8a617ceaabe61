@testable import Specs
import Trace
import XCTest

// The ordering invariants: order, sync, recovered-prefix, no-loss; and the explorer's judge.
extension DriverSpecTests {
    // MARK: - driver.order

    func testLaterArrivalDurableFirstBreaksOrder() throws {
        var t = DriverTraceBuilder()
        t.buffer(1)
        t.write(2)
        t.durable(1)
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.driverOrder])
        XCTAssertEqual(outcome.violations.first?.events.map(\.id.seq), [8, 7])
    }

    func testEarlierArrivalNeverDurableBreaksOrder() throws {
        var t = DriverTraceBuilder()
        t.buffer(1)
        t.write(2)
        XCTAssertEqual(try t.check().brokenInvariants, [.driverOrder])
    }

    func testEarlierArrivalRecoveredAfterTheCrashBreaksOrder() throws {
        var t = DriverTraceBuilder()
        t.buffer(1)
        t.write(2)
        t.add(.crash)
        t.recovered(1)
        t.recovered(2)
        t.add(.online)
        XCTAssertEqual(try t.check().brokenInvariants, [.driverOrder])
    }

    func testEarlierArrivalLostIsForgivenByOrderButNotByThePrefix() throws {
        var t = DriverTraceBuilder()
        t.buffer(1)
        t.write(2)
        t.add(.crash)
        t.recovered(2)
        t.add(.online)
        XCTAssertEqual(try t.check().brokenInvariants, [.driverRecoveredPrefix])
    }

    func testDepDurableAfterItsDependentBreaksOrder() throws {
        var t = DriverTraceBuilder()
        t.buffer(1, iface: 1)
        t.write(2, iface: 0, deps: [1])
        t.durable(1)
        XCTAssertEqual(try t.check().brokenInvariants, [.driverOrder])
    }

    func testDepNeverSubmittedBreaksOrder() throws {
        var t = DriverTraceBuilder()
        t.write(2, deps: [99])
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.driverOrder])
        XCTAssertEqual(outcome.violations.map(\.message), [
            "request 2 became durable at driver#4, but its dep 99 was never submitted",
        ])
    }

    func testDepSubmittedAfterItsDependentsDurableBreaksOrder() throws {
        var t = DriverTraceBuilder()
        t.write(2, deps: [1])
        t.write(1, iface: 1)
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.driverOrder])
        XCTAssertEqual(outcome.violations.map(\.message), [
            "request 2 became durable at driver#4, but its dep 1 was not submitted by then (it was submitted "
                + "only after, at driver#5), so it was not durable before it",
        ])
    }

    // MARK: - driver.sync

    func testSyncDoneBeforeEverythingIsDurableBreaksSync() throws {
        var t = DriverTraceBuilder()
        t.write(1)
        t.buffer(2)
        t.add(.sync(iface: 0))
        t.add(.syncDone(iface: 0))
        t.durable(2)
        XCTAssertEqual(try t.check().brokenInvariants, [.driverSync])
    }

    func testSyncDoneFinishesTheEarliestSync() throws {
        var t = DriverTraceBuilder()
        t.write(1)
        t.add(.sync(iface: 0))
        t.buffer(2)
        t.add(.sync(iface: 0))
        // Finishes the first sync, which only needs request 1.
        t.add(.syncDone(iface: 0))
        t.durable(2)
        t.add(.syncDone(iface: 0))
        XCTAssertEqual(try t.check().violations, [])
    }

    func testSyncDoneWithoutASyncBreaksSync() throws {
        var t = DriverTraceBuilder()
        t.write(1)
        t.add(.syncDone(iface: 0))
        XCTAssertEqual(try t.check().brokenInvariants, [.driverSync])
    }

    func testCrashCancelsPendingSyncs() throws {
        var t = DriverTraceBuilder()
        t.write(1)
        t.add(.sync(iface: 0))
        t.add(.crash)
        t.recovered(1)
        t.add(.online)
        t.add(.syncDone(iface: 0))
        XCTAssertEqual(try t.check().brokenInvariants, [.driverSync])
    }

    func testSyncIgnoresOtherInterfaces() throws {
        var t = DriverTraceBuilder()
        t.buffer(1, iface: 1)
        t.write(2, iface: 0)
        t.add(.sync(iface: 0))
        t.add(.syncDone(iface: 0))
        t.durable(1)
        XCTAssertEqual(try t.check().violations, [])
    }

    // MARK: - driver.recovered-prefix

    func testRecoveredRequestsWithAHoleBreakRecoveredPrefix() throws {
        var t = DriverTraceBuilder()
        t.buffer(1)
        t.buffer(2)
        t.buffer(3)
        t.add(.crash)
        t.recovered(1)
        t.recovered(3)
        t.add(.online)
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.driverRecoveredPrefix])
        XCTAssertEqual(
            outcome.violations.first?.message,
            "on iface 0, request 3 (arrival 3 of the epoch) is recovered at driver#12, but request 2 "
                + "(arrival 2), submitted before it, is not recovered by the online at driver#13")
    }

    func testRecoveredRequestWhoseDepIsNeitherDurableNorRecoveredBreaksRecoveredPrefix() throws {
        var t = DriverTraceBuilder()
        t.buffer(1, iface: 1)
        t.buffer(2, iface: 0, deps: [1])
        t.add(.crash)
        t.recovered(2)
        t.add(.online)
        XCTAssertEqual(try t.check().brokenInvariants, [.driverRecoveredPrefix])
    }

    func testRequestsOfOtherEpochsAreNotPartOfThePrefix() throws {
        var t = DriverTraceBuilder()
        t.buffer(1)
        t.add(.crash)
        t.add(.online)
        t.buffer(2)
        t.add(.crash)
        t.recovered(2)
        t.add(.online)
        XCTAssertEqual(try t.check().violations, [])
    }

    // MARK: - driver.no-loss

    func testDurableRequestNotRecoveredBreaksNoLoss() throws {
        var t = DriverTraceBuilder()
        t.write(1)
        t.write(2)
        t.add(.crash)
        t.recovered(1)
        t.add(.online)
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.driverNoLoss])
        XCTAssertEqual(
            outcome.violations.first?.message,
            "on iface 0, request 2 was durable before the crash at driver#9 but not recovered by the online "
                + "at driver#11")
    }

    func testTraceEndingDuringRecoveryIsJudgedAsItStands() throws {
        var t = DriverTraceBuilder()
        t.write(1)
        t.write(2)
        t.add(.crash)
        t.recovered(2)
        XCTAssertEqual(try t.check().brokenInvariants, [.driverNoLoss, .driverRecoveredPrefix])
    }

    // MARK: - The explorer's judge

    /// `reportEnd` (what the explorer asks after every step) reports what `finish` on a copy
    /// would, after every event of traces that pass, wait on a request, name an unsubmitted
    /// dep, and end in the middle of a recovery.
    func testReportEndReportsWhatFinishWouldAfterEveryEvent() {
        var t = DriverTraceBuilder()
        t.write(1)
        t.buffer(2)
        t.write(3)
        t.write(4, deps: [99])
        t.add(.crash)
        t.recovered(1)
        t.recovered(3)
        t.add(.online)
        t.buffer(5, iface: 1)
        t.write(6, deps: [5])
        t.durable(5)
        t.add(.crash)
        t.recovered(6)
        var spec = DriverSpec()
        var nonEmpty = 0
        for (index, event) in t.events.enumerated() {
            spec.observe(event, sink: TrustingSink())
            let reported = TrustingSink(), finished = TrustingSink()
            spec.reportEnd(sink: reported)
            var copy = spec
            copy.finish(sink: finished)
            XCTAssertEqual(reported.violations, finished.violations, "after event \(index + 1), \(event.kind.name)")
            if !finished.violations.isEmpty { nonEmpty += 1 }
        }
        XCTAssertGreaterThan(nonEmpty, 5, "the trace must give finish something to report")
        XCTAssertLessThan(nonEmpty, t.events.count, "and some prefixes with nothing to report")
    }
}
