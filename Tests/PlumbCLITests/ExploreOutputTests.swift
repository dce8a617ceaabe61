import Explorer
import Foundation
@testable import PlumbCLI
import Trace
import XCTest

/// What `plumb explore` tells a newcomer: distinct counterexamples with their counts, trace
/// files named by invariant that a later run never overwrites, progress off a terminal, and
/// how many executions a shard of a walk search runs.
final class ExploreOutputTests: XCTestCase {
    var directory: URL!

    override func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("explore-out-\(UUID().uuidString)")
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// The seeded mirror bug that every schedule with a client write meets.
    var seededBug: [String] {
        ["explore", "mirror", "--streams", "2", "--paths", "2", "--records", "2",
         "--inject-fault", "commitsBeforeAck", "--out", directory.path]
    }

    func violations(_ stdout: String) throws -> [[String: Any]] {
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any], stdout)
        return try XCTUnwrap(report["violations"] as? [[String: Any]], stdout)
    }

    func testKeepGoingReportsEachDistinctCounterexampleOnceWithItsCount() throws {
        let run = try PlumbBinary.run(seededBug + ["--keep-going", "--format", "json"])
        XCTAssertEqual(run.status, 1, run.stderr)
        let found = try violations(run.stdout)
        // Ten counterexamples kept, all shrunk to the same schedule: one, found ten times.
        XCTAssertEqual(found.count, 1, run.stdout)
        XCTAssertEqual(found.first?["count"] as? Int, 10, run.stdout)
        let keys = found.map { "\($0["invariant"] ?? "") \($0["steps"] ?? "")" }
        XCTAssertEqual(Set(keys).count, keys.count)

        let text = try PlumbBinary.run(seededBug + ["--keep-going"])
        XCTAssertEqual(text.status, 1, text.stderr)
        XCTAssertTrue(text.stdout.contains("counterexamples: 1 distinct of the 10 kept"), text.stdout)
        XCTAssertTrue(text.stdout.contains("(found 10 times, the same shrunk schedule)"), text.stdout)
        XCTAssertEqual(text.stdout.components(separatedBy: "violation of ").count - 1, 1, text.stdout)
    }

    func testTraceFilesAreNamedByInvariantAndNeverOverwritten() throws {
        let first = try PlumbBinary.run(seededBug)
        XCTAssertEqual(first.status, 1, first.stderr)
        let one = directory.appendingPathComponent("mirror.commit-after-mirror-1.jsonl").path
        XCTAssertTrue(first.stdout.contains("trace written to \(one)"), first.stdout)
        let before = try String(contentsOfFile: one, encoding: .utf8)
        // A second run into the same folder takes the next free number.
        let second = try PlumbBinary.run(seededBug + ["--format", "json"])
        XCTAssertEqual(second.status, 1, second.stderr)
        let two = directory.appendingPathComponent("mirror.commit-after-mirror-2.jsonl").path
        XCTAssertEqual(try violations(second.stdout).first?["trace"] as? String, two)
        XCTAssertEqual(try String(contentsOfFile: one, encoding: .utf8), before)
        XCTAssertEqual(try String(contentsOfFile: two, encoding: .utf8), before)
        // Nothing else is left in the folder (no system prefix, no file written aside).
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(),
                       ["mirror.commit-after-mirror-1.jsonl", "mirror.commit-after-mirror-2.jsonl"])
    }

    func testWriteNewPicksTheNextFreeNumber() throws {
        let folder = directory.path
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data("taken".utf8).write(to: directory.appendingPathComponent("x.inv-1.jsonl"))
        try Data("taken".utf8).write(to: directory.appendingPathComponent("x.inv-3.jsonl"))
        XCTAssertEqual(try ExploreRunner.writeNew(Array("a".utf8), in: folder, stem: "x.inv"), folder + "/x.inv-2.jsonl")
        XCTAssertEqual(try ExploreRunner.writeNew(Array("b".utf8), in: folder, stem: "x.inv"), folder + "/x.inv-4.jsonl")
        XCTAssertEqual(try String(contentsOfFile: folder + "/x.inv-1.jsonl", encoding: .utf8), "taken")
        XCTAssertEqual(try String(contentsOfFile: folder + "/x.inv-4.jsonl", encoding: .utf8), "b")
    }

    /// A snapshot `seconds` into the search.
    func snapshot(_ seconds: Double, states: Int = 12_345) -> ExplorationProgress {
        ExplorationProgress(states: states, executions: 6_789, transitions: 99_999, executionsPerSecond: 678.9,
                            currentDepth: 31, elapsed: .milliseconds(Int64(seconds * 1000)))
    }

    func testOffATerminalALineEveryIntervalOfSearchTime() {
        let lines = Locked<[String]>([])
        let progress = ExploreProgressLine(system: "recovery", onTerminal: false, interval: .seconds(10)) { text in
            lines.withLock { $0.append(text) }
        }
        for seconds in [0.25, 3, 9.9, 10, 12, 19.9, 20.5, 21] { progress.show(snapshot(seconds)) }
        progress.finish()
        XCTAssertEqual(lines.withLock { $0 }, [
            "recovery: 12,345 states, 6,789 executions, depth 31, 678 exec/s, 10 s\n",
            "recovery: 12,345 states, 6,789 executions, depth 31, 678 exec/s, 20 s\n",
        ])
    }

    func testOnATerminalOneLineRewritten() {
        let written = Locked<String>("")
        let progress = ExploreProgressLine(system: "mirror", onTerminal: true) { text in written.withLock { $0 += text } }
        progress.show(snapshot(0.25, states: 1))
        progress.show(snapshot(0.5, states: 2))
        progress.finish()
        let text = written.withLock { $0 }
        XCTAssertFalse(text.contains("\n"), text)
        XCTAssertEqual(text.components(separatedBy: "\r").filter { $0.hasPrefix("mirror: ") }.count, 2, text)
        XCTAssertTrue(text.hasSuffix("\r\u{1B}[K"), text)
    }

    func testProgressLinesOnStandardErrorOffATerminal() throws {
        // Stopped by its time budget, the walk search reports progress several times; with a
        // short interval, each report past it is a line (standard error here is a pipe).
        let run = try PlumbBinary.run([
            "explore", "mirror", "--records", "6", "--strategy", "random", "--executions", "1000000000",
            "--time", "1", "--progress-interval", "0.01", "--out", directory.path,
        ])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stderr.split(separator: "\n").filter { $0.hasPrefix("mirror: ") }
        XCTAssertFalse(lines.isEmpty, run.stderr)
        for line in lines {
            for word in ["states", "executions", "depth", "exec/s"] { XCTAssertTrue(line.contains(word), String(line)) }
        }
        XCTAssertFalse(run.stderr.contains("\r"), run.stderr)
    }

    func testAShardOfAWalkSearchSaysHowManyExecutionsItRuns() throws {
        let run = try PlumbBinary.run(["explore", "mirror", "--strategy", "random", "--shard", "3/8",
                                       "--executions", "20000", "--records", "1"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("shard 3/8 runs 2,500 of the 20,000 executions"), run.stdout)
        XCTAssertTrue(run.stdout.contains("executions: 2500 "), run.stdout)
        let json = try PlumbBinary.run(["explore", "mirror", "--strategy", "pct", "--shard", "2/3",
                                        "--executions", "10", "--records", "1", "--format", "json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        XCTAssertTrue(json.stderr.contains("shard 2/3 runs 3 of the 10 executions"), json.stderr)
        let whole = try PlumbBinary.run(["explore", "mirror", "--strategy", "random", "--executions", "10", "--records", "1"])
        XCTAssertFalse(whole.stdout.contains("shard 0/1 runs"), whole.stdout)
    }
}
