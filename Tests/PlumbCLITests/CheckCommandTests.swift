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

    /// A name with characters XML 1.0 cannot hold (a control character, in an unknown event's
    /// name) is written as its JSON escape: the document stays well-formed.
    func testJUnitStaysWellFormedWithControlCharactersInNames() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-junit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("t.jsonl").path
        try (#"{"format":"plumb-trace","version":1,"system":"driver"}"# + "\n"
            + #"{"node":"driver","seq":1,"ev":"bo\u0001g\u001bus\t"}"# + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let run = try plumb(["check", "--format", "junit", path])
        XCTAssertEqual(run.status, 2, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains(#"bo\u0001g\u001bus&#9;"#), run.stdout)
        let parser = XMLParser(data: Data(run.stdout.utf8))
        XCTAssertTrue(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        // The text report shows them the same way, and so cannot drive a terminal.
        let text = try plumb(["check", path])
        XCTAssertEqual(text.status, 2, text.stdout + text.stderr)
        XCTAssertTrue(text.stdout.contains(#"bo\u0001g\u001bus"#), text.stdout)
        XCTAssertFalse(text.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 1 }, text.stdout)
    }

    /// --html or --minimize naming a file of the trace is refused before anything is read or
    /// written (the trace stays as it was); so are solver bounds with the graph engine, which
    /// makes no solver query.
    func testRefusesToOverwriteTheTraceAndSolverBoundsWithoutASolver() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-victim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let trace = dir.appendingPathComponent("victim.jsonl").path
        let original = try Data(contentsOf: URL(fileURLWithPath: try golden("fail")))
        try original.write(to: URL(fileURLWithPath: trace))
        for arguments in [["--html", trace, trace], ["--minimize", trace, trace], ["--html", trace, dir.path],
                          ["--minimize", dir.path + "/./victim.jsonl", dir.path]] {
            let run = try plumb(["check"] + arguments)
            XCTAssertEqual(run.status, 2, "\(arguments): \(run.stdout + run.stderr)")
            XCTAssertTrue(run.stderr.contains("one of the trace's files"), run.stderr)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: trace)), original, "\(arguments)")
        }
        for arguments in [["--solver-rlimit", "1"], ["--timeout", "5"]] {
            let run = try plumb(["check", "--engine", "graph"] + arguments + [trace])
            XCTAssertEqual(run.status, 2, "\(arguments): \(run.stdout + run.stderr)")
            XCTAssertTrue(run.stderr.contains("--engine graph makes none"), run.stderr)
        }
        // With --minimize, --timeout bounds the one Z3 check of the minimized trace.
        let minimized = dir.appendingPathComponent("small.jsonl").path
        let run = try plumb(["check", "--engine", "graph", "--timeout", "5", "--minimize", minimized, trace])
        XCTAssertEqual(run.status, 1, run.stdout + run.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: minimized))
        // Its reproduce line leaves the solver's bounds out, and runs as printed.
        let line = try XCTUnwrap(run.stderr.split(separator: "\n").first { $0.hasPrefix("reproduce: ") })
        XCTAssertEqual(String(line), "reproduce: plumb check --engine graph \(trace)")
        let again = try plumb(Array(line.split(separator: " ").dropFirst(2).map(String.init)))
        XCTAssertEqual(again.status, 1, again.stderr)
    }

    /// Two of a command's files that are one file are refused before anything is written:
    /// a page over the trace standard input is redirected from, a replay's trace and page, the
    /// secondary's log over its trace or key, a recorded mirror's log over one of its traces.
    func testOneFileNamedForTwoJobsIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-same-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let trace = dir.appendingPathComponent("t.jsonl").path
        let original = try Data(contentsOf: URL(fileURLWithPath: try golden("fail")))
        try original.write(to: URL(fileURLWithPath: trace))
        let process = Process()
        process.executableURL = PlumbBinary.url
        process.arguments = ["check", "--html", trace, "-"]
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: trace))
        let err = Pipe()
        process.standardError = err
        process.standardOutput = Pipe()
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 2, stderr)
        XCTAssertTrue(stderr.contains("standard input"), stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: trace)), original)

        let key = dir.appendingPathComponent("k.key").path
        XCTAssertEqual(try plumb(["mirror", "keygen", key]).status, 0)
        let keyBytes = try Data(contentsOf: URL(fileURLWithPath: key))
        let page = dir.appendingPathComponent("p.html").path
        for arguments in [
            ["replay", "plumb2.AAAA", "--out", page, "--html", dir.path + "/./p.html"],
            ["mirror", "secondary", "--listen", "127.0.0.1:0", "--key-file", key, "--log", trace, "--trace", trace],
            ["mirror", "primary", "--connect", "127.0.0.1:9", "--key-file", key, "--trace", key],
            ["record", "mirror", "--records", "5", "--out", dir.path, "--secondary-log", dir.path + "/secondary.jsonl.partial"],
        ] {
            let run = try plumb(arguments)
            XCTAssertEqual(run.status, 2, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("are one file"), "\(arguments): \(run.stderr)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: trace)), original)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: key)), keyBytes)
    }

    func testEachChecksEveryArgumentAlone() throws {
        let run = try plumb(["check", "--each", "--format", "json", try golden("pass"), try golden("fail")])
        XCTAssertEqual(run.status, 1, run.stdout)
        let report = try json(run.stdout)
        XCTAssertEqual((report["traces"] as? [Any])?.count, 2)
        XCTAssertEqual(report["verdict"] as? String, "fail")
        // One argument (a glob that matched one file) keeps the same shape.
        let one = try plumb(["check", "--each", "--format", "json", try golden("pass")])
        XCTAssertEqual(one.status, 0, one.stdout)
        XCTAssertEqual((try json(one.stdout)["traces"] as? [Any])?.count, 1, one.stdout)
    }

    /// --html and --minimize never land where the trace is read from: one file for both, or a
    /// new trace-named file inside a folder argument (the same check run again would read it).
    func testOutputsThatWouldSpoilTheTraceAreRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-spoil-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fail = try golden("fail")
        try FileManager.default.copyItem(atPath: fail, toPath: dir.appendingPathComponent("a.jsonl").path)
        let same = dir.path + "/../" + dir.lastPathComponent + "-out.txt"
        let both = try plumb(["check", "--html", same, "--minimize", same, fail])
        XCTAssertEqual(both.status, 2, both.stderr)
        XCTAssertTrue(both.stderr.contains("are one file"), both.stderr)
        for flag in ["--minimize", "--html"] {
            let inside = dir.appendingPathComponent("small.jsonl").path
            let run = try plumb(["check", flag, inside, dir.path])
            XCTAssertEqual(run.status, 2, run.stderr)
            XCTAssertTrue(run.stderr.contains("is inside \(dir.path), a folder the trace is read from"), run.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: inside))
        }
        // A name the folder's trace would not read is fine.
        let page = dir.appendingPathComponent("report.html").path
        XCTAssertEqual(try plumb(["check", "--html", page, dir.path]).status, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: page))
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
