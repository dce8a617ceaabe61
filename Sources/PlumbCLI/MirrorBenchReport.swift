import ArgumentParser
import Foundation

/// What `plumb bench mirror` found, as text for people or JSON for tools.
struct MirrorBenchReport {
    /// The output formats.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
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

    /// The traced/untraced comparison.
    struct Tracing {
        /// Per round: traced throughput over untraced.
        var ratios: [Double]
        var tracedRecordsPerSecond: Double
        var untracedRecordsPerSecond: Double
        var tracedCPUMicros: Double
        var untracedCPUMicros: Double
        /// The 1-minute load average after the tracing rounds.
        var loadAfter: Double
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
    var scaling: [ScalingRun]
    /// The 1-minute load average before and after the scaling rounds.
    var scalingLoad: (before: Double, after: Double)
    var tracing: Tracing
    var latency: Latency

    private var fourOverOne: Double { scaling[2].recordsPerSecond / scaling[0].recordsPerSecond }
    private var twoOverOne: Double { scaling[1].recordsPerSecond / scaling[0].recordsPerSecond }
    private var tracingRatio: Double { tracing.ratios.median }

    /// The report for people.
    var text: String {
        var lines = ["", "path scaling, median of \(rounds) rounds:"]
        lines.append("  " + "run".padding(toLength: 30, withPad: " ", startingAt: 0) + "   records/s      MB/s  µs CPU/record   records/s min..max")
        for run in scaling {
            let name = "\(run.paths) path\(run.paths == 1 ? " " : "s"), \(String(format: "%g", pathMBps)) MB/s each"
            lines.append("  " + name.padding(toLength: 30, withPad: " ", startingAt: 0)
                + String(format: " %11.0f %9.1f %14.1f   %.0f..%.0f", run.recordsPerSecond, run.megabytesPerSecond, run.cpuMicrosPerRecord, run.min, run.max))
        }
        lines.append(String(format: "  4 paths / 1 path  %.2fx (aim >= 3.5x); 2 paths / 1 path %.2fx; load average %.2f before, %.2f after",
                            fourOverOne, twoOverOne, scalingLoad.before, scalingLoad.after))
        lines.append("")
        lines.append("tracing cost, 4 paths uncapped, \(tracingRounds) ABBA rounds (median of \(2 * tracingRounds) runs each):")
        lines.append(String(format: "  traced    %9.0f records/s %7.1f µs CPU/record", tracing.tracedRecordsPerSecond, tracing.tracedCPUMicros))
        lines.append(String(format: "  untraced  %9.0f records/s %7.1f µs CPU/record", tracing.untracedRecordsPerSecond, tracing.untracedCPUMicros))
        lines.append(String(format: "  traced / untraced %.3f (median of per-round ratios, %.3f..%.3f): recording costs %.1f%% of throughput (aim <= 5%%), %.1f µs CPU per record; load average %.2f after",
                            tracingRatio, tracing.ratios.min() ?? .nan, tracing.ratios.max() ?? .nan, (1 - tracingRatio) * 100,
                            tracing.tracedCPUMicros - tracing.untracedCPUMicros, tracing.loadAfter))
        lines.append("")
        lines.append(String(format: "commit latency, %d writes/s for %g s over 4 capped paths, traced: p50 %.3f ms, p99 %.3f ms",
                            latency.rate, latency.seconds, latency.p50, latency.p99))
        return lines.joined(separator: "\n")
    }

    /// One JSON object for tools.
    var json: String {
        func number(_ x: Double) -> Any { x.isFinite ? x : NSNull() }
        let object: [String: Any] = [
            "records": records, "rounds": rounds, "path_mbps": pathMBps,
            "scaling": [
                "runs": scaling.map { [
                    "paths": $0.paths, "records": $0.records, "records_per_second": number($0.recordsPerSecond),
                    "mb_per_second": number($0.megabytesPerSecond), "cpu_us_per_record": number($0.cpuMicrosPerRecord),
                    "records_per_second_min": number($0.min), "records_per_second_max": number($0.max),
                ] },
                "ratio_4_to_1": number(fourOverOne), "ratio_2_to_1": number(twoOverOne),
                "load_average_before": number(scalingLoad.before), "load_average_after": number(scalingLoad.after),
            ],
            "tracing": [
                "rounds": tracingRounds, "ratios": tracing.ratios.map(number),
                "ratio_median": number(tracingRatio), "cost_percent": number((1 - tracingRatio) * 100),
                "traced_records_per_second": number(tracing.tracedRecordsPerSecond),
                "untraced_records_per_second": number(tracing.untracedRecordsPerSecond),
                "traced_cpu_us_per_record": number(tracing.tracedCPUMicros),
                "untraced_cpu_us_per_record": number(tracing.untracedCPUMicros),
                "recording_cpu_us_per_record": number(tracing.tracedCPUMicros - tracing.untracedCPUMicros),
                "load_average_after": number(tracing.loadAfter),
            ],
            "latency": ["rate": latency.rate, "seconds": latency.seconds, "p50_ms": number(latency.p50), "p99_ms": number(latency.p99)],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
