import ArgumentParser
import Foundation
import MirrorLive

#if canImport(Glibc)
import Glibc
#endif

/// `plumb bench mirror`: throughput, recording overhead and commit latency of the live mirror.
struct MirrorBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror",
        abstract: "Measure the live mirror: throughput over 1, 2 and 4 paths, tracing cost, commit latency.",
        discussion: """
            Runs the live mirror in this process (a primary and a secondary over loopback TCP, \
            as `plumb record mirror` does) with 4 KiB records over 8 streams, and measures:

            Path scaling: throughput in records/s and MB/s (payload bytes, 1 MB = 10^6 bytes) \
            with 1, 2 and 4 paths, each limited to --path-mbps by a token bucket in the \
            primary's runtime, as slower interconnects would be; the 4-path/1-path ratio shows \
            how well paths add up (aim: 3.5x or more). A run with P paths writes \
            RECORDS x P / 4 records, so that every capped run lasts about as long.

            Uncapped: the same with 4 paths and no limit, recording both controllers' traces, \
            and again handing every event to a recorder that discards it (the core still makes \
            the events; what is saved is encoding and writing them). Their ratio is the \
            recording's cost (aim: under 5%). Each writes RECORDS records, twice per round in \
            the order traced, untraced, untraced, traced (or the reverse).

            Commit latency: a client paced at --rate writes/s (well under capacity) over 4 \
            capped paths with tracing on, for --latency-seconds; each write is timed on the \
            primary's event-loop clock from its submission to its commit (after the \
            secondary's acknowledgement); the table shows the median over the rounds of each \
            round's p50 and p99. Clients keep at most 1024 writes outstanding.

            Every run is a fresh primary and secondary; a round runs each configuration once \
            (interleaved, the order rotating between rounds) and the table shows the median of \
            the rounds, with the ratios computed from this one invocation. Throughput counts \
            the client workload only (first write to last commit), not connecting or shutting \
            down. Figures are measured, not asserted; build with -c release first.
            """
    )

    @Option(help: "Records per uncapped run and per 4-path capped run, fewer paths write proportionally fewer (400...\(OptionRange.maxCount)).")
    var records = 32_000

    @Option(help: "Rounds; the median of the rounds is reported (1...\(OptionRange.maxRounds)).")
    var rounds = 5

    @Option(help: "Offered load of the latency run, in writes per second (1...\(Self.maxRate)).")
    var rate = 2_000

    @Option(name: .customLong("latency-seconds"), help: "How long the latency run offers its load, in seconds (0.001...\(Int(Self.maxLatencySeconds))).")
    var latencySeconds = 2.0

    @Option(name: .customLong("path-mbps"), help: "The limit of each path in the capped runs, in MB/s of 10^6 bytes (0.001...\(Int(Self.maxPathMBps))).")
    var pathMBps = 25.0

    @Option(help: "Directory for the traces of the traced runs (default: a temporary one, removed after).")
    var dir: String?

    /// Payload bytes per record.
    static let payloadSize = 4096
    /// Streams the log is parsed into.
    static let streams = 8

    /// The highest --rate, the longest --latency-seconds (an hour) and the highest --path-mbps.
    static let maxRate = 1_000_000, maxLatencySeconds = 3_600.0, maxPathMBps = 100_000.0

    /// Checks each option's range (see `OptionRange`) and that --dir can be written.
    func validate() throws {
        try OptionRange.check("--records", records, 400...OptionRange.maxCount)
        try OptionRange.check("--rounds", rounds, 1...OptionRange.maxRounds)
        try OptionRange.check("--rate", rate, 1...Self.maxRate, "writes per second")
        try OptionRange.check("--latency-seconds", latencySeconds, OptionRange.minSeconds...Self.maxLatencySeconds, "seconds")
        try OptionRange.check("--path-mbps", pathMBps, 0.001...Self.maxPathMBps, "MB/s")
        if let dir { try OutputError.validateFolder(dir) }
    }

    /// One configuration of the live run.
    struct Run {
        var name: String
        var paths: Int
        var records: Int
        var capped = false
        var traced = true
        var paced = false
    }

    /// What one run measured.
    struct Sample {
        var recordsPerSecond: Double
        var megabytesPerSecond: Double
        var p50: Double?
        var p99: Double?
    }

    func run() async throws {
        let fm = FileManager.default
        let directory = dir ?? fm.temporaryDirectory.appendingPathComponent("plumb-bench-mirror-\(getpid())").path
        defer { if dir == nil { try? fm.removeItem(atPath: directory) } }

        let mbps = String(format: "%g", pathMBps)
        let scaling = [1, 2, 4].map { paths in
            Run(name: "\(paths) path\(paths == 1 ? " " : "s"), \(mbps) MB/s each", paths: paths,
                records: max(records * paths / 4, 100), capped: true)
        }
        let tracing = [
            Run(name: "4 paths uncapped, traced", paths: 4, records: records),
            Run(name: "4 paths uncapped, untraced", paths: 4, records: records, traced: false),
        ]
        let latencyRecords = max(Int((Double(rate) * latencySeconds).rounded()), 1)
        let latency = Run(name: "latency at \(rate)/s, 4 capped paths", paths: 4, records: latencyRecords,
                          capped: true, paced: true)
        let runs = scaling + tracing + [latency]

        print("plumb bench mirror: 4 KiB records, \(Self.streams) streams, \(rounds) round\(rounds == 1 ? "" : "s"); traces in \(directory)")
        _ = try await measure(Run(name: "warm-up", paths: 4, records: min(records, 2_000)), in: directory)

        var samples = Array(repeating: [Sample](), count: runs.count)
        var tracingRatios: [Double] = []
        for round in 0..<rounds {
            // Interleaved, the order rotating, so drift over time spreads over every configuration;
            // traced and untraced twice each, mirrored (ABBA), so a linear drift cancels out.
            let pair = Self.rotated(Array(scaling.count..<scaling.count + tracing.count), by: round)
            let order = Self.rotated(Array(0..<scaling.count), by: round) + pair + pair.reversed()
                + [runs.count - 1]
            for index in order {
                let sample = try await measure(runs[index], in: directory)
                samples[index].append(sample)
                var line = "  round \(round + 1)  " + runs[index].name.padding(toLength: 36, withPad: " ", startingAt: 0)
                    + String(format: " %9.0f records/s %7.1f MB/s", sample.recordsPerSecond, sample.megabytesPerSecond)
                if let p50 = sample.p50, let p99 = sample.p99 { line += String(format: "   p50 %.3f ms  p99 %.3f ms", p50, p99) }
                print(line)
            }
            // This round's traced/untraced: its two traced runs against its two untraced ones.
            let traced = samples[scaling.count].suffix(2), untraced = samples[scaling.count + 1].suffix(2)
            tracingRatios.append(traced.map(\.recordsPerSecond).reduce(0, +) / untraced.map(\.recordsPerSecond).reduce(0, +))
        }

        let medians = samples.map { ($0.map(\.recordsPerSecond).median, $0.map(\.megabytesPerSecond).median) }
        print("\nmedian of \(rounds) rounds (uncapped: of \(2 * rounds) runs):")
        print("  " + "run".padding(toLength: 36, withPad: " ", startingAt: 0) + "   records/s      MB/s   records/s min..max")
        for (i, run) in runs.enumerated() where !run.paced {
            let each = samples[i].map(\.recordsPerSecond)
            print("  " + run.name.padding(toLength: 36, withPad: " ", startingAt: 0)
                  + String(format: " %11.0f %9.1f   %.0f..%.0f", medians[i].0, medians[i].1, each.min()!, each.max()!))
        }
        let latencySamples = samples[runs.count - 1]
        print(String(format: "  commit latency, %d writes/s for %g s over 4 capped paths, traced: p50 %.3f ms, p99 %.3f ms",
                     rate, latencySeconds,
                     latencySamples.compactMap(\.p50).median, latencySamples.compactMap(\.p99).median))

        let one = medians[0].0, two = medians[1].0, four = medians[2].0
        let tracingRatio = tracingRatios.median
        print("\nratios (this run, of the medians above unless said):")
        print(String(format: "  4 paths / 1 path            %.2fx  (aim >= 3.5x); 2 paths / 1 path %.2fx", four / one, two / one))
        print(String(format: "  uncapped / 4 capped paths   %.2fx  (traced)", medians[3].0 / four))
        print(String(format: "  traced / untraced           %.3f  (median of per-round ABBA ratios, %.3f..%.3f): recording costs %.1f%% of throughput (aim < 5%%)",
                     tracingRatio, tracingRatios.min()!, tracingRatios.max()!, (1 - tracingRatio) * 100))
    }

    /// Runs one configuration on a fresh primary and secondary.
    private func measure(_ run: Run, in directory: String) async throws -> Sample {
        var options = MirrorRecording.Options(
            records: run.records, streams: Self.streams, paths: run.paths, outputDirectory: directory)
        options.payloadSize = Self.payloadSize
        options.recordsTraces = run.traced
        if run.capped { options.pathBytesPerSecond = Int(pathMBps * 1e6) }
        if run.paced {
            options.writesPerSecond = rate
            options.measuresCommitLatency = true
        }
        let summary = try await MirrorRecording(options: options).run()
        guard summary.committed == run.records, summary.lostCommits == 0 else {
            throw ValidationError("\(run.name): \(summary.committed) of \(run.records) records committed, \(summary.lostCommits) lost")
        }
        let seconds = summary.workloadElapsed.seconds
        let perSecond = Double(run.records) / seconds
        var sample = Sample(recordsPerSecond: perSecond, megabytesPerSecond: perSecond * Double(Self.payloadSize) / 1e6)
        if run.paced {
            let sorted = summary.commitLatencies.map(\.seconds).sorted()
            sample.p50 = Self.percentile(sorted, 0.50) * 1e3
            sample.p99 = Self.percentile(sorted, 0.99) * 1e3
        }
        return sample
    }

    /// The nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    static func rotated<T>(_ items: [T], by n: Int) -> [T] {
        guard !items.isEmpty else { return items }
        let k = n % items.count
        return Array(items[k...] + items[..<k])
    }
}

extension Array where Element == Double {
    /// The median (the upper one of an even count); NaN when empty.
    fileprivate var median: Double {
        guard !isEmpty else { return .nan }
        return sorted()[count / 2]
    }
}
