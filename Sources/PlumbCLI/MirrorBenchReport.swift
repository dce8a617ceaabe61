import ArgumentParser
import Foundation

/// What `plumb bench mirror` found, as text for people or JSON for tools.
struct MirrorBenchReport {
    /// The output formats.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    /// The halves `--only` can pick.
    enum Section: String, ExpressibleByArgument, CaseIterable {
        /// Path scaling and commit latency.
        case scaling
        /// Traced against untraced.
        case tracing
    }

    /// One path count of the capped runs (medians over the rounds).
    struct ScalingRun {
        var paths: Int
        var records: Int
        var recordsPerSecond: Double
        var megabytesPerSecond: Double
        var cpuMicrosPerRecord: Double
        var min: Double
        var max: Double
    }

    /// The capped runs, with the 1-minute load average before and after them.
    struct Scaling {
        var runs: [ScalingRun]
        var loadBefore: Double
        var loadAfter: Double

        var fourOverOne: Double { runs[2].recordsPerSecond / runs[0].recordsPerSecond }
        var twoOverOne: Double { runs[1].recordsPerSecond / runs[0].recordsPerSecond }
    }

    /// CPU time per record in microseconds, and where it went (medians over the runs).
    struct CPU {
        /// Every thread of the process.
        var total: Double
        /// The two event-loop threads: the controllers, with the packing of trace events.
        var loops: Double
        /// The trace writer threads: encoding the lines and writing them.
        var writers: Double
        /// Everything else: the client's task, the runtime.
        var rest: Double
    }

    /// The traced/untraced comparison.
    struct Tracing {
        /// Per round: traced throughput over untraced.
        var ratios: [Double]
        var tracedRecordsPerSecond: Double
        var untracedRecordsPerSecond: Double
        var tracedCPU: CPU
        var untracedCPU: CPU
        /// The 1-minute load average before and after the tracing rounds.
        var loadBefore: Double
        var loadAfter: Double

        var ratio: Double { ratios.median }
    }

    /// The paced latency runs (medians over the rounds of each round's percentile).
    struct Latency {
        var rate: Int
        var seconds: Double
        var p50: Double
        var p99: Double
    }

    var rounds: Int
    var tracingRounds: Int
    var records: Int
    var pathMBps: Double
    /// Nil when `--only tracing` left the scaling and latency runs out.
    var scaling: Scaling?
    /// Nil when `--only scaling` left the tracing runs out.
    var tracing: Tracing?
    var latency: Latency?

    /// The report for people.
    var text: String {
        var lines: [String] = []
        if let scaling {
            lines += ["", "path scaling, median of \(rounds) rounds:"]
            lines.append("  " + "run".padding(toLength: 30, withPad: " ", startingAt: 0) + "   records/s      MB/s  µs CPU/record   records/s min..max")
            for run in scaling.runs {
                let name = "\(run.paths) path\(run.paths == 1 ? " " : "s"), \(String(format: "%g", pathMBps)) MB/s each"
                lines.append("  " + name.padding(toLength: 30, withPad: " ", startingAt: 0)
                    + String(format: " %11.0f %9.1f %14.1f   %.0f..%.0f", run.recordsPerSecond, run.megabytesPerSecond, run.cpuMicrosPerRecord, run.min, run.max))
            }
            lines.append(String(format: "  4 paths / 1 path  %.2fx (aim >= 3.5x); 2 paths / 1 path %.2fx; load average %.2f before, %.2f after",
                                scaling.fourOverOne, scaling.twoOverOne, scaling.loadBefore, scaling.loadAfter))
        }
        if let tracing {
            let ratio = tracing.ratio
            func cpu(_ name: String, _ rate: Double, _ cpu: CPU) -> String {
                String(format: "  %@ %9.0f records/s %7.2f µs CPU/record: %.2f event loops, %.2f trace writers, %.2f rest",
                       name, rate, cpu.total, cpu.loops, cpu.writers, cpu.rest)
            }
            lines += ["", "tracing cost, 4 paths uncapped, \(tracingRounds) ABBA rounds (median of \(2 * tracingRounds) runs each):"]
            lines.append(cpu("traced   ", tracing.tracedRecordsPerSecond, tracing.tracedCPU))
            lines.append(cpu("untraced ", tracing.untracedRecordsPerSecond, tracing.untracedCPU))
            lines.append(String(format: "  traced / untraced %.3f (median of per-round ratios, %.3f..%.3f): recording costs %.1f%% of throughput (aim <= 5%%), %.2f µs CPU per record (%.2f on the event loops); load average %.2f before, %.2f after",
                                ratio, tracing.ratios.min() ?? .nan, tracing.ratios.max() ?? .nan, (1 - ratio) * 100,
                                tracing.tracedCPU.total - tracing.untracedCPU.total, tracing.tracedCPU.loops - tracing.untracedCPU.loops,
                                tracing.loadBefore, tracing.loadAfter))
        }
        if let latency {
            lines.append("")
            lines.append(String(format: "commit latency, %d writes/s for %g s over 4 capped paths, traced: p50 %.3f ms, p99 %.3f ms",
                                latency.rate, latency.seconds, latency.p50, latency.p99))
        }
        return lines.joined(separator: "\n")
    }
}
