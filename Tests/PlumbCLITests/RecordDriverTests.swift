import Foundation
import XCTest

/// Runs `plumb record driver` end to end, then `plumb check` on its trace, as a user would.
final class RecordDriverTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-record-driver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
        super.tearDown()
    }

    /// Runs the `plumb` binary.
    private func plumb(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try PlumbBinary.run(arguments)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func record(device: String, out: String, seed: Int = 1) throws -> (status: Int32, stdout: String, stderr: String) {
        try plumb(["record", "driver", "--device", device, "--size", "32MiB", "--ifaces", "3", "--requests", "3000",
                   "--crash-at", "2000", "--out", out, "--seed", "\(seed)", "--staging", "4MiB", "--region", "256KiB"])
    }

    func testRecordsCutsVerifiesAndTheTracePassesTheCheck() throws {
        let device = path("x.img")
        let run = try record(device: device, out: path("run1"))
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains("created and formatted"), run.stdout)
        XCTAssertTrue(run.stdout.contains("power cut after request 2000"), run.stdout)
        // The cut lands with writes in the cache: some lost, kept or torn, and they add up.
        let cut = try XCTUnwrap(Self.cutCounts(run.stdout), run.stdout)
        XCTAssertGreaterThan(cut.writes, 0, run.stdout)
        XCTAssertEqual(cut.writes, cut.lost + cut.kept + cut.torn, run.stdout)
        XCTAssertEqual(run.stdout.components(separatedBy: "0 bytes differ: pass").count - 1, 2, run.stdout)
        XCTAssertTrue(run.stdout.contains("plumb check \(path("run1"))/driver.jsonl"), run.stdout)
        let check = try plumb(["check", path("run1") + "/driver.jsonl"])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)

        // The image exists now: mounted, its content read first, verified against it.
        let again = try record(device: device, out: path("run2"), seed: 2)
        XCTAssertEqual(again.status, 0, again.stdout + again.stderr)
        XCTAssertTrue(again.stdout.contains("mounted"), again.stdout)
        XCTAssertEqual(again.stdout.components(separatedBy: "0 bytes differ: pass").count - 1, 2, again.stdout)
        let recheck = try plumb(["check", path("run2") + "/driver.jsonl"])
        XCTAssertEqual(recheck.status, 0, recheck.stdout + recheck.stderr)
    }

    /// The counts of the summary's `crash:` line: `N unflushed writes in the cache: A lost, B kept
    /// whole, C torn`.
    private static func cutCounts(_ stdout: String) -> (writes: Int, lost: Int, kept: Int, torn: Int)? {
        guard let line = stdout.split(separator: "\n").first(where: { $0.hasPrefix("crash:") }),
              let colon = line.range(of: "request 2000: ") else { return nil }
        let numbers = line[colon.upperBound...].split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard numbers.count == 4 else { return nil }
        return (numbers[0], numbers[1], numbers[2], numbers[3])
    }

    func testRefusesAFileThatIsNotAnImageAndLeavesItUntouched() throws {
        let device = path("not-an-image.bin")
        var state: UInt64 = 0x1234_5678
        let content = Data((0 ..< (2 << 20)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        })
        try content.write(to: URL(fileURLWithPath: device))
        let run = try record(device: device, out: path("out"))
        XCTAssertEqual(run.status, 2, run.stdout + run.stderr)
        XCTAssertTrue(run.stderr.contains(device), run.stderr)
        XCTAssertTrue(run.stderr.contains("not a driver image"), run.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: device)), content, "the file is byte-identical")
    }

    func testRefusesADamagedImageAndLeavesItUntouched() throws {
        let device = path("damaged.img")
        let first = try plumb(["record", "driver", "--device", device, "--size", "32MiB", "--requests", "200",
                               "--out", path("first"), "--staging", "4MiB", "--region", "256KiB"])
        XCTAssertEqual(first.status, 0, first.stdout + first.stderr)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: device)))
        bytes[24] ^= 0x55
        bytes[4096 + 24] ^= 0x55
        try Data(bytes).write(to: URL(fileURLWithPath: device))
        let run = try record(device: device, out: path("second"))
        XCTAssertEqual(run.status, 2, run.stdout + run.stderr)
        XCTAssertTrue(run.stderr.contains(device) && run.stderr.contains("damaged"), run.stderr)
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: device))), bytes, "the file is byte-identical")
    }

    func testBadOptionsAreUsageErrors() throws {
        for arguments in [["--crash-at", "0"], ["--size", "12XB"], ["--size", "8MiB"], ["--staging", "3MiB", "--region", "2MiB"]] {
            let run = try plumb(["record", "driver", "--device", path("x.img"), "--out", path("out"), "--requests", "10"] + arguments)
            XCTAssertEqual(run.status, 2, "\(arguments): " + run.stdout + run.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.img")), "\(arguments): no image is made")
        }
    }

    func testBenchDriverQuickRuns() throws {
        let run = try plumb(["bench", "driver", "--quick", "--dir", path("bench")])
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        for row in ["(a)", "(b)", "(c) recover full 4MiB staging", "pwrite anchor", ">= 0.9x", ">= 0.8x", "<= 4.5x"] {
            XCTAssertTrue(run.stdout.contains(row), run.stdout)
        }

        // As JSON: one object on stdout (progress on stderr), one figure per round in each array.
        // Times and ratios are not asserted: CI machines are loaded.
        let rounds = 2
        let json = try plumb(["bench", "driver", "--quick", "--rounds", "\(rounds)", "--format", "json", "--dir", path("bench-json")])
        XCTAssertEqual(json.status, 0, json.stdout + json.stderr)
        XCTAssertTrue(json.stderr.contains("round 2/2"), json.stderr)
        let object = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], json.stdout)
        XCTAssertEqual(object["schema_version"] as? Int, 1)
        XCTAssertEqual(object["rounds"] as? Int, rounds)
        XCTAssertEqual(object["quick"] as? Bool, true)
        let fio = object["fio"] is String
        XCTAssertTrue(fio || object["fio"] is NSNull, "fio: a version or null")
        XCTAssertEqual((object["order"] as? [[String]])?.count, rounds)

        let sections: [(name: String, perRound: [String], fio: [String])] = [
            ("small", ["driver_req_per_s", "driver_seconds", "driver_seconds_to_last_sync", "pwrite_batched_req_per_s",
                       "pwrite_batched_seconds", "ratios"], ["fio_iops", "fio_seconds"]),
            ("large", ["driver_mb_per_s", "driver_seconds", "driver_seconds_to_last_sync", "pwrite_sequential_mb_per_s",
                       "pwrite_sequential_seconds", "ratios"], ["fio_mb_per_s", "fio_seconds"]),
        ]
        for section in sections {
            let part = try XCTUnwrap(object[section.name] as? [String: Any], section.name)
            for key in section.perRound {
                XCTAssertEqual((part[key] as? [Double])?.count, rounds, "\(section.name).\(key)")
            }
            for key in section.fio {
                if fio {
                    XCTAssertEqual((part[key] as? [Double])?.count, rounds, "\(section.name).\(key)")
                } else {
                    XCTAssertTrue(part[key] is NSNull, "\(section.name).\(key) is null without fio")
                }
            }
            for key in ["ratio_median", "ratio_min", "ratio_max", "aim"] {
                XCTAssertNotNil(part[key] as? Double, "\(section.name).\(key)")
            }
            XCTAssertNotNil(part["met"] as? Bool, "\(section.name).met")
        }
        let small = try XCTUnwrap(object["small"] as? [String: Any])
        XCTAssertEqual(small["requests"] as? Int, 5_000)
        XCTAssertEqual(small["requests_per_sync"] as? Int, 1_000)
        let large = try XCTUnwrap(object["large"] as? [String: Any])
        XCTAssertEqual(large["bytes"] as? Int, 32 << 20)

        let recovery = try XCTUnwrap(object["recovery"] as? [[String: Any]])
        XCTAssertEqual(recovery.map { $0["staging_bytes"] as? Int }, [512 << 10, 1 << 20, 4 << 20])
        for mount in recovery {
            XCTAssertEqual((mount["seconds"] as? [Double])?.count, rounds)
            XCTAssertNotNil(mount["median_seconds"] as? Double)
        }
        XCTAssertEqual((object["recovery_growths"] as? [Double])?.count, rounds)
        XCTAssertNotNil(object["recovery_growth_64_vs_16"] as? Double)
        XCTAssertEqual(object["recovery_growth_from_bytes"] as? Int, 1 << 20)
        XCTAssertEqual(object["recovery_growth_to_bytes"] as? Int, 4 << 20)
        XCTAssertNotNil(object["recovery_aim"] as? Double)
        XCTAssertNotNil(object["recovery_met"] as? Bool)
    }
}
