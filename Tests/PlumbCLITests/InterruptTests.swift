import Checker
import Foundation
import Trace
import XCTest

/// SIGINT and SIGTERM during a long `plumb check` or `plumb explore`: the run stops, says it was
/// interrupted, prints no verdict and exits 128 plus the signal (TRACE-FORMAT.md, "What `plumb
/// check` answers"). Wall time is not asserted (CI machines are loaded): the wait for the exit
/// is bounded only by a long timeout, far past what a stopped run takes.
final class InterruptTests: XCTestCase {
    /// A good two-file mirror trace, generated once: large enough that the debug binary checks
    /// it for several seconds with Z3, so the signal lands while the check runs.
    private static let trace: Result<[String], any Error> = Result {
        let dir = traceDirectory
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let files = [dir.appendingPathComponent("primary.jsonl").path, dir.appendingPathComponent("secondary.jsonl").path]
        let primary = try FileRecorder(path: files[0], system: .mirror)
        let secondary = try FileRecorder(path: files[1], system: .mirror)
        SyntheticMirrorTrace().generate(events: 200_000) { event in
            (event.node == "primary" ? primary : secondary).record(event)
        }
        try primary.close()
        try secondary.close()
        return files
    }

    /// Where `trace` is written (some 20 MB), removed once the class's tests are done.
    private static let traceDirectory =
        FileManager.default.temporaryDirectory.appendingPathComponent("plumb-interrupt-\(getpid())")

    override class func tearDown() {
        try? FileManager.default.removeItem(at: traceDirectory)
        super.tearDown()
    }

    /// A run of `plumb arguments` sent `signal` once it has run for `after`.
    private struct Interrupted {
        var status: Int32
        var reason: Process.TerminationReason
        var stdout: String
        var stderr: String
    }

    /// Starts `plumb arguments`, sends `signal` after `delay` (failing if the run already
    /// ended: then it was too short to test), and waits for it to end, at most 60 s.
    private func interrupt(_ arguments: [String], with signal: Int32, after delay: TimeInterval,
                           file: StaticString = #filePath, line: UInt = #line) throws -> Interrupted {
        let process = Process()
        process.executableURL = PlumbBinary.url
        process.arguments = arguments
        process.currentDirectoryURL = PlumbBinary.root
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        // Read the pipes while the run goes on, so that a full pipe never blocks it.
        let stdout = Locked(Data()), stderr = Locked(Data())
        let reading = DispatchGroup()
        for (pipe, sink) in [(out, stdout), (err, stderr)] {
            DispatchQueue.global().async(group: reading) {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                sink.withLock { $0 = data }
            }
        }
        try process.run()
        Thread.sleep(forTimeInterval: delay)
        XCTAssertTrue(process.isRunning, "the run ended before the signal: make it longer", file: file, line: line)
        kill(process.processIdentifier, signal)
        // Polls of 50 ms: 1200 of them is a minute, far past the second a stopped run takes.
        var polls = 0
        while process.isRunning && polls < 1200 {
            Thread.sleep(forTimeInterval: 0.05)
            polls += 1
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            XCTFail("still running 60 s after the signal", file: file, line: line)
        }
        process.waitUntilExit()
        reading.wait()
        return Interrupted(
            status: process.terminationStatus, reason: process.terminationReason,
            stdout: String(decoding: stdout.withLock { $0 }, as: UTF8.self),
            stderr: String(decoding: stderr.withLock { $0 }, as: UTF8.self))
    }

    /// Asserts an interrupted run's ending: exit (not death by the signal) with 128 plus the
    /// signal, the interruption said on standard error, nothing on standard output.
    private func assertInterrupted(_ run: Interrupted, by signal: Int32, named name: String,
                                   file: StaticString = #filePath, line: UInt = #line) {
        let all = "stdout: \(run.stdout)\nstderr: \(run.stderr)"
        XCTAssertEqual(run.reason, .exit, "ended by the signal itself, not by plumb: " + all, file: file, line: line)
        XCTAssertEqual(run.status, 128 + signal, all, file: file, line: line)
        XCTAssertTrue(run.stderr.contains("interrupted by \(name)"), all, file: file, line: line)
        XCTAssertEqual(run.stdout, "", "no report, no verdict on standard output: " + all, file: file, line: line)
        for verdict in ["PASS", "FAIL", "INCONCLUSIVE", "verdict:"] {
            XCTAssertFalse(run.stderr.contains(verdict), "a verdict: " + all, file: file, line: line)
        }
    }

    /// Ctrl-C during a Z3 check: no INCONCLUSIVE report, no crash in libz3; exit 130.
    func testSIGINTDuringCheckExits130WithoutVerdict() throws {
        let files = try Self.trace.get()
        let run = try interrupt(["check"] + files, with: SIGINT, after: 1)
        assertInterrupted(run, by: SIGINT, named: "SIGINT")
    }

    /// SIGTERM during a check with a JSON report: no JSON at all; exit 143.
    func testSIGTERMDuringJSONCheckExits143WithoutReport() throws {
        let files = try Self.trace.get()
        let run = try interrupt(["check", "--format", "json"] + files, with: SIGTERM, after: 1)
        assertInterrupted(run, by: SIGTERM, named: "SIGTERM")
    }

    /// SIGHUP (the terminal closed) during a check stops it as Ctrl-C does: exit 129.
    func testSIGHUPDuringCheckExits129WithoutVerdict() throws {
        let files = try Self.trace.get()
        let run = try interrupt(["check"] + files, with: SIGHUP, after: 1)
        assertInterrupted(run, by: SIGHUP, named: "SIGHUP")
    }

    /// Ctrl-C during a long exploration prints what was covered (on standard error) and exits 130.
    func testSIGINTDuringExploreReportsCoverageAndExits130() throws {
        let run = try interruptSearch(["explore", "mirror", "--records", "6", "--crashes", "1"], with: SIGINT, named: "SIGINT",
                                      until: Self.someExecutions)
        try assertCoverage(run.stderr)
    }

    /// SIGTERM during a JSON exploration: coverage on standard error, no JSON report; exit 143.
    func testSIGTERMDuringJSONExploreReportsCoverageAndExits143() throws {
        let run = try interruptSearch(["explore", "mirror", "--records", "6", "--crashes", "1", "--format", "json"],
                                      with: SIGTERM, named: "SIGTERM", until: Self.someExecutions)
        try assertCoverage(run.stderr)
    }

    /// Interrupts an exploration once its search is under way (`until` holds of the coverage
    /// it prints), each run ending as an interrupted run must. A signal that comes while the run
    /// is still setting up (a loaded machine can take seconds) leaves nothing covered to report,
    /// so the run is made again with the signal later: 1.5 s, then 4 s, then 8 s after the start.
    private func interruptSearch(
        _ arguments: [String], with signal: Int32, named name: String,
        until searching: (_ states: Int, _ executions: Int) -> Bool = { states, _ in states > 0 },
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> Interrupted {
        var run: Interrupted?
        for delay in [1.5, 4, 8] {
            let attempt = try interrupt(arguments, with: signal, after: delay, file: file, line: line)
            assertInterrupted(attempt, by: signal, named: name, file: file, line: line)
            run = attempt
            let covered = Self.covered(attempt.stderr)
            if searching(covered.states, covered.executions) { break }
        }
        return run!
    }

    /// Whether an exploration covered some executions (and so some states).
    private static func someExecutions(_ states: Int, _ executions: Int) -> Bool { states > 0 && executions > 0 }

    /// The states and executions of the "covered so far" line (0 when there is none).
    private static func covered(_ stderr: String) -> (states: Int, executions: Int) {
        guard let covered = stderr.split(separator: "\n").first(where: { $0.hasPrefix("covered so far:") }) else {
            return (0, 0)
        }
        let numbers = covered.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .punctuationCharacters)) }
        return (numbers.first ?? 0, numbers.dropFirst().first ?? 0)
    }

    /// Ctrl-C during `explore driver --from`: the coverage says the crash points covered so far.
    func testSIGINTDuringExploreFromReportsCrashPointsAndExits130() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-interrupt-from-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let record = try PlumbBinary.run(["record", "driver", "--device", dir.appendingPathComponent("img").path,
                                          "--size", "128MiB", "--requests", "300", "--out", dir.path])
        XCTAssertEqual(record.status, 0, record.stderr)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("img"))
        let run = try interruptSearch(["explore", "driver", "--from", dir.path], with: SIGINT, named: "SIGINT")
        // The first execution of a 300-request trace may not have ended yet: states, not executions.
        XCTAssertTrue(run.stderr.contains("covered so far: ") && !run.stderr.contains("covered so far: 0 states"), run.stderr)
        XCTAssertTrue(run.stderr.contains("crash points covered: "), run.stderr)
        XCTAssertTrue(run.stderr.contains("found so far:"), run.stderr)
    }

    /// The coverage lines: states and executions (some of each), depth, whether anything was found.
    private func assertCoverage(_ stderr: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let covered = try XCTUnwrap(stderr.split(separator: "\n").first { $0.hasPrefix("covered so far:") },
                                    stderr, file: file, line: line)
        let (states, executions) = Self.covered(stderr)
        XCTAssertGreaterThan(states, 0, "states: \(covered)", file: file, line: line)
        XCTAssertGreaterThan(executions, 0, "executions: \(covered)", file: file, line: line)
        XCTAssertTrue(covered.contains("max depth"), String(covered), file: file, line: line)
        XCTAssertTrue(stderr.contains("found so far:"), stderr, file: file, line: line)
    }
}
