@testable import Checker
import Foundation
import Specs
import Trace
import XCTest

/// The text report names every event it cites and words each engine's finding plainly.
final class ReportWordingTests: XCTestCase {
    /// Every event of every counterexample order of every failing golden trace carries its
    /// name and its file and line, with Z3 and with the graph engine alone.
    func testCounterexampleEventsAreNamedAndLocated() throws {
        var orders = 0
        for entry in try GoldenTraceTests.manifest() where entry.verdict == "fail" {
            for useSolver in [true, false] {
                var options = Checker.Options()
                options.useSolver = useSolver
                options.allowTruncated = entry.flags.contains("--truncated")
                let path = GoldenTraceTests.tracesDirectory.appendingPathComponent(entry.path).path
                let report = Checker(options: options).check(files: [path])
                for violation in report.violations where !violation.counterexample.isEmpty {
                    orders += 1
                    for event in violation.counterexample {
                        XCTAssertFalse(event.name.isEmpty, "\(entry.path): \(event.id) unnamed")
                        XCTAssertEqual(event.location.file, 0, "\(entry.path): \(event.id) has no file")
                        XCTAssertGreaterThan(event.location.line, 0, "\(entry.path): \(event.id) has no line")
                    }
                }
            }
        }
        XCTAssertGreaterThan(orders, 0)
    }

    /// A violated invariant never reads like the engines disagree, and each combination of
    /// results says what each engine found.
    func testProofLinesSayWhatEachEngineFound() {
        let report = CheckReport.inputError(TraceInputError(file: "", line: 0, message: ""), files: [])
        func proof(_ engine: CheckReport.Engine, _ result: CheckReport.ProofResult) -> CheckReport.Proof {
            CheckReport.Proof(invariant: Invariant(rawValue: "mirror.commit-after-mirror"), engine: engine,
                              result: result, ms: 1, obligations: 2)
        }
        XCTAssertEqual(report.proofLine(graph: proof(.graph, .refuted), z3: proof(.z3, .refuted)),
                       "violated: graph engine found it, z3 confirmed the counterexample (2 obligations, 1.0 ms)")
        XCTAssertEqual(report.proofLine(graph: proof(.graph, .refuted), z3: proof(.z3, .proved)),
                       "violated: graph engine found it, z3 proved the obligations that hold (2 obligations, 1.0 ms)")
        XCTAssertEqual(report.proofLine(graph: proof(.graph, .proved), z3: proof(.z3, .unknown)),
                       "unproved: graph engine found no violation, z3 gave up on some obligations (2 obligations, 1.0 ms)")
        XCTAssertEqual(report.proofLine(graph: proof(.graph, .proved), z3: nil),
                       "holds: graph engine found no violation (2 obligations), no Z3 query")
        XCTAssertTrue(report.proofLine(graph: proof(.graph, .proved), z3: proof(.z3, .refuted)).hasPrefix("ENGINES DISAGREE"))
    }

    /// An input error after the header names the trace's system (JSON `system`), so a tool
    /// reading the report knows which spec the trace was for; before the header, none.
    func testInputErrorAfterTheHeaderNamesTheSystem() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-wording-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("driver.jsonl").path
        try (#"{"format":"plumb-trace","version":1,"system":"driver"}"# + "\n"
             + #"{"node":"host","seq":1,"ev":"complete"}"# + "\n").write(toFile: good, atomically: true, encoding: .utf8)
        let bad = directory.appendingPathComponent("bad.jsonl").path
        try "{\n".write(toFile: bad, atomically: true, encoding: .utf8)
        for useSolver in [true, false] {
            var options = Checker.Options()
            options.useSolver = useSolver
            let report = Checker(options: options).check(files: [good])
            XCTAssertEqual(report.error?.line, 2)
            XCTAssertEqual(report.system, .driver)
            XCTAssertNil(Checker(options: options).check(files: [bad]).system)
        }
    }

    /// The headline counts every violation, those past the limit per invariant too.
    func testHeadlineCountsViolationsNotShown() {
        let invariant = Invariant(rawValue: "mirror.commit-after-mirror")
        var report = CheckReport.inputError(TraceInputError(file: "", line: 0, message: ""), files: [])
        report.error = nil
        report.system = .mirror
        report.violations = [Violation(invariant, "one", events: [])]
        XCTAssertTrue(report.text.hasPrefix("FAIL: mirror trace, 1 violation\n"), report.text)
        report.suppressed = [invariant: 5]
        XCTAssertTrue(report.text.hasPrefix("FAIL: mirror trace, 6 violations (1 shown)\n"), report.text)
        XCTAssertTrue(report.text.contains("... and 5 more violations of mirror.commit-after-mirror not shown"), report.text)
    }

    /// A second append names the first one too, with its line, so both are in the report.
    func testAppendedTwiceNamesTheFirstAppend() {
        for name in ["fail-lsn-appended-twice.jsonl", "fail-entry-appended-twice.jsonl"] {
            let path = GoldenTraceTests.tracesDirectory.appendingPathComponent("mirror/" + name).path
            let report = Checker().check(files: [path])
            XCTAssertEqual(report.violations.first?.events.map(\.location.line), [4, 3], name)
            XCTAssertEqual(report.violations.first?.message.hasSuffix("first at primary#2"), true, name)
        }
    }
}
