import ArgumentParser
import Checker
import Foundation

/// What `plumb bench check` measured, as text for people or JSON for tools.
struct CheckBenchReport {
    /// The output formats (`--format`).
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    /// One command's runs: the median (by CPU time) with the largest peak of all rounds.
    struct Command {
        /// What the text report calls it (`plumb check --engine graph`).
        var name: String
        /// The run with the median CPU time; its peak is the largest of every round.
        var median: CheckBench.Measurement
        /// Every round, in order.
        var rounds: [CheckBench.Measurement]
    }

    /// The 1, 5 and 15 minute load averages (`/proc/loadavg`).
    struct LoadAverage: Equatable {
        var oneMinute, fiveMinutes, fifteenMinutes: Double

        /// The load averages now, or nil when `/proc/loadavg` cannot be read.
        static func now() -> LoadAverage? {
            guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
            let fields = text.split(separator: " ").prefix(3).compactMap { Double($0) }
            guard fields.count == 3 else { return nil }
            return LoadAverage(oneMinute: fields[0], fiveMinutes: fields[1], fifteenMinutes: fields[2])
        }

        /// `0.26 0.85 1.14`, as `/proc/loadavg` writes them.
        var text: String { String(format: "%.2f %.2f %.2f", oneMinute, fiveMinutes, fifteenMinutes) }
    }

    /// Events in the trace.
    var events: Int
    /// Bytes of the trace's files.
    var bytes: Int
    /// The directory the trace is in.
    var directory: String
    /// Rounds of each command.
    var repeats: Int
    /// The Python interpreter the anchor ran on.
    var python: String
    /// `plumb check --engine graph`, the same with `--parallel-read`, `plumb check` (Z3) and
    /// CPython's parse, in that order.
    var graph, graphParallel, z3, cpython: Command
    /// Load averages before the first round and after the last.
    var loadBefore, loadAfter: LoadAverage?

    /// CPython's CPU time over the graph engine's: how many times faster the engine is.
    var graphSpeedup: Double? { Self.ratio(cpython.median.cpuSeconds, over: graph.median.cpuSeconds) }
    /// Z3's CPU time over the graph engine's.
    var z3OverGraph: Double? { Self.ratio(z3.median.cpuSeconds, over: graph.median.cpuSeconds) }
    /// CPython's CPU time over Z3's.
    var z3Speedup: Double? { Self.ratio(cpython.median.cpuSeconds, over: z3.median.cpuSeconds) }
    /// The CPU time of the graph engine with `--parallel-read` over its time without.
    var parallelReadCPU: Double? { Self.ratio(graphParallel.median.cpuSeconds, over: graph.median.cpuSeconds) }
    /// The wall time of the graph engine with `--parallel-read` over its time without.
    var parallelReadWall: Double? { Self.ratio(graphParallel.median.seconds, over: graph.median.seconds) }

    /// `numerator / denominator`, nil when either is too small to divide (`Ratio.tinySeconds`).
    static func ratio(_ numerator: Double, over denominator: Double) -> Double? {
        guard numerator > Ratio.tinySeconds, denominator > Ratio.tinySeconds else { return nil }
        return numerator / denominator
    }

    /// The summary for people (the rounds were printed as they ran).
    var text: String {
        var lines = ["", "median of \(repeats) (events per CPU second over \(events) events; peak: the largest of the rounds):"]
        for command in [graph, graphParallel, z3, cpython] {
            let m = command.median
            lines.append("  " + command.name.padding(toLength: 44, withPad: " ", startingAt: 0)
                + String(format: " %8.3f s CPU  %8.3f s wall  %12.0f events/s  peak %7.1f MB",
                         m.cpuSeconds, m.seconds, Double(events) / max(m.cpuSeconds, Ratio.tinySeconds), m.peakMB))
        }
        let g = graph.median.cpuSeconds, z = z3.median.cpuSeconds, py = cpython.median.cpuSeconds
        lines += ["", "ratios in CPU seconds: graph engine \(CheckBench.compare(g, py)) CPython parsing; z3 check takes "
            + Ratio.times(z, over: g) + " the graph engine's time; z3 check \(CheckBench.compare(z, py)) CPython parsing"]
        let gp = graphParallel.median
        lines.append("--parallel-read takes " + Ratio.times(gp.seconds, over: graph.median.seconds)
            + " the graph engine's wall time for " + Ratio.times(gp.cpuSeconds, over: g) + " its CPU time")
        lines.append("load average after the run: " + (loadAfter?.text ?? "unknown"))
        return lines.joined(separator: "\n")
    }

    /// The report for tools (`--format json`): one line with sorted keys, snake_case; a ratio
    /// over about zero, and a load average that cannot be read, is null.
    var json: String { CheckReport.encode(JSON(self)) }

    /// One command's figures.
    struct CommandJSON: Encodable {
        var command: String
        var cpuSeconds, wallSeconds, peakMB: Double
        var eventsPerCPUSecond: OrNull<Double>
        var cpuSecondsRounds, wallSecondsRounds, peakMBRounds: [Double]

        init(_ c: Command, events: Int) {
            command = c.name
            cpuSeconds = c.median.cpuSeconds
            wallSeconds = c.median.seconds
            peakMB = c.median.peakMB
            eventsPerCPUSecond = OrNull(CheckBenchReport.ratio(Double(events), over: c.median.cpuSeconds))
            cpuSecondsRounds = c.rounds.map(\.cpuSeconds)
            wallSecondsRounds = c.rounds.map(\.seconds)
            peakMBRounds = c.rounds.map(\.peakMB)
        }

        enum CodingKeys: String, CodingKey {
            case command
            case cpuSeconds = "cpu_seconds", wallSeconds = "wall_seconds", peakMB = "peak_mb"
            case eventsPerCPUSecond = "events_per_cpu_second"
            case cpuSecondsRounds = "cpu_seconds_rounds", wallSecondsRounds = "wall_seconds_rounds"
            case peakMBRounds = "peak_mb_rounds"
        }
    }

    /// The ratios, in CPU seconds of the medians, and `--parallel-read`'s wall time over the
    /// graph engine's.
    struct RatiosJSON: Encodable {
        var graphSpeedupOverCPython, z3OverGraph, z3SpeedupOverCPython: OrNull<Double>
        var parallelReadCPUOverGraph, parallelReadWallOverGraph: OrNull<Double>
        enum CodingKeys: String, CodingKey {
            case graphSpeedupOverCPython = "graph_speedup_over_cpython"
            case z3OverGraph = "z3_over_graph"
            case z3SpeedupOverCPython = "z3_speedup_over_cpython"
            case parallelReadCPUOverGraph = "parallel_read_cpu_over_graph"
            case parallelReadWallOverGraph = "parallel_read_wall_over_graph"
        }
    }

    /// The load averages.
    struct LoadJSON: Encodable {
        var oneMinute, fiveMinutes, fifteenMinutes: Double
        init(_ l: LoadAverage) {
            oneMinute = l.oneMinute; fiveMinutes = l.fiveMinutes; fifteenMinutes = l.fifteenMinutes
        }
        enum CodingKeys: String, CodingKey {
            case oneMinute = "one_minute", fiveMinutes = "five_minutes", fifteenMinutes = "fifteen_minutes"
        }
    }

    /// The whole report.
    struct JSON: Encodable {
        var events, bytes, repeats: Int
        var directory: String
        var graph, graphParallelRead, z3, cpython: CommandJSON
        var ratios: RatiosJSON
        var loadAverageBefore, loadAverageAfter: OrNull<LoadJSON>

        init(_ r: CheckBenchReport) {
            events = r.events; bytes = r.bytes; repeats = r.repeats; directory = r.directory
            graph = CommandJSON(r.graph, events: r.events)
            graphParallelRead = CommandJSON(r.graphParallel, events: r.events)
            z3 = CommandJSON(r.z3, events: r.events)
            cpython = CommandJSON(r.cpython, events: r.events)
            ratios = RatiosJSON(
                graphSpeedupOverCPython: OrNull(r.graphSpeedup), z3OverGraph: OrNull(r.z3OverGraph),
                z3SpeedupOverCPython: OrNull(r.z3Speedup),
                parallelReadCPUOverGraph: OrNull(r.parallelReadCPU), parallelReadWallOverGraph: OrNull(r.parallelReadWall))
            loadAverageBefore = OrNull(r.loadBefore.map(LoadJSON.init))
            loadAverageAfter = OrNull(r.loadAfter.map(LoadJSON.init))
        }

        enum CodingKeys: String, CodingKey {
            case events, bytes, repeats, directory, graph, z3, cpython, ratios
            case graphParallelRead = "graph_parallel_read"
            case loadAverageBefore = "load_average_before", loadAverageAfter = "load_average_after"
        }
    }
}
