import Checker
import Foundation
import Specs
import Trace
import XCTest

/// "Where the trace stopped matching": each violation names the event of the replay after which
/// it was certain, in the text report and as `decided_at` in JSON.
final class DecidedAtTests: XCTestCase {
    func check(_ name: String) -> CheckReport {
        Checker().check(files: [TraceFixtures.traces.appendingPathComponent(name).path])
    }

    func testAnOrderingViolationIsDecidedAtItsLaterEvent() throws {
        let report = check("mirror/fail-commit-ahead-of-its-ack.jsonl")
        XCTAssertEqual(report.decidedAt.count, report.violations.count)
        let decided = try XCTUnwrap(report.decision(0))
        XCTAssertEqual(decided.id, EventID(node: "primary", seq: 8))
        XCTAssertEqual(decided.name, "commit")
        XCTAssertEqual(decided.location.line, 14)
        XCTAssertTrue(report.text.contains("decided at commit primary#8  at "), report.text)
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        let json = try XCTUnwrap((root["violations"] as? [[String: Any]])?.first)
        let object = try XCTUnwrap(json["decided_at"] as? [String: Any])
        XCTAssertEqual(object["node"] as? String, "primary")
        XCTAssertEqual(object["seq"] as? Int, 8)
        XCTAssertEqual(object["line"] as? Int, 14)
        XCTAssertTrue((object["file"] as? String)?.hasSuffix("fail-commit-ahead-of-its-ack.jsonl") ?? false)
    }

    func testEveryViolationOfEveryFailingGoldenTraceIsDecidedAtOneOfItsEventsOrEarlier() throws {
        for entry in try GoldenTraceTests.manifest() where entry.verdict == "fail" {
            var options = Checker.Options()
            options.useSolver = false
            options.allowTruncated = entry.flags.contains("--truncated")
            let files = try TraceInputs.files(for: [TraceFixtures.traces.appendingPathComponent(entry.path).path])
            let report = Checker(options: options).check(files: files)
            XCTAssertEqual(report.decidedAt.count, report.violations.count, entry.path)
            for index in report.violations.indices {
                let decided = try XCTUnwrap(report.decision(index), entry.path)
                XCTAssertFalse(decided.name.isEmpty, entry.path)
                XCTAssertGreaterThan(decided.location.line, 0, entry.path)
            }
        }
    }
}
