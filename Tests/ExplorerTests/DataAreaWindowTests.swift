@testable import Explorer
import Trace
import XCTest

/// The explorer's contents check reads a large data area a window at a time
/// (`DriverSimulation.checkWindow`): over several windows, the last one short, it finds no
/// difference where there is none, and finds one that only the last window holds.
final class DataAreaWindowTests: XCTestCase {
    /// A driver trace whose requests all write past two windows, on a data area of two and a
    /// half windows: only the last, short window can differ.
    static func trace() -> RecordedTrace {
        let far = 2 * DriverSimulation.checkWindow + 4096
        let kinds: [EventKind] = [
            .submit(iface: 0, id: 1, off: far, len: 1024, deps: []),
            .submit(iface: 0, id: 2, off: far + 4096, len: 2048, deps: []),
            .submit(iface: 0, id: 3, off: far + 16384, len: 512, deps: []),
            .sync(iface: 0),
        ]
        let events = kinds.enumerated().map { i, kind in
            TraceEvent(node: "driver", seq: i + 1, kind: kind, location: SourceLocation(file: 0, line: i + 2))
        }
        return RecordedTrace(system: .driver, events: events, files: ["windows.jsonl"])
    }

    /// Explores the trace with one crash; eager crash states decide every fate at the power
    /// loss, so the checks after the recovery take the windowed path (undecided fates take the
    /// sector-by-sector one).
    static func explore(faults: String?, states: String = "eager") throws -> ExplorationReport {
        let trace = Self.trace()
        let size = 2 * DriverSimulation.checkWindow + DriverSimulation.checkWindow / 2
        var settings: [(key: String, value: String)] = [("torn", "0"), ("size", "\(size)"), ("states", states)]
        if let faults { settings.append(("faults", faults)) }
        let plan = try DriverPlan(trace: trace, crashes: 1, settings: settings)
        let start = Recorded(plan: plan, window: 0, crashes: 1,
                             source: RecordedSource(files: trace.files, digest: RecordedTrace.digest(trace.events)))
        return Exploration(start: start).run()
    }

    func testSeveralWindowsPassWhenTheAreaHoldsWhatTheModelSays() throws {
        for states in ["eager", "lazy"] {
            let report = try Self.explore(faults: nil, states: states)
            XCTAssertEqual(report.verdict, .pass, states)
            XCTAssertTrue(report.exhaustive, states)
        }
    }

    func testADifferenceInTheLastShortWindowIsFound() throws {
        let report = try Self.explore(faults: "trustsDataArea")
        XCTAssertEqual(report.verdict, .violation)
        let violation = try XCTUnwrap(report.counterexamples.first?.violation)
        XCTAssertEqual(violation.invariant, DriverSimulation.contentsInvariant, violation.message)
        // The message (made from the whole area, as before windows) names where it differs:
        // in the last window, where every request writes.
        let far = 2 * DriverSimulation.checkWindow + 4096
        XCTAssertTrue(violation.message.contains("differ from the model"), violation.message)
        let words = violation.message.split(separator: " ")
        let at = try XCTUnwrap(words.firstIndex(of: "offset"), violation.message)
        let first = try XCTUnwrap(Int(words[at + 1].filter(\.isNumber)), violation.message)
        XCTAssertGreaterThanOrEqual(first, far, violation.message)
    }
}
