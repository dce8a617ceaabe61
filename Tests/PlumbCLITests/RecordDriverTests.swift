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
        for row in ["(a)", "(b)", "(c) recover full 4MiB staging"] {
            XCTAssertTrue(run.stdout.contains(row), run.stdout)
        }
    }
}
