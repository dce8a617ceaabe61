import ArgumentParser
import Explorer
import Foundation
@testable import PlumbCLI
import XCTest

/// Issue 13, #3 and #4: every numeric option is range-checked in `validate()` (NaN, infinity,
/// negatives, zero where meaningless, values that would overflow later arithmetic), refused
/// with exit 2 and a message naming the option, the value and the range; `--jobs` is bounded
/// and `--time` ends the search whatever the job count.
final class OptionRangeTests: XCTestCase {
    /// A trace any `check` can be pointed at (validation comes first).
    static let trace = PlumbBinary.root.appendingPathComponent("Traces/mirror/pass-basic-one-stream.jsonl").path

    /// A folder for outputs, removed after each test.
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-ranges-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
        super.tearDown()
    }

    /// Parses `arguments` in-process as `plumb` does and asserts a usage error (exit 2 once
    /// `Plumb.main` maps it) whose message contains `expected`.
    private func assertRefused(_ arguments: [String], _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Plumb.parseAsRoot(arguments), arguments.joined(separator: " "), file: file, line: line) { error in
            XCTAssertEqual(Plumb.exitCode(for: error), .validationFailure, "\(arguments)", file: file, line: line)
            let message = Plumb.message(for: error)
            XCTAssertTrue(message.contains(expected), "\(arguments): \(message)", file: file, line: line)
        }
    }

    /// Parses `arguments` in-process and asserts they are accepted.
    private func assertAccepted(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNoThrow(try Plumb.parseAsRoot(arguments), arguments.joined(separator: " "), file: file, line: line)
    }

    private var out: String { directory.appendingPathComponent("out").path }

    func testTimesRefuseNaNInfinityNegativesZeroAndOverflow() {
        for value in ["inf", "1e308", "nan", "0", "0.0001", "31536001"] {
            assertRefused(["explore", "mirror", "--time", value],
                          "--time \(Double(value)!) is out of range: allowed are 0.001...31536000 seconds")
        }
        assertRefused(["explore", "mirror", "--time=-1"], "--time -1.0 is out of range")
        assertRefused(["check", "--timeout", "inf", Self.trace], "--timeout inf is out of range: allowed are 0.001...86400 seconds")
        assertRefused(["check", "--timeout", "1e300", Self.trace], "--timeout 1e+300 is out of range")
        assertRefused(["check", "--timeout", "0", Self.trace], "--timeout 0.0 is out of range")
        assertRefused(["bench", "mirror", "--latency-seconds", "inf"], "--latency-seconds inf is out of range: allowed are 0.001...3600 seconds")
        assertRefused(["bench", "mirror", "--path-mbps", "nan"], "--path-mbps nan is out of range: allowed are 0.001...100000 MB/s")
        assertRefused(["record", "recovery", "--timeout-ms", "0", "--out", out], "--timeout-ms 0 is out of range: allowed are 1...3600000 ms")
        assertRefused(["record", "recovery", "--max-ms", "9223372036854775807", "--out", out], "--max-ms 9223372036854775807 is out of range")
        assertRefused(["bench", "recovery", "--max-ms", "0"], "--max-ms 0 is out of range: allowed are 1...60000 ms")
        // The bounds themselves are accepted.
        assertAccepted(["explore", "mirror", "--time", "0.001"])
        assertAccepted(["explore", "mirror", "--time", "31536000"])
        assertAccepted(["check", "--timeout", "86400", Self.trace])
    }

    func testExploreCountsAndBoundsAreRangeChecked() {
        assertRefused(["explore", "mirror", "--executions=0"], "--executions 0 is out of range")
        assertRefused(["explore", "mirror", "--depth", "0"], "--depth 0 is out of range: allowed are 1...1000000 steps")
        assertRefused(["explore", "mirror", "--depth", "9223372036854775807"], "--depth 9223372036854775807 is out of range")
        assertRefused(["explore", "mirror", "--pct-depth", "0"], "--pct-depth 0 is out of range: allowed are 1...10000")
        assertRefused(["explore", "mirror", "--records", "100000000"], "--records 100000000 is out of range: allowed are 0...10000")
        assertRefused(["explore", "mirror", "--streams", "65"], "--streams 65 is out of range: allowed are 1...64")
        assertRefused(["explore", "mirror", "--paths", "0"], "--paths 0 is out of range: allowed are 1...64")
        assertRefused(["explore", "mirror", "--crashes", "3"], "--crashes 3 is out of range: allowed are 0...2")
        assertRefused(["explore", "mirror", "--path-failures=-1"], "--path-failures -1 is out of range")
        assertRefused(["explore", "mirror", "--shard", "0/100000000000"], "--shard 0/100000000000 is out of range: allowed are i/n with n in 1...1024")
        assertRefused(["explore", "mirror", "--shard", "auto", "--shards", "0"], "--shards 0 is out of range: allowed are 1...1024")
        assertRefused(["explore", "driver", "--requests", "17"], "--requests 17 is out of range: allowed are 0...16")
        assertRefused(["explore", "driver", "--ifaces", "0"], "--ifaces 0 is out of range: allowed are 1...8")
        assertRefused(["explore", "recovery", "--consumers", "1001"], "--consumers 1001 is out of range: allowed are 1...1000")
        assertRefused(["explore", "recovery", "--consumers", "5", "--failures", "6"], "--failures 6 is out of range: allowed are 0...5")
        assertRefused(["check", "--window", "0", Self.trace], "--window 0 is out of range: allowed are 1...1048576")
    }

    func testRecordAndBenchCountsAndSizesAreRangeChecked() {
        let device = directory.appendingPathComponent("x.img").path
        assertRefused(["record", "driver", "--device", device, "--out", out, "--size", "0"], "--size 0B is out of range: allowed are 4KiB...1024GiB")
        assertRefused(["record", "driver", "--device", device, "--out", out, "--size", "9223372036854775807"],
                      "--size 9223372036854775807 bytes is out of range")
        assertRefused(["record", "driver", "--device", device, "--out", out, "--staging", "4GiB"], "--staging 4GiB is out of range: allowed are 8KiB...1GiB")
        assertRefused(["record", "driver", "--device", device, "--out", out, "--requests", "0"], "--requests 0 is out of range: allowed are 1...1000000000")
        assertRefused(["record", "driver", "--device", device, "--out", out, "--requests", "10", "--crash-at", "11"], "--crash-at 11 is out of range: allowed are 1...10")
        assertRefused(["record", "mirror", "--out", out, "--records", "0"], "--records 0 is out of range: allowed are 1...1000000000")
        assertRefused(["record", "mirror", "--out", out, "--streams", "1000000000"], "--streams 1000000000 is out of range: allowed are 1...1024")
        assertRefused(["record", "mirror", "--out", out, "--paths", "4294967297"], "--paths 4294967297 is out of range: allowed are 1...64")
        assertRefused(["record", "mirror", "--out", out, "--window", "100000000000"], "--window 100000000000 is out of range: allowed are 1...1048576 records")
        // What comes after the primary's crash would never happen.
        assertRefused(["record", "mirror", "--out", out, "--records", "100", "--crash-primary-at", "50", "--fail-path", "1@60"],
                      "--fail-path 1@60 comes at or after --crash-primary-at 50")
        assertAccepted(["record", "mirror", "--out", out, "--records", "100", "--crash-primary-at", "50", "--fail-path", "1@40"])
        assertRefused(["record", "recovery", "--out", out, "--consumers", "100000000000"], "--consumers 100000000000 is out of range: allowed are 1...1000000")
        assertRefused(["record", "controller", "--out", out, "--records", "0"], "--records 0 is out of range: allowed are 1...10000000")
        assertRefused(["record", "controller", "--out", out, "--records", "10", "--destaged", "11"], "--destaged 11 is out of range: allowed are 0...10")
        assertRefused(["bench", "check", "--events", "9223372036854775807"], "--events 9223372036854775807 is out of range: allowed are 100...1000000000")
        assertRefused(["bench", "check", "--repeats", "0"], "--repeats 0 is out of range: allowed are 1...1000")
        assertRefused(["bench", "mirror", "--rate", "0"], "--rate 0 is out of range: allowed are 1...1000000 writes per second")
        assertRefused(["bench", "recovery", "--overhead-consumers", "0"], "--overhead-consumers 0 is out of range")
        assertRefused(["bench", "driver", "--rounds", "0"], "--rounds 0 is out of range: allowed are 1...1000")
        assertRefused(["bench", "explore", "--spin-records", "2,x"], "--spin-records 2,x: \"x\" is not a number")
        assertRefused(["bench", "explore", "--spin-records", "0"], "--spin-records 0 is out of range: allowed are 1...64")
        assertAccepted(["bench", "explore", "--only", "flat, spin"])
        assertRefused(["bench", "explore", "--only", "flat,spn"], "--only flat,spn: \"spn\" is not a part; give some of scaling, flat, reduction, crash-states, parallel, from, spin, comma-separated")
    }

    func testHelpSaysTheRanges() throws {
        let help = Plumb.helpMessage(for: ExploreMirror.self)
        for range in ["0.001...31536000", "1...\(OptionRange.maxJobs)", "1...1000000", "(1...64; default 2)", "(0...2)"] {
            XCTAssertTrue(help.contains(range), "\(range) not in:\n\(help)")
        }
        XCTAssertTrue(Plumb.helpMessage(for: Check.self).contains("0.001...86400"))
        XCTAssertTrue(Plumb.helpMessage(for: RecordDriver.self).contains("1024GiB"))
    }

    /// The crashes of the issue, on the built binary: `Int64(x * 1000)` trapped (SIGILL, 132).
    func testInfiniteTimesExitTwoInsteadOfCrashing() throws {
        for arguments in [["explore", "mirror", "--time", "inf"], ["explore", "mirror", "--time", "1e308"],
                          ["check", "--timeout", "inf", Self.trace]] {
            let run = try PlumbBinary.run(arguments, environment: ["SWIFT_BACKTRACE": "enable=no"])
            XCTAssertEqual(run.status, 2, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("is out of range: allowed are 0.001..."), run.stderr)
        }
    }

    /// `--records -1` reaches the range check (the parser alone reads `-1` as options and says
    /// "Missing value"); a word after `--` stays as it is.
    func testNegativeNumbersAfterAnOptionAreRangeChecked() throws {
        let run = try PlumbBinary.run(["explore", "mirror", "--records", "-1"])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("--records -1 is out of range: allowed are 0...10000"), run.stderr)
        let time = try PlumbBinary.run(["explore", "mirror", "--time", "-0.5"])
        XCTAssertEqual(time.status, 2, time.stderr)
        XCTAssertTrue(time.stderr.contains("--time -0.5 is out of range"), time.stderr)
        XCTAssertEqual(Plumb.joiningNegativeNumbers(["check", "--timeout", "-2", "--", "--x", "-3"]),
                       ["check", "--timeout=-2", "--", "--x", "-3"])
        XCTAssertEqual(Plumb.joiningNegativeNumbers(["explore", "--jobs", "-1.2.3", "-v"]), ["explore", "--jobs", "-1.2.3", "-v"])
    }

    // MARK: #4 --jobs and --time

    func testJobsAreBoundedByFourTimesTheCores() throws {
        let bound = 4 * ProcessInfo.processInfo.activeProcessorCount
        XCTAssertEqual(OptionRange.maxJobs, bound)
        let run = try PlumbBinary.run(["explore", "mirror", "--jobs", "100000", "--time", "3"])
        XCTAssertEqual(run.status, 2, run.stdout + run.stderr)
        XCTAssertTrue(run.stderr.contains("--jobs 100000 is out of range: allowed are 1...\(bound) threads (4 × the "), run.stderr)
        assertRefused(["explore", "mirror", "--jobs", "\(bound + 1)"], "--jobs \(bound + 1) is out of range")
        assertRefused(["explore", "mirror", "--jobs", "0"], "--jobs 0 is out of range")
        assertRefused(["bench", "explore", "--jobs", "100000"], "--jobs 100000 is out of range: allowed are 1...\(bound)")
        assertAccepted(["explore", "mirror", "--jobs", "\(bound)"])
    }

    /// The most threads allowed, on a search far larger than the time given: the budget ends
    /// it (not how long it took: CI is loaded).
    func testTimeEndsASearchOnTheMostThreads() throws {
        let run = try PlumbBinary.run(["explore", "mirror", "--records", "12", "--jobs", "\(OptionRange.maxJobs)",
                                       "--time", "0.5", "--format", "json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.stdout)
        XCTAssertEqual(report["budget_exhausted"] as? Bool, true, run.stdout)
        XCTAssertEqual(report["exhaustive"] as? Bool, false, run.stdout)
    }

    /// A time already up when the search starts: the split before the threads and every
    /// thread (more of them than cores, so most start queued) do no work at all.
    func testNoWorkOnceTheTimeIsUpWhateverTheThreads() {
        for strategy in [ExplorationStrategy.exhaustive, .random(seed: 1)] {
            let options = ExplorationOptions(strategy: strategy, budget: ExplorationBudget(time: .zero), parallelism: 256)
            let start = MirrorSimulation(.init(streams: 2, paths: 2, records: 12, crashes: 1))
            let report = Exploration(start: start, options: options).run()
            XCTAssertTrue(report.budgetExhausted, "\(strategy)")
            XCTAssertFalse(report.exhaustive, "\(strategy)")
            XCTAssertEqual(report.transitions, 0, "\(strategy): work done after the time was up")
            XCTAssertEqual(report.executions, 0, "\(strategy)")
        }
    }
}
