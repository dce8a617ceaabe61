import Explorer
import Foundation
import XCTest

/// `plumb explore` and `plumb replay` end to end: a correct core passes exhaustively, a seeded
/// bug is found, its trace is rejected by `plumb check` with the same invariant, its token
/// replays to the same trace twice, and a bad token or a diverging replay exits 2.
final class ExploreCommandTests: XCTestCase {
    var directory: URL!

    override func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("explore-\(UUID().uuidString)")
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    func testCorrectCorePassesExhaustively() throws {
        let run = try PlumbBinary.run(["explore", "recovery", "--consumers", "4", "--format", "json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let report = try json(run.stdout)
        XCTAssertEqual(report["verdict"] as? String, "pass")
        XCTAssertEqual(report["exhaustive"] as? Bool, true)
        XCTAssertEqual(report["states"] as? Int, 522)
        XCTAssertGreaterThan(report["executions"] as? Int ?? 0, 0)
        // The visited set's memory, and the chance a fingerprint collision hid a state.
        let bytes = try XCTUnwrap(report["bytes_per_state"] as? Double)
        XCTAssertGreaterThanOrEqual(bytes, 16)
        XCTAssertLessThanOrEqual(bytes, 2048)
        let omission = try XCTUnwrap(report["omission_probability"] as? Double)
        XCTAssertGreaterThan(omission, 0)
        XCTAssertLessThan(omission, 1e-12)
    }

    func testSelftestFindsShrinksAndReplaysEverySeededBug() throws {
        let run = try PlumbBinary.run(["explore", "selftest"])
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains("\(SeededFault.allCases.count) of \(SeededFault.allCases.count) seeded bugs found"), run.stdout)
        for fault in SeededFault.allCases {
            XCTAssertTrue(run.stdout.contains("ok   \(fault.system) \(fault.rawValue) "), "\(fault)\n\(run.stdout)")
        }
    }

    func testSeededBugNamesAreListedAndChecked() throws {
        let help = try PlumbBinary.run(["explore", "mirror", "--help"])
        XCTAssertTrue(help.stdout.contains("appliesAfterTakeover"), help.stdout)
        let unknown = try PlumbBinary.run(["explore", "mirror", "--inject-fault", "noSuchBug"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("noSuchBug"), unknown.stderr)
        let foreign = try PlumbBinary.run(["explore", "mirror", "--inject-fault", "durableOutOfOrder"])
        XCTAssertEqual(foreign.status, 2)
        XCTAssertTrue(foreign.stderr.contains("not a seeded bug of the mirror"), foreign.stderr)
        // A recovery bug rides in the replay token like the others.
        let found = try PlumbBinary.run(["explore", "recovery", "--consumers", "4", "--inject-fault", "doneBeforeEnds",
                                         "--out", directory.path, "--format", "json"])
        XCTAssertEqual(found.status, 1, found.stderr)
        let violation = try XCTUnwrap((try json(found.stdout)["violations"] as? [[String: Any]])?.first)
        XCTAssertEqual(violation["invariant"] as? String, "recovery.complete")
        XCTAssertEqual(violation["kind"] as? String, "traceInvariant")
        let replayed = try PlumbBinary.run(["replay", try XCTUnwrap(violation["token"] as? String)])
        XCTAssertEqual(replayed.status, 1, replayed.stderr)
        XCTAssertTrue(replayed.stderr.contains("recovery.complete"), replayed.stderr)
    }

    func testBudgetCutSaysNotExhaustive() throws {
        let run = try PlumbBinary.run(["explore", "mirror", "--records", "3", "--executions", "10"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("exhaustive: false"), run.stdout)
        XCTAssertTrue(run.stdout.contains("the budget ran out"), run.stdout)
    }

    /// A random or pct search stopped by --executions says its budget ran out.
    func testExecutionsEndingWalksIsABudget() throws {
        for strategy in ["random", "pct"] {
            let run = try PlumbBinary.run(["explore", "recovery", "--strategy", strategy, "--executions", "20", "--format", "json"])
            XCTAssertEqual(run.status, 0, run.stderr)
            let report = try json(run.stdout)
            XCTAssertEqual(report["executions"] as? Int, 20, "\(report)")
            XCTAssertEqual(report["budget_exhausted"] as? Bool, true, "\(report)")
        }
        // A shard runs its share of the walks: its budget is spent too.
        let shard = try PlumbBinary.run(["explore", "recovery", "--strategy", "random", "--executions", "21",
                                         "--shard", "1/2", "--format", "json"])
        let report = try json(shard.stdout)
        XCTAssertEqual(report["executions"] as? Int, 10, "\(report)")
        XCTAssertEqual(report["budget_exhausted"] as? Bool, true, "\(report)")
    }

    /// The crash statistics are the search's: shrinking a counterexample and searching for the
    /// canonical one go over states again and are not counted (there were 1,421 crash points
    /// in a search of 36 states).
    func testCrashStatisticsCountTheSearchAlone() throws {
        let run = try PlumbBinary.run(["explore", "driver", "--inject-fault", "recoveryStopsEarly", "--format", "json",
                                       "--out", directory.path])
        XCTAssertEqual(run.status, 1, run.stderr)
        let report = try json(run.stdout)
        let states = try XCTUnwrap(report["states"] as? Int)
        let crash = try XCTUnwrap(report["crash_states"] as? [String: Any])
        XCTAssertLessThanOrEqual(try XCTUnwrap(crash["crash_points"] as? Int), states, "\(report)")
    }

    func testSeededBugIsFoundCheckedAndReplayed() throws {
        let run = try PlumbBinary.run([
            "explore", "mirror", "--streams", "2", "--paths", "2", "--records", "2",
            "--inject-fault", "commitsBeforeAck", "--out", directory.path, "--format", "json",
        ])
        XCTAssertEqual(run.status, 1, run.stderr)
        let report = try json(run.stdout)
        XCTAssertEqual(report["verdict"] as? String, "violation")
        let violation = try XCTUnwrap((report["violations"] as? [[String: Any]])?.first)
        let invariant = try XCTUnwrap(violation["invariant"] as? String)
        let trace = try XCTUnwrap(violation["trace"] as? String)
        let token = try XCTUnwrap(violation["token"] as? String)
        XCTAssertEqual(invariant, "mirror.commit-after-mirror")

        // The checker rejects the counterexample's trace with the same invariant.
        let check = try PlumbBinary.run(["check", trace, "--format", "json"])
        XCTAssertEqual(check.status, 1, check.stdout)
        let broken = try XCTUnwrap(try json(check.stdout)["violations"] as? [[String: Any]]).compactMap { $0["invariant"] as? String }
        XCTAssertTrue(broken.contains(invariant), "\(broken)")

        // The token replays to the same trace, twice.
        let first = try PlumbBinary.run(["replay", token])
        let second = try PlumbBinary.run(["replay", token])
        XCTAssertEqual(first.status, 1, first.stderr)
        XCTAssertEqual(first.stdout, second.stdout)
        XCTAssertEqual(first.stdout, try String(contentsOfFile: trace, encoding: .utf8))
        XCTAssertTrue(first.stderr.contains(invariant), first.stderr)
    }

    func testBadTokensExitTwo() throws {
        let garbage = try PlumbBinary.run(["replay", "plumb2.notatoken"])
        XCTAssertEqual(garbage.status, 2)
        XCTAssertTrue(garbage.stderr.contains("not a replay token"), garbage.stderr)

        // A schedule that does not fit: take a real token and ask for a choice that is not there.
        let run = try PlumbBinary.run([
            "explore", "mirror", "--records", "2", "--inject-fault", "commitsBeforeAck", "--out", directory.path,
            "--format", "json",
        ])
        let violation = try XCTUnwrap((try json(run.stdout)["violations"] as? [[String: Any]])?.first)
        let token = try XCTUnwrap(violation["token"] as? String)
        let diverging = try PlumbBinary.run(["replay", try diverged(token)])
        XCTAssertEqual(diverging.status, 2, diverging.stderr)
        XCTAssertTrue(diverging.stderr.contains("diverged"), diverging.stderr)
        XCTAssertTrue(diverging.stderr.contains("step"), diverging.stderr)
    }

    func testBadBoundsExitTwo() throws {
        let run = try PlumbBinary.run(["explore", "driver", "--ifaces", "0"])
        XCTAssertEqual(run.status, 2)
        let shard = try PlumbBinary.run(["explore", "mirror", "--shard", "5/4"])
        XCTAssertEqual(shard.status, 2)
        XCTAssertTrue(shard.stderr.contains("--shard"), shard.stderr)
    }

    func testATokenOfAnotherModelIsRefused() throws {
        let run = try PlumbBinary.run([
            "explore", "mirror", "--records", "2", "--inject-fault", "commitsBeforeAck", "--out", directory.path,
            "--format", "json",
        ])
        let violation = try XCTUnwrap((try json(run.stdout)["violations"] as? [[String: Any]])?.first)
        var token = try ReplayToken(decoding: try XCTUnwrap(violation["token"] as? String))
        token.model ^= 1
        let refused = try PlumbBinary.run(["replay", token.encoded])
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("model of the mirror differs"), refused.stderr)
        let old = try PlumbBinary.run(["replay", "plumb1.BW1pcnJvcglyZWNvcmRzPTECAgAYZMmS"])
        XCTAssertEqual(old.status, 2, old.stderr)
        XCTAssertTrue(old.stderr.contains("older build"), old.stderr)
    }

    /// The same token with a choice index far out of range appended.
    func diverged(_ token: String) throws -> String {
        var decoded = try ReplayToken(decoding: token)
        decoded.path.append(99)
        return decoded.encoded
    }
}
