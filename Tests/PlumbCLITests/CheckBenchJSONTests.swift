import Foundation
import XCTest

/// `plumb bench check --format json` prints one JSON object that tools can decode: the trace's
/// events and bytes, each command's figures, the ratios and the load averages.
final class CheckBenchJSONTests: XCTestCase {
    /// The report's shape, as a tool reads it (snake_case keys).
    struct Report: Decodable {
        struct Command: Decodable {
            var command: String
            var cpu_seconds, wall_seconds, peak_mb: Double
            var events_per_cpu_second: Double?
            var cpu_seconds_rounds, wall_seconds_rounds, peak_mb_rounds: [Double]
        }

        struct Ratios: Decodable {
            var graph_speedup_over_cpython, z3_over_graph, z3_speedup_over_cpython: Double?
            var parallel_read_cpu_over_graph, parallel_read_wall_over_graph: Double?
        }

        struct Load: Decodable {
            var one_minute, five_minutes, fifteen_minutes: Double
        }

        var events, bytes, repeats: Int
        var directory: String
        var graph, graph_parallel_read, z3, cpython: Command
        var ratios: Ratios
        var load_average_before, load_average_after: Load?
    }

    func testJSONReportDecodes() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
            throw XCTSkip("the bench's anchor needs python3")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-bench-json-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try PlumbBinary.run([
            "bench", "check", "--events", "200", "--repeats", "2", "--dir", dir, "--python", "/usr/bin/python3",
            "--format", "json",
        ])
        XCTAssertEqual(run.status, 0, run.stderr)
        // Progress on standard error, one JSON line on standard output.
        XCTAssertTrue(run.stderr.contains("trace: "), run.stderr)
        XCTAssertTrue(run.stderr.contains("round 2"), run.stderr)
        let lines = run.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, run.stdout)
        let report = try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8))

        let files = ["primary.jsonl", "secondary.jsonl"].map { dir + "/" + $0 }
        let bytes = try files.reduce(0) { $0 + (try FileManager.default.attributesOfItem(atPath: $1)[.size] as! Int) }
        let lineCount = try files.reduce(0) { total, file in
            total + (try String(contentsOfFile: file, encoding: .utf8)).split(separator: "\n").count - 1  // less the header
        }
        XCTAssertEqual(report.events, lineCount)
        XCTAssertGreaterThanOrEqual(report.events, 200)
        XCTAssertEqual(report.bytes, bytes)
        XCTAssertEqual(report.repeats, 2)
        XCTAssertEqual(report.directory, dir)
        XCTAssertEqual(report.graph.command, "plumb check --engine graph")
        XCTAssertEqual(report.graph_parallel_read.command, "plumb check --engine graph --parallel-read")
        XCTAssertEqual(report.z3.command, "plumb check (z3)")
        XCTAssertEqual(report.cpython.command, "python3 json.loads")
        for command in [report.graph, report.graph_parallel_read, report.z3, report.cpython] {
            XCTAssertEqual(command.cpu_seconds_rounds.count, 2)
            XCTAssertEqual(command.wall_seconds_rounds.count, 2)
            XCTAssertEqual(command.peak_mb_rounds.count, 2)
            // The median is one of the rounds; the peak is the largest of them.
            XCTAssertTrue(command.cpu_seconds_rounds.contains(command.cpu_seconds))
            XCTAssertEqual(command.peak_mb, command.peak_mb_rounds.max())
            XCTAssertGreaterThan(command.peak_mb, 0)
        }
        // A ratio is the quotient of the medians' CPU seconds, or null when one is about zero.
        if let speedup = report.ratios.graph_speedup_over_cpython {
            XCTAssertEqual(speedup, report.cpython.cpu_seconds / report.graph.cpu_seconds, accuracy: 1e-9)
        }
        if let z3 = report.ratios.z3_over_graph {
            XCTAssertEqual(z3, report.z3.cpu_seconds / report.graph.cpu_seconds, accuracy: 1e-9)
        }
        if let cpu = report.ratios.parallel_read_cpu_over_graph {
            XCTAssertEqual(cpu, report.graph_parallel_read.cpu_seconds / report.graph.cpu_seconds, accuracy: 1e-9)
        }
        if let wall = report.ratios.parallel_read_wall_over_graph {
            XCTAssertEqual(wall, report.graph_parallel_read.wall_seconds / report.graph.wall_seconds, accuracy: 1e-9)
        }
        if FileManager.default.fileExists(atPath: "/proc/loadavg") {
            XCTAssertNotNil(report.load_average_before)
            XCTAssertNotNil(report.load_average_after)
        }
        // The keys are there even when null, as in every report.
        for key in ["\"graph_speedup_over_cpython\":", "\"z3_over_graph\":", "\"z3_speedup_over_cpython\":",
                    "\"parallel_read_cpu_over_graph\":", "\"parallel_read_wall_over_graph\":",
                    "\"load_average_before\":", "\"load_average_after\":"] {
            XCTAssertTrue(run.stdout.contains(key), key)
        }
    }
}
