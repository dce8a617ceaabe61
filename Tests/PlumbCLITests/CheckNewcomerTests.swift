import ArgumentParser
import Checker
import Foundation
@testable import PlumbCLI
import Trace
import XCTest

/// What a newcomer tripped over in `plumb check` (issue 12): the reproduce hint, the proofs
/// table's wording, inconclusive results, the `--each` tally, counterexample events, standard
/// input, `--version`, and the examples in every `--help`.
final class CheckNewcomerTests: XCTestCase {
    static let fail = "Traces/mirror/fail-commit-ahead-of-its-ack.jsonl"
    static let pass = "Traces/mirror/pass-basic-one-stream.jsonl"

    /// Runs the built `plumb` with `input` on its standard input.
    private func plumb(_ arguments: [String], input: Data) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = PlumbBinary.url
        process.arguments = arguments
        process.currentDirectoryURL = PlumbBinary.root
        let stdin = Pipe(), out = Pipe(), err = Pipe()
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let writer = Thread { stdin.fileHandleForWriting.write(input); try? stdin.fileHandleForWriting.close() }
        writer.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    /// The `reproduce:` line of stderr.
    private func reproduceLine(_ stderr: String) -> String? {
        stderr.split(separator: "\n").first { $0.hasPrefix("reproduce: ") }.map { String($0.dropFirst("reproduce: ".count)) }
    }

    func testReproduceKeepsEveryFlagThatChangesTheVerdict() throws {
        let run = try PlumbBinary.run(["check", "--each", "--timeout", "5", "--max-pending", "5000", Self.fail, Self.pass])
        XCTAssertEqual(run.status, 1, run.stdout + run.stderr)
        XCTAssertEqual(reproduceLine(run.stderr), "plumb check --each --timeout 5 --max-pending 5000 \(Self.fail) \(Self.pass)")
        // The hint, run as it reads, is the same check: the same verdict and report.
        let again = try PlumbBinary.run(Array(try XCTUnwrap(reproduceLine(run.stderr)).split(separator: " ").dropFirst().map(String.init)))
        XCTAssertEqual(again.status, run.status)
        XCTAssertEqual(again.stdout.split(separator: "\n").filter { !$0.contains(" ms") },
                       run.stdout.split(separator: "\n").filter { !$0.contains(" ms") })

        let command = try Check.parse(["--truncated", "--engine", "graph", "--window", "8", "a b.jsonl", "-"])
        XCTAssertEqual(command.reproduceCommand(), "plumb check --truncated --engine graph --window 8 'a b.jsonl' -")
        XCTAssertEqual(try Check.parse(["--timeout", "0.5", "x.jsonl"]).reproduceCommand(), "plumb check --timeout 0.5 x.jsonl")
        XCTAssertEqual(try Check.parse(["x.jsonl"]).reproduceCommand(timeout: 120), "plumb check --timeout 120 x.jsonl")
    }

    func testProofsTableSaysWhatEachEngineFound() throws {
        let run = try PlumbBinary.run(["check", Self.fail])
        XCTAssertEqual(run.status, 1, run.stdout + run.stderr)
        let line = try XCTUnwrap(run.stdout.split(separator: "\n").first { $0.contains("mirror.commit-after-mirror ") })
        XCTAssertTrue(line.contains("violated: graph engine found it, z3 confirmed the counterexample"), String(line))
        XCTAssertFalse(run.stdout.contains("refuted"), run.stdout)
        XCTAssertTrue(run.stdout.contains("holds: graph engine found no violation, z3 proved every obligation"), run.stdout)
    }

    func testEveryCounterexampleEventHasItsNameAndLine() throws {
        let run = try PlumbBinary.run(["check", Self.fail])
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try XCTUnwrap(lines.firstIndex { $0.contains("a happens-before order that breaks it") })
        let order = lines[(start + 1)...].prefix { $0.hasPrefix("    ") }
        XCTAssertGreaterThan(order.count, 2, run.stdout)
        let pattern = try NSRegularExpression(pattern: #"^    [a-z-]+ [a-z]+#\d+  at Traces/mirror/[^:]+\.jsonl:\d+$"#)
        for line in order {
            XCTAssertNotNil(pattern.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)), line)
        }
    }

    func testEachEndsWithATally() throws {
        let run = try PlumbBinary.run(["check", "--each", Self.pass, Self.fail, "Traces/mirror/no-such.jsonl"])
        XCTAssertEqual(run.status, 2, run.stdout + run.stderr)
        XCTAssertEqual(run.stdout.split(separator: "\n").last, "3 traces: 1 passed, 1 failed, 1 errored, 0 inconclusive")
        XCTAssertEqual(reproduceLine(run.stderr), "plumb check --each \(Self.pass) \(Self.fail) Traces/mirror/no-such.jsonl")
    }

    /// A proof cut short by its limit names the obligations left unproved, with their events,
    /// and suggests a larger limit (the deterministic --solver-rlimit here: Z3 proves this
    /// trace's queries within a millisecond, so --timeout 0.001 would not cut them).
    func testInconclusiveNamesUnprovedObligationsAndSuggestsALargerLimit() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-unproved-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("merged.jsonl").path
        let recorder = try FileRecorder(path: path, system: .mirror)
        SyntheticMirrorTrace().generate(events: 40_000) { recorder.record($0) }
        try recorder.close()

        let run = try PlumbBinary.run(["check", "--solver-rlimit", "1", path])
        XCTAssertEqual(run.status, 3, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("INCONCLUSIVE"), run.stdout)
        let pattern = try NSRegularExpression(
            pattern: #"\n  mirror\.[a-z-]+: [a-z-]+ \w+#\d+  at [^\n]+:\d+  happens-before  [a-z-]+ \w+#\d+  at [^\n]+:\d+\n"#)
        XCTAssertNotNil(pattern.firstMatch(in: run.stdout, range: NSRange(run.stdout.startIndex..., in: run.stdout)), run.stdout)
        XCTAssertTrue(run.stdout.contains("left unproved"), run.stdout)
        XCTAssertTrue(run.stdout.contains("larger --timeout"), run.stdout)
        XCTAssertTrue(run.stderr.contains("retry with a larger bound: plumb check --solver-rlimit 4 \(path)"), run.stderr)

        let json = try PlumbBinary.run(["check", "--solver-rlimit", "1", "--format", "json", path])
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertGreaterThan(report["unproved_count"] as? Int ?? 0, 0)
        XCTAssertFalse((report["unproved"] as? [Any] ?? []).isEmpty)
    }

    /// Pipes are copied like standard input: a node's seqs interleaved across two pipes need
    /// the files read twice (a prescan), and every message names the pipe as the user did.
    func testPipesAreReadAsOftenAsACheckNeeds() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-pipes-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let header = #"{"format":"plumb-trace","version":1,"system":"driver"}"#
        func line(_ seq: Int, _ rest: String) -> String { #"{"node":"driver","seq":\#(seq),"ev":\#(rest)}"# }
        let a = [header, line(1, #""submit","iface":0,"id":1,"off":0,"len":8"#), line(3, #""stage","id":1,"region":0"#),
                 line(6, #""durable","id":1"#)]
        let b = [header, line(2, #""submit","iface":0,"id":2,"off":8,"len":8"#), line(4, #""stage","id":2,"region":0"#),
                 line(5, #""durable","id":2"#)]
        try (a.joined(separator: "\n") + "\n").write(toFile: dir + "/a.jsonl", atomically: true, encoding: .utf8)
        try (b.joined(separator: "\n") + "\n").write(toFile: dir + "/b.jsonl", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "\"$0\" check --format json <(cat a.jsonl) <(cat b.jsonl)", PlumbBinary.url.path]
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 1, String(decoding: stdout, as: UTF8.self))
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: stdout) as? [String: Any])
        let violations = report["violations"] as? [[String: Any]] ?? []
        XCTAssertEqual(violations.map { $0["invariant"] as? String }, ["driver.order"])
        let files = report["files"] as? [String] ?? []
        XCTAssertEqual(files.count, 2)
        XCTAssertTrue(files.allSatisfy { $0.hasPrefix("/dev/fd/") }, "\(files)")
    }

    func testDashReadsStandardInputPlainOrGzip() throws {
        let plain = try Data(contentsOf: PlumbBinary.root.appendingPathComponent(Self.fail))
        let run = try plumb(["check", "-"], input: plain)
        XCTAssertEqual(run.status, 1, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains("at <stdin>:13"), run.stdout)
        XCTAssertFalse(run.stdout.contains("plumb-input"), run.stdout)

        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-c", Self.pass]
        gzip.currentDirectoryURL = PlumbBinary.root
        let out = Pipe()
        gzip.standardOutput = out
        try gzip.run()
        let compressed = out.fileHandleForReading.readDataToEndOfFile()
        gzip.waitUntilExit()
        XCTAssertEqual(compressed.prefix(2), Data([0x1f, 0x8b]))
        let zipped = try plumb(["check", "--format", "json", "-"], input: compressed)
        XCTAssertEqual(zipped.status, 0, zipped.stdout + zipped.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(zipped.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["files"] as? [String], ["<stdin>"])

        let bad = try plumb(["check", "-"], input: Data("not json\n".utf8))
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stdout.contains("<stdin>"), bad.stdout)
    }

    func testVersion() throws {
        let run = try PlumbBinary.run(["--version"])
        XCTAssertEqual(run.status, 0)
        XCTAssertEqual(run.stdout, "plumb \(Plumb.version)\n")
        XCTAssertEqual(Plumb.version, "0.4.0")
    }

    /// Every example line in any `--help` fits 80 columns, and every file an example names
    /// exists in the repository, or an earlier command of the same examples creates it (`--out`, `--dir`, `--device`, `> FILE`,
    /// `keygen FILE`, `--log`, `--trace`).
    func testHelpExamplesNameFilesThatExist() throws {
        var commands: [(path: String, type: ParsableCommand.Type)] = []
        func walk(_ type: ParsableCommand.Type, _ path: String) {
            commands.append((path, type))
            for sub in type.configuration.subcommands { walk(sub, path + " " + (sub.configuration.commandName ?? "\(sub)".lowercased())) }
        }
        walk(Plumb.self, "plumb")
        XCTAssertGreaterThan(commands.count, 8)
        var examplesSeen = 0
        for (path, type) in commands {
            let help = Plumb.helpMessage(for: type, columns: 400)
            var created: [String] = []
            var inExamples = false
            var pending = ""
            for raw in help.split(separator: "\n", omittingEmptySubsequences: false) {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.hasPrefix("Example") { inExamples = true; continue }
                guard inExamples else { continue }
                if line.isEmpty { inExamples = false; created = []; continue }
                // A line longer than a terminal's 80 columns wraps into two that do not run.
                XCTAssertLessThanOrEqual(raw.count, 80, "`\(path) --help` example line wraps at 80 columns: \(raw)")
                if line.hasPrefix("#") { continue }
                if line.hasSuffix("\\") { pending += line.dropLast() + " "; continue }
                let command = pending + line
                pending = ""
                examplesSeen += 1
                for problem in Self.missingFiles(command, created: &created) {
                    XCTFail("`\(path) --help` example `\(command)` names \(problem), which does not exist")
                }
            }
        }
        XCTAssertGreaterThan(examplesSeen, 10)
    }

    /// The files `command` reads that neither exist under the repository's root nor are in
    /// `created`; adds what it creates to `created`.
    static func missingFiles(_ command: String, created: inout [String]) -> [String] {
        let code = command.components(separatedBy: " #").first ?? command
        var missing: [String] = []
        let creating: Set<String> = ["--out", "--dir", "--device", ">", "keygen", "--log", "--trace"]
        for segment in code.split(separator: "|") {
            var words = segment.split(separator: " ").map(String.init)
            // What `echo` prints is not a file; where it writes is.
            if words.first == "echo" { words = ["echo"] + words.drop { $0 != ">" } }
            var previous = ""
            for word in words.dropFirst() {
                defer { previous = word }
                if creating.contains(previous) { created.append(word); continue }
                if word.hasPrefix("-") || word.hasPrefix("'") || word == ">" { continue }
                let looksLikeFile = word.contains("/") && word.contains(where: \.isLetter)
                    || [".json", ".jsonl", ".gz", ".img", ".xml"].contains { word.hasSuffix($0) }
                guard looksLikeFile else { continue }
                if created.contains(where: { word.hasPrefix($0) || fnmatch(word, $0, 0) == 0 }) { continue }
                var matches = glob_t()
                defer { globfree(&matches) }
                let pattern = PlumbBinary.root.appendingPathComponent(word).path
                if glob(pattern, 0, nil, &matches) != 0 || matches.gl_pathc == 0 { missing.append(word) }
            }
        }
        return missing
    }
}
