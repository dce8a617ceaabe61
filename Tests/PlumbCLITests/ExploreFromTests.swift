import Foundation
import XCTest

/// `plumb explore SYSTEM --from TRACE`, end to end on traces `plumb record` makes (small ones,
/// so that a debug build stays quick): no violation on the real core, with the crash points it
/// covered in the report; the same trace with a seeded bug finds it, writes a trace and a
/// token, and the token replays (and says what it needs once the trace moved); a trace the
/// explorer cannot use exits 2 naming file and line.
final class ExploreFromTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-explore-from-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
        super.tearDown()
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func plumb(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try PlumbBinary.run(arguments)
    }

    /// The JSON report of a run.
    private func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    /// Explores `system` from `trace` with `extra` flags as JSON: exit status and report.
    private func explore(_ system: String, _ trace: String, _ extra: [String] = []) throws -> (Int32, [String: Any], String) {
        let run = try plumb(["explore", system, "--from", trace, "--format", "json", "--out", path("cx")] + extra)
        return (run.status, try json(run.stdout), run.stderr)
    }

    /// Asserts a passing, exhaustive report with crash points covered.
    private func assertPasses(_ report: [String: Any], _ status: Int32, _ stderr: String) throws {
        XCTAssertEqual(status, 0, stderr)
        XCTAssertEqual(report["verdict"] as? String, "pass")
        XCTAssertEqual(report["exhaustive"] as? Bool, true)
        let from = try XCTUnwrap(report["from"] as? [String: Any], "\(report)")
        XCTAssertGreaterThan(from["crash_points"] as? Int ?? 0, 0, "\(from)")
        XCTAssertNotNil(from["crash_points_per_second"])
        XCTAssertEqual(from["window"] as? Int, 0)
    }

    /// Asserts a violation whose token replays to the same violation.
    private func assertFindsAndReplays(_ report: [String: Any], _ status: Int32, _ stderr: String) throws -> String {
        XCTAssertEqual(status, 1, stderr)
        let violations = try XCTUnwrap(report["violations"] as? [[String: Any]])
        let first = try XCTUnwrap(violations.first)
        let token = try XCTUnwrap(first["token"] as? String)
        XCTAssertTrue(FileManager.default.fileExists(atPath: first["trace"] as? String ?? ""), "\(first)")
        let replay = try plumb(["replay", token, "--out", path("replayed.jsonl")])
        XCTAssertEqual(replay.status, 1, replay.stderr)
        XCTAssertTrue(replay.stderr.contains("violation of \(first["invariant"] as? String ?? "?")"), replay.stderr)
        return token
    }

    func testDriverTraceOfRecordDriverPassesAndASeededBugIsFound() throws {
        let record = try plumb(["record", "driver", "--device", path("d.img"), "--size", "1MiB", "--staging", "32KiB",
                                "--region", "16KiB", "--ifaces", "2", "--requests", "10", "--crash-at", "7",
                                "--out", path("d")])
        XCTAssertEqual(record.status, 0, record.stdout + record.stderr)
        let trace = path("d/driver.jsonl")
        var (status, report, stderr) = try explore("driver", trace)
        try assertPasses(report, status, stderr)
        let crashStates = try XCTUnwrap(report["crash_states"] as? [String: Any])
        XCTAssertGreaterThan(crashStates["crash_points"] as? Int ?? 0, 0)

        (status, report, stderr) = try explore("driver", trace, ["--inject-fault", "recoveryStopsEarly"])
        let token = try assertFindsAndReplays(report, status, stderr)
        // The token names the trace: moved, the replay says what it needs; --from finds it.
        try FileManager.default.moveItem(atPath: path("d"), toPath: path("moved"))
        let lost = try plumb(["replay", token])
        XCTAssertEqual(lost.status, 2)
        XCTAssertTrue(lost.stderr.contains("needs that trace") && lost.stderr.contains("--from"), lost.stderr)
        let found = try plumb(["replay", token, "--from", path("moved"), "--out", path("again.jsonl")])
        XCTAssertEqual(found.status, 1, found.stderr)
    }

    func testMirrorTraceOfRecordMirrorPassesAndASeededBugIsFound() throws {
        let record = try plumb(["record", "mirror", "--records", "6", "--streams", "2", "--paths", "2",
                                "--fail-path", "1@3", "--out", path("m")])
        XCTAssertEqual(record.status, 0, record.stdout + record.stderr)
        var (status, report, stderr) = try explore("mirror", path("m"))
        try assertPasses(report, status, stderr)
        // The recording deals record n to stream n-1 mod 2; the explorer's client to n mod 2.
        let workload = try XCTUnwrap((report["from"] as? [String: Any])?["workload"] as? String)
        XCTAssertTrue(workload.contains("streams renamed (the trace's → here): 0→1, 1→0"), workload)
        (status, report, stderr) = try explore("mirror", path("m"), ["--inject-fault", "commitsBeforeAck"])
        _ = try assertFindsAndReplays(report, status, stderr)
    }

    /// `--window 0` replays the trace and no more: the primary sees a failed path down as its
    /// trace says it did (before its next write), and no takeover or comeback comes after the
    /// trace's end (the recording's last paths go down as it ends). Before, the writes after
    /// the failure queued on the failed path, and a takeover and a comeback followed for free,
    /// so a bug needing them was "found" with no stray choice at all.
    func testWindowZeroReplaysAMirrorTraceExactly() throws {
        let record = try plumb(["record", "mirror", "--records", "8", "--streams", "1", "--paths", "2",
                                "--fail-path", "0@4", "--out", path("m")])
        XCTAssertEqual(record.status, 0, record.stdout + record.stderr)
        var (status, report, stderr) = try explore("mirror", path("m"), ["--crashes", "0"])
        XCTAssertEqual(status, 0, stderr)
        XCTAssertEqual(report["executions"] as? Int, 1, "\(report)")
        (status, report, stderr) = try explore("mirror", path("m"), ["--crashes", "0", "--inject-fault", "appliesAfterTakeover"])
        XCTAssertEqual(status, 0, "a takeover the trace does not hold strays: \(stderr) \(report)")
        // With a crash of the primary the secondary takes over, as the recording would have.
        (status, report, stderr) = try explore("mirror", path("m"), ["--inject-fault", "commitsBeforeAck"])
        XCTAssertEqual(status, 1, stderr)
    }

    /// A trace that breaks an invariant is not explored (the cores would not do what it
    /// recorded, so a replay would not be it): exit 1 with the check that shows it.
    func testATraceThatFailsItsCheckIsNotExplored() throws {
        let trace = PlumbBinary.root.appendingPathComponent("Traces/mirror/fail-ack-before-apply.jsonl").path
        let run = try plumb(["explore", "mirror", "--from", trace])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("the trace itself breaks mirror."), run.stderr)
        XCTAssertTrue(run.stderr.contains("reproduce: plumb check \(trace)"), run.stderr)
    }

    /// Names are told apart byte for byte (TRACE-FORMAT.md): two nodes that differ only in
    /// normalisation are two nodes (not one with a duplicate event), and two such consumers,
    /// which the recovery framework would take as one, are refused saying so.
    func testNamesThatDifferOnlyInNormalisationAreTwoNames() throws {
        let nodes = PlumbBinary.root.appendingPathComponent("Traces/recovery/pass-nodes-differ-only-by-normalisation.jsonl").path
        let run = try plumb(["explore", "recovery", "--from", nodes])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertFalse(run.stderr.contains("duplicate event"), run.stderr)
        XCTAssertTrue(run.stderr.contains("worker node"), run.stderr)
        let consumers = path("c.jsonl")
        try ([#"{"format":"plumb-trace","version":1,"system":"recovery"}"#,
              #"{"node":"framework","seq":1,"ev":"register","consumer":"caf\u00e9","deps":[]}"#,
              #"{"node":"framework","seq":2,"ev":"register","consumer":"cafe\u0301","deps":[]}"#,
              #"{"node":"framework","seq":3,"ev":"begin"}"#].joined(separator: "\n") + "\n")
            .write(toFile: consumers, atomically: true, encoding: .utf8)
        XCTAssertEqual(try plumb(["check", "--engine", "graph", consumers]).status, 0)
        let refused = try plumb(["explore", "recovery", "--from", consumers])
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains(#"consumers "caf\u{e9}" and "cafe\u{301}" differ only in Unicode normalisation"#),
                      refused.stderr)
        XCTAssertTrue(refused.stderr.contains("c.jsonl:3:"), refused.stderr)
    }

    func testRecoveryTraceOfRecordRecoveryPassesAndASeededBugIsFound() throws {
        let record = try plumb(["record", "recovery", "--consumers", "6", "--workers", "2", "--fail", "1",
                                "--max-ms", "2", "--out", path("r")])
        XCTAssertEqual(record.status, 0, record.stdout + record.stderr)
        var (status, report, stderr) = try explore("recovery", path("r/recovery.jsonl"))
        try assertPasses(report, status, stderr)
        let workload = try XCTUnwrap((report["from"] as? [String: Any])?["workload"] as? String)
        XCTAssertTrue(workload.contains("steps number the consumers: c0 = c0000, c1 = c0001"), workload)
        (status, report, stderr) = try explore("recovery", path("r/recovery.jsonl"), ["--inject-fault", "releaseDependentsAtStart"])
        _ = try assertFindsAndReplays(report, status, stderr)
    }

    /// A controller's trace writes across terabytes: explored on the chunks it writes, laid side
    /// by side, with the moves in the report; a seeded bug is found and its token replays. (The
    /// whole device was allocated before: 77 GB for a trace reaching 77 GB.)
    func testADriverTraceReachingTerabytesIsExploredOnTheChunksItWrites() throws {
        let file = path("far.jsonl")
        let tib = 1 << 40
        try Data("""
            {"format":"plumb-trace","version":1,"system":"driver"}
            {"node":"driver","seq":1,"ev":"submit","iface":0,"id":1,"off":\(3 * tib + 100),"len":700}
            {"node":"driver","seq":2,"ev":"submit","iface":1,"id":2,"off":\(3 * tib + 500),"len":300}
            {"node":"driver","seq":3,"ev":"submit","iface":0,"id":3,"off":\(tib + 4000),"len":200,"deps":[1]}
            {"node":"driver","seq":4,"ev":"sync","iface":0}

            """.utf8).write(to: URL(fileURLWithPath: file))
        var (status, report, stderr) = try explore("driver", file)
        try assertPasses(report, status, stderr)
        let from = try XCTUnwrap(report["from"] as? [String: Any])
        let moved = try XCTUnwrap(from["moved_offsets"] as? [[String: Int]], "\(from)")
        XCTAssertEqual(moved, [["trace": tib, "explored": 0, "bytes": 8192], ["trace": 3 * tib, "explored": 8192, "bytes": 4096]])
        XCTAssertTrue((from["workload"] as? String)?.contains("3 written 4 KiB chunks are laid side by side") == true, "\(from)")
        (status, report, stderr) = try explore("driver", file, ["--inject-fault", "recoveryStopsEarly"])
        _ = try assertFindsAndReplays(report, status, stderr)
    }

    /// Eight small requests that may tear, written in segments of a region that fits a 70 KB
    /// one: a recovery read of them has more contents than are enumerated, so it gets a sample,
    /// and the report says the search was not exhaustive and why (it used to enumerate every
    /// combination: a 300-request recording ran for minutes without a progress line and past
    /// its --time). A seeded bug is found.
    func testADriverTraceWithReadsOfTooManyContentsSaysItSampledThem() throws {
        let file = path("large.jsonl")
        let small = (2 ..< 10).map { i in
            #"{"node":"driver","seq":\#(i),"ev":"submit","iface":\#(i % 2),"id":\#(i),"off":\#(100_000 + 3_000 * i),"len":2000}"#
        }
        try Data(([
            #"{"format":"plumb-trace","version":1,"system":"driver"}"#,
            #"{"node":"driver","seq":1,"ev":"submit","iface":0,"id":1,"off":0,"len":70000}"#,
        ] + small + [#"{"node":"driver","seq":10,"ev":"sync","iface":0}"#, ""]).joined(separator: "\n").utf8)
            .write(to: URL(fileURLWithPath: file))
        var (status, report, stderr) = try explore("driver", file, ["--torn"])
        XCTAssertEqual(status, 0, stderr)
        XCTAssertEqual(report["verdict"] as? String, "pass")
        XCTAssertEqual(report["exhaustive"] as? Bool, false)
        let crash = try XCTUnwrap(report["crash_states"] as? [String: Any])
        XCTAssertGreaterThan(crash["sampled_reads"] as? Int ?? 0, 0, "\(crash)")
        XCTAssertGreaterThan(crash["most_read_combinations"] as? Double ?? 0, 4096, "\(crash)")
        let from = try XCTUnwrap(report["from"] as? [String: Any])
        XCTAssertGreaterThan(from["crash_points"] as? Int ?? 0, 0, "\(from)")
        let text = try plumb(["explore", "driver", "--from", file, "--torn", "--out", path("cx")])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("exhaustive: false"), text.stdout)
        XCTAssertTrue(text.stdout.contains("reads of undecided sectors got a sample of their contents"), text.stdout)
        // Without tearing, few enough to enumerate.
        (status, report, stderr) = try explore("driver", file)
        try assertPasses(report, status, stderr)
        (status, report, stderr) = try explore("driver", file, ["--torn", "--inject-fault", "recoveryStopsEarly"])
        _ = try assertFindsAndReplays(report, status, stderr)
    }

    func testATraceTheExplorerCannotUseExitsTwoNamingFileAndLine() throws {
        let file = path("bad.jsonl")
        try Data("""
            {"format":"plumb-trace","version":1,"system":"driver"}
            {"node":"driver","seq":1,"ev":"submit","iface":0,"id":1,"off":0,"len":10}
            {"node":"driver","seq":2,"ev":"submit","iface":0,"id":2,"off":0,"len":10,"deps":[7]}

            """.utf8).write(to: URL(fileURLWithPath: file))
        let run = try plumb(["explore", "driver", "--from", file])
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("bad.jsonl:3:") && run.stderr.contains("depends on request 7"), run.stderr)
        let other = try plumb(["explore", "mirror", "--from", file])
        XCTAssertEqual(other.status, 2)
        XCTAssertTrue(other.stderr.contains("not the mirror") && other.stderr.contains("bad.jsonl:1:"), other.stderr)
        // The header's own line, after blank lines.
        let late = path("late.jsonl")
        try Data(("\n\n" + #"{"format":"plumb-trace","version":1,"system":"mirror"}"# + "\n").utf8)
            .write(to: URL(fileURLWithPath: late))
        let lateHeader = try plumb(["explore", "driver", "--from", late])
        XCTAssertEqual(lateHeader.status, 2)
        XCTAssertTrue(lateHeader.stderr.contains("late.jsonl:3:") && lateHeader.stderr.contains("not the driver"),
                      lateHeader.stderr)
        let missing = try plumb(["explore", "recovery", "--from", path("nothing.jsonl")])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("nothing.jsonl"), missing.stderr)
        // What `plumb check` refuses is refused here too, with its message: a cause naming no
        // event, and a cut last line (whose advice names `plumb check`, as explore takes whole
        // captures only).
        let cause = path("cause.jsonl")
        try Data("""
            {"format":"plumb-trace","version":1,"system":"recovery"}
            {"node":"framework","seq":1,"ev":"register","consumer":"a","deps":[]}
            {"node":"framework","seq":2,"ev":"begin"}
            {"node":"w1","seq":1,"ev":"start","consumer":"a","cause":{"node":"framework","seq":999}}

            """.utf8).write(to: URL(fileURLWithPath: cause))
        let unnamed = try plumb(["explore", "recovery", "--from", cause])
        XCTAssertEqual(unnamed.status, 2, unnamed.stdout + unnamed.stderr)
        XCTAssertTrue(unnamed.stderr.contains("cause.jsonl:4:") && unnamed.stderr.contains("framework#999"), unnamed.stderr)
        XCTAssertTrue(unnamed.stdout.isEmpty, unnamed.stdout)
        let cut = path("cut.jsonl")
        try Data(#"""
            {"format":"plumb-trace","version":1,"system":"driver"}
            {"node":"driver","seq":1,"ev":"submit","iface":0,"id":1,"off":0,"len":10}
            {"node":"driver","seq":2,"ev":"sub
            """#.utf8).write(to: URL(fileURLWithPath: cut))
        let truncated = try plumb(["explore", "driver", "--from", cut])
        XCTAssertEqual(truncated.status, 2, truncated.stderr)
        XCTAssertTrue(truncated.stderr.contains("cut.jsonl:3:") && truncated.stderr.contains("`plumb check --truncated`"),
                      truncated.stderr)
    }

    /// The options around --from say what they do: standard input is refused (tokens name
    /// files), --size takes units, --html on a pass says it drew nothing, a plain token refuses
    /// --from, and merged shards keep the crash points covered.
    func testFromOptionsSayWhatTheyDo() throws {
        let stdin = try plumb(["explore", "driver", "--from", "-"])
        XCTAssertEqual(stdin.status, 2)
        XCTAssertTrue(stdin.stderr.contains("not standard input"), stdin.stderr)
        let trace = RecordedTraceFiles.driver(in: directory)
        let sized = try plumb(["explore", "driver", "--from", trace, "--crashes", "0", "--size", "1KiB"])
        XCTAssertEqual(sized.status, 2, sized.stderr)
        XCTAssertTrue(sized.stderr.contains("driver.jsonl:3:") && sized.stderr.contains("data area of 1024 bytes"), sized.stderr)
        let page = path("pass.html")
        let html = try plumb(["explore", "driver", "--from", trace, "--crashes", "0", "--size", "1MiB", "--html", page])
        XCTAssertEqual(html.status, 0, html.stderr)
        XCTAssertTrue(html.stderr.contains("--html: nothing written to \(page)"), html.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: page))
        var shards: [String] = []
        for index in 0..<2 {
            let run = try plumb(["explore", "driver", "--from", trace, "--shard", "\(index)/2", "--format", "json"])
            XCTAssertEqual(run.status, 0, run.stderr)
            shards.append(path("shard\(index).json"))
            try Data(run.stdout.utf8).write(to: URL(fileURLWithPath: shards[index]))
        }
        let merged = try plumb(["explore", "merge", "--format", "json"] + shards)
        XCTAssertEqual(merged.status, 0, merged.stderr)
        let from = try XCTUnwrap(try json(merged.stdout)["from"] as? [String: Any], merged.stdout)
        XCTAssertGreaterThan(from["crash_points"] as? Int ?? 0, 0, "\(from)")
        let token = try XCTUnwrap(try plumb(["explore", "driver", "--requests", "2", "--inject-fault", "recoveryStopsEarly",
                                             "--format", "json", "--out", path("cx")]).stdout
            .components(separatedBy: "\"token\":\"").dropFirst().first?.split(separator: "\"").first)
        let replay = try plumb(["replay", String(token), "--from", trace])
        XCTAssertEqual(replay.status, 2, replay.stderr)
        XCTAssertTrue(replay.stderr.contains("drop --from"), replay.stderr)
    }

    func testAGeneratedWorkloadsBoundWithFromExitsTwoNamingIt() throws {
        // The trace's workload replaces the bounds: one given anyway is refused, not ignored.
        for (system, flag, value) in [("driver", "--requests", "3"), ("driver", "--workload", "mixed"), ("mirror", "--records", "3"),
                                      ("recovery", "--consumers", "3")] {
            let run = try plumb(["explore", system, "--from", path("any.jsonl"), flag, value])
            XCTAssertEqual(run.status, 2, "\(system) \(flag): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("\(flag) does not go with --from"), run.stderr)
        }
        // Settings of the simulated runtime still go with it.
        let settings = try plumb(["explore", "driver", "--from", path("nothing.jsonl"), "--regions", "4", "--torn"])
        XCTAssertEqual(settings.status, 2)
        XCTAssertTrue(settings.stderr.contains("nothing.jsonl") && !settings.stderr.contains("does not go"), settings.stderr)
    }

    func testHelpTeachesFromAndWindow() throws {
        let help = try plumb(["explore", "--help"])
        XCTAssertTrue(help.stdout.contains("--from"), help.stdout)
        XCTAssertTrue(help.stdout.contains("--window"), help.stdout)
        let driver = try plumb(["explore", "driver", "--help"])
        XCTAssertTrue(driver.stdout.contains("--from <TRACE>") && driver.stdout.contains("--window <N>"), driver.stdout)
    }
}

/// Small hand-written traces for the option tests.
enum RecordedTraceFiles {
    /// A driver trace of three requests on two interfaces and a sync, the second (line 3) the
    /// farthest (to byte 8,192), written as `driver.jsonl` in `directory`; its path.
    static func driver(in directory: URL) -> String {
        let path = directory.appendingPathComponent("driver.jsonl").path
        try? Data("""
            {"format":"plumb-trace","version":1,"system":"driver"}
            {"node":"driver","seq":1,"ev":"submit","iface":0,"id":1,"off":0,"len":700}
            {"node":"driver","seq":2,"ev":"submit","iface":1,"id":2,"off":4096,"len":4096}
            {"node":"driver","seq":3,"ev":"submit","iface":0,"id":3,"off":100,"len":200,"deps":[1]}
            {"node":"driver","seq":4,"ev":"sync","iface":0}

            """.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}
