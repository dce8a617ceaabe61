import Foundation
import Specs
import Trace
import XCTest
@testable import Checker

/// The replay forgets clock history that no open question needs (`Spec.forEachHeldEvent`):
/// forgetting often must not move a verdict, a violation or a proof, and must
/// keep memory to what is in flight.
final class ForgetClockHistoryCheckTests: XCTestCase {
    /// The report as JSON, without the figures that depend on when history was forgotten (the
    /// clock counts) or on the clock (`ms`).
    private func comparable(_ report: CheckReport) throws -> NSDictionary {
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        var stats = try XCTUnwrap(object["stats"] as? [String: Any])
        for key in ["ms", "clock_snapshots", "peak_clock_changes"] { stats[key] = nil }
        object["stats"] = stats
        object["proofs"] = (object["proofs"] as? [[String: Any]])?.map { proof in
            var proof = proof
            proof["ms"] = nil
            return proof
        }
        return object as NSDictionary
    }

    private func check(
        _ files: [String], forgetAt: Int, useSolver: Bool, truncated: Bool = false, window: Int = 4096
    ) -> CheckReport {
        var options = Checker.Options()
        options.window = window
        options.useSolver = useSolver
        options.allowTruncated = truncated
        options.forgetClockChangesAt = forgetAt
        return Checker(options: options).check(files: files)
    }

    func testEveryGoldenTraceGetsTheSameReportWhenHistoryIsForgottenOften() throws {
        var forgotten = 0
        for entry in try GoldenTraceTests.manifest() where entry.verdict != "error" {
            let path = GoldenTraceTests.tracesDirectory.appendingPathComponent(entry.path).path
            let files = try TraceInputs.files(for: [path])
            let truncated = entry.flags.contains("--truncated")
            for useSolver in [false, true] {
                let keep = check(files, forgetAt: .max, useSolver: useSolver, truncated: truncated)
                let forget = check(files, forgetAt: 1, useSolver: useSolver, truncated: truncated)
                XCTAssertEqual(try comparable(forget), try comparable(keep), "\(entry.path) (\(useSolver ? "z3" : "graph"))")
                XCTAssertLessThanOrEqual(forget.stats.peakClockChanges, keep.stats.peakClockChanges, entry.path)
                if forget.stats.peakClockChanges < keep.stats.peakClockChanges { forgotten += 1 }
            }
        }
        // The corpus exercises it: forgetting dropped changes somewhere.
        XCTAssertGreaterThanOrEqual(forgotten, 6)
    }

    /// A long mirror trace with many violations across it (every 40th `acked` loses its cause,
    /// so the commits it let through are not mirrored in happens-before): the counterexamples,
    /// found after much history was forgotten, are the same as when none was.
    func testCounterexamplesAfterForgettingAreTheSame() throws {
        let folder = try TraceFixtures.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let events = TraceFixtures.mirrorWithCutAcks(events: 20_000, every: 40)
        let file = folder.appendingPathComponent("mirror.jsonl")
        try TraceFixtures.write(events, system: .mirror, to: file)
        for useSolver in [false, true] {
            let keep = check([file.path], forgetAt: .max, useSolver: useSolver, window: 32)
            let forget = check([file.path], forgetAt: 16, useSolver: useSolver, window: 32)
            XCTAssertEqual(keep.verdict, .fail)
            XCTAssertGreaterThan(keep.violations.count, 20)
            XCTAssertLessThan(forget.stats.peakClockChanges, keep.stats.peakClockChanges / 4)
            XCTAssertEqual(try comparable(forget), try comparable(keep))
        }
    }

    /// Long good mirror traces: the changes kept at once stay few, and as few for a trace
    /// twice as long; every proof and count is what a replay that forgets nothing gives. With
    /// Z3, the obligations waiting for the solver (a window per invariant) are held too.
    func testLongMirrorTracesKeepFewChanges() throws {
        let folder = try TraceFixtures.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var peaks: [Int] = []
        for length in [15_000, 30_000] {
            var events: [TraceEvent] = []
            SyntheticMirrorTrace().generate(events: length) { events.append($0) }
            let file = folder.appendingPathComponent("mirror-\(length).jsonl")
            try TraceFixtures.write(events, system: .mirror, to: file)
            for useSolver in [false, true] {
                let keep = check([file.path], forgetAt: .max, useSolver: useSolver, window: 32)
                let forget = check([file.path], forgetAt: 64, useSolver: useSolver, window: 32)
                XCTAssertEqual(forget.verdict, .pass, forget.text)
                XCTAssertEqual(try comparable(forget), try comparable(keep))
                XCTAssertEqual(keep.stats.peakClockChanges, keep.stats.clockSnapshots)
                XCTAssertGreaterThan(keep.stats.clockSnapshots, length / 10)
                peaks.append(forget.stats.peakClockChanges)
            }
        }
        // Peaks: graph and Z3 at 15,000 events, then at 30,000.
        XCTAssertLessThan(peaks.max()!, 400, "\(peaks)")
        XCTAssertLessThanOrEqual(peaks[2], peaks[0] + 16, "\(peaks)")
        XCTAssertLessThanOrEqual(peaks[3], peaks[1] + 16, "\(peaks)")
    }
}
