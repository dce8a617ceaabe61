import Recovery
import RecoveryLive
import Trace
import XCTest

/// The runtime's timings (`LiveRecovery(timing: true)`): their order and hand-off links, not
/// their size (performance is measured by `plumb bench recovery`, never asserted).
final class LiveTimingTests: XCTestCase {
    func testChainTimingsAreOrderedAndLinked() async throws {
        let recovery = LiveRecovery(workers: 2, recorder: MemoryRecorder(), timing: true)
        try recovery.register(RecoveryConsumer("a") { _ in try await Task.sleep(for: .milliseconds(2)) })
        try recovery.register(RecoveryConsumer("b", deps: ["a"]) { _ in })
        try recovery.register(RecoveryConsumer("c", deps: ["b"]) { _ in })
        let report = try await recovery.run()
        XCTAssertEqual(report.outcome?.succeeded, ["a", "b", "c"])
        let timings = recovery.timings()
        XCTAssertEqual(timings.map(\.ticket.consumer), ["a", "b", "c"])
        for t in timings {
            let began = try XCTUnwrap(t.began), returned = try XCTUnwrap(t.returned)
            XCTAssertLessThanOrEqual(t.notified, began)
            XCTAssertLessThanOrEqual(began, returned)
        }
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(timings[0].busy), .milliseconds(2))
        // Each end notified the next link of the chain; the last one notified nothing.
        XCTAssertEqual(timings[0].nextNotified, timings[1].notified)
        XCTAssertEqual(timings[1].nextNotified, timings[2].notified)
        XCTAssertNil(timings[2].nextNotified)
        XCTAssertNotNil(timings[0].endToNextNotify)
    }

    func testTimingIsOffByDefault() async throws {
        let recovery = LiveRecovery(workers: 1, recorder: MemoryRecorder())
        try recovery.register(RecoveryConsumer("a") { _ in })
        _ = try await recovery.run()
        XCTAssertTrue(recovery.timings().isEmpty)
    }
}
