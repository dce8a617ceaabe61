import Foundation
import XCTest

/// `plumb check --minimize OUT` and `plumb explore --minimize`, as a person runs them.
final class MinimizeCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-min-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    func testCheckWritesTheSmallestFailingTraceAndSaysWhatItKept() throws {
        let out = directory.appendingPathComponent("min.jsonl").path
        let run = try PlumbBinary.run(["check", "--minimize", out, "Traces/mirror/fail-commit-ahead-of-its-ack.jsonl"])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("minimized to \(out): kept 3 of 15 events"), run.stderr)
        XCTAssertTrue(run.stderr.contains("still breaks mirror.commit-after-mirror (confirmed by z3)"), run.stderr)
        let check = try PlumbBinary.run(["check", "--format", "json", out])
        XCTAssertEqual(check.status, 1, check.stdout)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])
        let broken = (report["violations"] as? [[String: Any]] ?? []).compactMap { $0["invariant"] as? String }
        XCTAssertTrue(broken.contains("mirror.commit-after-mirror"), "\(broken)")
        XCTAssertEqual((report["stats"] as? [String: Any])?["events"] as? Int, 3)
        // The other invariants the smaller trace breaks (printed first) are named as such.
        let others = Set(broken).subtracting(["mirror.commit-after-mirror"]).sorted()
        XCTAssertFalse(others.isEmpty)
        XCTAssertTrue(run.stderr.contains("it breaks \(others.joined(separator: ", ")) too"), run.stderr)
    }

    func testAPassingTraceWritesNothing() throws {
        let out = directory.appendingPathComponent("min.jsonl").path
        let run = try PlumbBinary.run(["check", "--minimize", out, "Traces/mirror/pass-basic-one-stream.jsonl"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("nothing written to \(out): the trace does not fail"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testExploreMinimizesCounterexamplesOfTraceInvariantsBesideThem() throws {
        let folder = directory.appendingPathComponent("ce")
        let run = try PlumbBinary.run([
            "explore", "mirror", "--streams", "2", "--paths", "2", "--records", "2", "--inject-fault", "commitsBeforeAck",
            "--out", folder.path, "--minimize",
        ])
        XCTAssertEqual(run.status, 1, run.stderr)
        let full = folder.appendingPathComponent("mirror.commit-after-mirror-1.jsonl").path
        let small = folder.appendingPathComponent("mirror.commit-after-mirror-1.min.jsonl").path
        XCTAssertTrue(run.stderr.contains("minimized \(full) to \(small): kept "), run.stderr)
        let check = try PlumbBinary.run(["check", small])
        XCTAssertEqual(check.status, 1, check.stdout)
        XCTAssertTrue(check.stdout.contains("violation of mirror.commit-after-mirror"), check.stdout)
        let lines = { (path: String) in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count }
        XCTAssertLessThan(try lines(small), try lines(full))
    }
}
