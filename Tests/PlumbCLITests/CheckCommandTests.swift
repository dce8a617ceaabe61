import Checker
import Foundation
import Trace
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// Runs the built `plumb` binary and asserts exit codes and output, as a CI job would.
final class CheckCommandTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let traces = root.appendingPathComponent("Traces")

    /// Runs the `plumb` binary.
    private func plumb(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try PlumbBinary.run(arguments)
    }

    private func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// The first manifest entry with `verdict` and no flags.
    private func golden(_ verdict: String) throws -> String {
        let text = try String(contentsOf: Self.traces.appendingPathComponent("manifest.tsv"), encoding: .utf8)
        for line in text.split(separator: "\n").dropFirst() {
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false)
            if cols.count >= 4 && cols[1] == verdict && cols[3] == "-" { return "Traces/" + cols[0] }
        }
        throw XCTSkip("no \(verdict) trace in the manifest")
    }

    func testPassExitsZeroWithProvedProofs() throws {
        let run = try plumb(["check", "--format", "json", try golden("pass")])
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let report = try json(run.stdout)
        XCTAssertEqual(report["verdict"] as? String, "pass")
        XCTAssertEqual((report["violations"] as? [Any])?.count, 0)
        let proofs = try XCTUnwrap(report["proofs"] as? [[String: Any]])
        XCTAssertFalse(proofs.isEmpty)
        for p in proofs {
            XCTAssertNotNil(p["invariant"] as? String)
            XCTAssertTrue(["z3", "graph"].contains(p["engine"] as? String))
            XCTAssertEqual(p["result"] as? String, "proved")
            XCTAssertNotNil(p["ms"] as? Double)
        }
        XCTAssertTrue(proofs.contains { $0["engine"] as? String == "z3" })
    }

    func testViolationExitsOneAndNamesInvariantAndEvents() throws {
        let run = try plumb(["check", "--format", "json", try golden("fail")])
        XCTAssertEqual(run.status, 1, run.stdout + run.stderr)
        let report = try json(run.stdout)
        XCTAssertEqual(report["verdict"] as? String, "fail")
        let violations = try XCTUnwrap(report["violations"] as? [[String: Any]])
        XCTAssertFalse(violations.isEmpty)
        for v in violations {
            XCTAssertNotNil(v["invariant"] as? String)
            XCTAssertFalse((v["message"] as? String ?? "").isEmpty)
            let events = try XCTUnwrap(v["events"] as? [[String: Any]])
            XCTAssertFalse(events.isEmpty)
            XCTAssertNotNil(events[0]["node"] as? String)
            XCTAssertNotNil(events[0]["seq"] as? Int)
        }
        let text = try plumb(["check", try golden("fail")])
        XCTAssertEqual(text.status, 1)
        XCTAssertTrue(text.stdout.contains("violation of "), text.stdout)
        XCTAssertTrue(text.stderr.contains("reproduce: plumb check"), text.stderr)
    }

    func testMalformedInputExitsTwoWithFileAndLine() throws {
        let run = try plumb(["check", "--format", "json", try golden("error")])
        XCTAssertEqual(run.status, 2, run.stdout + run.stderr)
        let report = try json(run.stdout)
        XCTAssertEqual(report["verdict"] as? String, "error")
        let error = try XCTUnwrap(report["error"] as? [String: Any])
        XCTAssertNotNil(error["file"] as? String)
        XCTAssertNotNil(error["line"] as? Int)
        XCTAssertFalse((error["message"] as? String ?? "").isEmpty)
    }

    func testUsageErrorsExitTwo() throws {
        XCTAssertEqual(try plumb(["check"]).status, 2)
        XCTAssertEqual(try plumb(["check", "--format", "yaml", "x.jsonl"]).status, 2)
        let missing = try plumb(["check", "no/such/trace.jsonl"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stdout.contains("no/such/trace.jsonl"), missing.stdout)
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let nothing = try plumb(["check", empty.path])
        XCTAssertEqual(nothing.status, 2)
        XCTAssertTrue(nothing.stdout.contains("nothing to read"), nothing.stdout)
    }

    func testHelpExplainsExitCodesAndHappensBefore() throws {
        let run = try plumb(["check", "--help"])
        XCTAssertEqual(run.status, 0)
        for phrase in ["Exit codes", "inconclusive", "Happens-before", "cause", "--truncated", "--each"] {
            XCTAssertTrue(run.stdout.contains(phrase), "help lacks \(phrase):\n\(run.stdout)")
        }
    }

    func testJUnitHasOneCasePerInvariant() throws {
        let run = try plumb(["check", "--format", "junit", try golden("fail")])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stdout.hasPrefix("<?xml"), run.stdout)
        XCTAssertTrue(run.stdout.contains("<failure"), run.stdout)
        let cases = run.stdout.components(separatedBy: "<testcase ").count - 1
        XCTAssertGreaterThanOrEqual(cases, 5)
        // Well-formed: the XML parser reads it to the end without an error.
        let parser = XMLParser(data: Data(run.stdout.utf8))
        XCTAssertTrue(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
    }

    func testEachChecksEveryArgumentAlone() throws {
        let run = try plumb(["check", "--each", "--format", "json", try golden("pass"), try golden("fail")])
        XCTAssertEqual(run.status, 1, run.stdout)
        let report = try json(run.stdout)
        XCTAssertEqual((report["traces"] as? [Any])?.count, 2)
        XCTAssertEqual(report["verdict"] as? String, "fail")
    }

    /// A proof cut short by its limit is never a pass: the verdict is inconclusive, exit 3.
    /// Z3 proves this trace's queries well within a millisecond each, so the limit that cuts
    /// them is the deterministic one (--solver-rlimit); --timeout takes the same path.
    func testSolverLimitIsInconclusive() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-timeout-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("merged.jsonl").path
        let recorder = try FileRecorder(path: path, system: .mirror)
        SyntheticMirrorTrace().generate(events: 40_000) { recorder.record($0) }
        try recorder.close()

        let cut = try plumb(["check", "--solver-rlimit", "1", "--format", "json", path])
        XCTAssertEqual(cut.status, 3, cut.stdout + cut.stderr)
        let report = try json(cut.stdout)
        XCTAssertEqual(report["verdict"] as? String, "unknown")
        let proofs = try XCTUnwrap(report["proofs"] as? [[String: Any]])
        XCTAssertTrue(proofs.contains { $0["engine"] as? String == "z3" && $0["result"] as? String == "unknown" })

        let graph = try plumb(["check", "--engine", "graph", path])
        XCTAssertEqual(graph.status, 0, graph.stdout)
    }

    /// Gzip captures, one per node, read as one trace.
    func testGzipFilesPerNodeFormOneTrace() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-gz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = ["primary", "secondary"].map { dir.appendingPathComponent("\($0).jsonl").path }
        let recorders = try files.map { try FileRecorder(path: $0, system: .mirror) }
        SyntheticMirrorTrace().generate(events: 3_000) { e in recorders[e.node == "primary" ? 0 : 1].record(e) }
        for r in recorders { try r.close() }
        for f in files {
            let gzip = Process()
            gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            gzip.arguments = ["gzip", f]
            try gzip.run()
            gzip.waitUntilExit()
            XCTAssertEqual(gzip.terminationStatus, 0)
        }
        let run = try plumb(["check", "--format", "json", dir.path])
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let report = try json(run.stdout)
        XCTAssertEqual((report["files"] as? [String])?.count, 2)
        XCTAssertEqual((report["files"] as? [String])?.allSatisfy { $0.hasSuffix(".jsonl.gz") }, true)
    }
}
