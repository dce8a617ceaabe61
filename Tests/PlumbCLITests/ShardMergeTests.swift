import Foundation
import XCTest

/// A sharded exploration, as `deploy/explore-indexed-job.yaml` runs it: each part takes its index
/// from JOB_COMPLETION_INDEX, and `plumb explore merge` joins the parts' reports into the verdict
/// of the unsharded search, refusing sets that are not one exploration's shards.
final class ShardMergeTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("shards-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs one shard per index with `arguments`; returns the reports' paths.
    func shards(_ arguments: [String], count: Int) throws -> [String] {
        try (0..<count).map { index in
            let run = try PlumbBinary.run(arguments, environment: ["JOB_COMPLETION_INDEX": "\(index)"])
            XCTAssertTrue(run.status == 0 || run.status == 1, run.stderr)
            let file = directory.appendingPathComponent("shard-\(index).json").path
            XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data(run.stdout.utf8)))
            return file
        }
    }

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    func testTheManifestsShardsMergeToTheUnshardedVerdict() throws {
        // The indexed Job's own command line, on smaller bounds, into this test's folder.
        let manifest = try String(contentsOf: PlumbBinary.root.appendingPathComponent("deploy/explore-indexed-job.yaml"),
                                  encoding: .utf8)
        let line = try XCTUnwrap(manifest.range(of: "plumb explore mirror").map { manifest[$0.upperBound...] })
        var arguments = ["explore", "mirror"] + line.prefix { $0 != ">" }.split(whereSeparator: \.isWhitespace).map(String.init)
        let count = try XCTUnwrap(arguments.firstIndex(of: "--shards").flatMap { Int(arguments[$0 + 1]) })
        XCTAssertEqual(manifest.components(separatedBy: "completions: \(count)").count, 2, "completions and --shards differ")
        arguments[try XCTUnwrap(arguments.firstIndex(of: "--records")) + 1] = "1"
        arguments[try XCTUnwrap(arguments.firstIndex(of: "--out")) + 1] = directory.path
        let merged = try PlumbBinary.run(["explore", "merge", "--format", "json"] + shards(arguments, count: count))
        XCTAssertEqual(merged.status, 0, merged.stderr)
        let report = try json(merged.stdout)
        XCTAssertEqual(report["verdict"] as? String, "pass")
        XCTAssertEqual(report["exhaustive"] as? Bool, true)
        XCTAssertEqual(report["shards"] as? Int, count)

        let whole = try PlumbBinary.run(["explore", "mirror", "--streams", "2", "--paths", "2", "--records", "1",
                                         "--crashes", "1", "--format", "json"])
        XCTAssertGreaterThanOrEqual(report["states"] as? Int ?? 0, try json(whole.stdout)["states"] as? Int ?? .max)
    }

    /// The driver's crash-state section survives the merge, its counts summed over the shards.
    func testTheDriversCrashStatesAreSummedOverTheShards() throws {
        let files = try shards(["explore", "driver", "--ifaces", "1", "--requests", "2", "--shard", "auto", "--shards", "2",
                                "--format", "json"], count: 2)
        let parts = try files.map { try json(String(contentsOfFile: $0, encoding: .utf8)) }
        let sections = try parts.map { try XCTUnwrap($0["crash_states"] as? [String: Any]) }
        let merged = try PlumbBinary.run(["explore", "merge", "--format", "json"] + files)
        XCTAssertEqual(merged.status, 0, merged.stderr)
        let section = try XCTUnwrap(try json(merged.stdout)["crash_states"] as? [String: Any], merged.stdout)
        for key in ["crash_points", "recovery_runs"] {
            XCTAssertEqual(section[key] as? Int, sections.reduce(0) { $0 + ($1[key] as? Int ?? 0) }, key)
        }
        XCTAssertGreaterThan(section["crash_points"] as? Int ?? 0, 0)
        XCTAssertEqual(section["max_cached_writes"] as? Int, sections.compactMap { $0["max_cached_writes"] as? Int }.max())
    }

    func testAViolationInOneShardIsTheMergedVerdict() throws {
        let files = try shards(["explore", "mirror", "--records", "2", "--inject-fault", "commitsBeforeAck",
                                "--shard", "auto", "--shards", "3", "--out", directory.path, "--format", "json"], count: 3)
        let merged = try PlumbBinary.run(["explore", "merge"] + files)
        XCTAssertEqual(merged.status, 1, merged.stderr)
        XCTAssertTrue(merged.stdout.contains("violation of mirror.commit-after-mirror"), merged.stdout)
        XCTAssertTrue(merged.stdout.contains("replay: plumb replay plumb2."), merged.stdout)
    }

    /// Shards that find the same counterexample (the canonical one does not depend on the
    /// split) list it once in the merged report.
    func testOneCounterexampleFoundByTwoShardsIsListedOnce() throws {
        let files = try shards(["explore", "recovery", "--inject-fault", "doneBeforeEnds", "--shard", "auto", "--shards", "2",
                                "--out", directory.path, "--format", "json"], count: 2)
        let found = try files.map { try json(String(contentsOfFile: $0, encoding: .utf8)) }
            .flatMap { ($0["violations"] as? [[String: Any]]) ?? [] }.compactMap { $0["token"] as? String }
        let merged = try PlumbBinary.run(["explore", "merge", "--format", "json"] + files)
        XCTAssertEqual(merged.status, 1, merged.stderr)
        let tokens = try XCTUnwrap(json(merged.stdout)["violations"] as? [[String: Any]]).compactMap { $0["token"] as? String }
        XCTAssertEqual(tokens.count, Set(found).count, "\(found)")
        XCTAssertEqual(Set(tokens), Set(found))
    }

    func testSetsThatAreNotOneExplorationsShardsAreRefused() throws {
        let files = try shards(["explore", "mirror", "--records", "1", "--shard", "auto", "--shards", "3", "--format", "json"],
                               count: 3)
        let missing = try PlumbBinary.run(["explore", "merge", files[0], files[2]])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("missing 1/3"), missing.stderr)
        let twice = try PlumbBinary.run(["explore", "merge", files[0], files[1], files[1], files[2]])
        XCTAssertEqual(twice.status, 2)
        XCTAssertTrue(twice.stderr.contains("given twice 1/3"), twice.stderr)

        let other = try PlumbBinary.run(["explore", "mirror", "--records", "2", "--shard", "1/3", "--format", "json"])
        let otherFile = directory.appendingPathComponent("other.json").path
        XCTAssertTrue(FileManager.default.createFile(atPath: otherFile, contents: Data(other.stdout.utf8)))
        let mixed = try PlumbBinary.run(["explore", "merge", files[0], otherFile, files[2]])
        XCTAssertEqual(mixed.status, 2)
        XCTAssertTrue(mixed.stderr.contains("configuration"), mixed.stderr)

        // Shards of another search (here without state caching) split the tree elsewhere.
        let uncached = try PlumbBinary.run(["explore", "mirror", "--records", "1", "--shard", "1/3", "--no-cache", "--format", "json"])
        let uncachedFile = directory.appendingPathComponent("uncached.json").path
        XCTAssertTrue(FileManager.default.createFile(atPath: uncachedFile, contents: Data(uncached.stdout.utf8)))
        let search = try PlumbBinary.run(["explore", "merge", files[0], uncachedFile, files[2]])
        XCTAssertEqual(search.status, 2)
        XCTAssertTrue(search.stderr.contains("search caching off"), search.stderr)

        let garbage = directory.appendingPathComponent("garbage.json").path
        XCTAssertTrue(FileManager.default.createFile(atPath: garbage, contents: Data("{\"states\": 3}".utf8)))
        let bad = try PlumbBinary.run(["explore", "merge", garbage])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("garbage.json"), bad.stderr)
        XCTAssertTrue(bad.stderr.contains("field schema_version is missing"), bad.stderr)

        let unset = try PlumbBinary.run(["explore", "mirror", "--shard", "auto", "--shards", "3"])
        XCTAssertEqual(unset.status, 2)
        XCTAssertTrue(unset.stderr.contains("JOB_COMPLETION_INDEX"), unset.stderr)
    }
}
