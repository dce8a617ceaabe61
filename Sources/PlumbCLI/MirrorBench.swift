import ArgumentParser
import Foundation
import MirrorLive

#if canImport(Glibc)
import Glibc
#endif

/// `plumb bench mirror`: path scaling, recording overhead, CPU per record and commit latency of
/// the live mirror.
struct MirrorBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror",
        abstract: "Measure the live mirror: path scaling, tracing cost, CPU per record, commit latency.",
        discussion: """
            Runs the live mirror in this process (a primary and a secondary over loopback TCP, \
            authenticated frames, as `plumb record mirror` does) with 4 KiB records over 8 \
            streams, and measures:

            Path scaling: throughput in records/s and MB/s (payload bytes, 1 MB = 10^6 bytes) \
            with 1, 2 and 4 paths, each limited to --path-mbps by a token bucket in the \
            primary's runtime, as slower interconnects would be; the 4-path/1-path ratio shows \
            how well paths add up (aim: 3.5x or more). A run with P paths writes \
            RECORDS x P / 4 records, so that every capped run lasts about as long. The load \
            average (1 minute) before and after these rounds is reported with the ratio: on a \
            loaded machine a capped path may not reach its cap for want of CPU.

            Tracing cost: 4 paths, no cap, RECORDS records, recording both controllers' traces, \
            against the same run handing every event to a recorder that discards it (the core \
            still makes the events; what is saved is encoding and writing them). Each of \
            --tracing-rounds rounds runs traced, untraced, untraced, traced (or the reverse, \
            alternating), and its ratio is its traced throughput over its untraced; the figure \
            is the median of those ratios (aim: 0.95 or more, i.e. a cost of 5% or less).

            CPU per record: the process's CPU time (user and system, every thread: both \
            controllers and the trace writers) over each run's workload, divided by its records; \
            medians for the traced and untraced runs and their difference, the recording's CPU \
            per record. Where it goes: the two event-loop threads (the controllers, with the \
            packing of trace events into the recorders' buffers), the trace writer threads \
            (turning those buffers into lines and writing them), and the rest (the client's \
            task, the runtime).

            Commit latency: a client paced at --rate writes/s (well under capacity) over 4 \
            capped paths with tracing on, for --latency-seconds; each write is timed on the \
            primary's event-loop clock from its submission to its commit (after the \
            secondary's acknowledgement); the median over the rounds of each round's p50 and p99.

            Every run is a fresh primary and secondary; configurations are interleaved with the \
            order rotating between rounds. --only scaling (path scaling and latency) or --only \
            tracing runs one half. Throughput counts the client workload only (first \
            write to last commit). Figures are measured, not asserted; build with -c release \
            first. --format json prints one JSON object on standard output (progress goes to \
            standard error), e.g. `plumb bench mirror --format json | jq .tracing.ratio_median`.
            """
    )

    @Option(help: "Records per uncapped run and per 4-path capped run, fewer paths write proportionally fewer (400...\(OptionRange.maxCount)).")
    var records = 32_000

    @Option(help: "Rounds of the path-scaling and latency runs; the median is reported (1...\(OptionRange.maxRounds)).")
    var rounds = 5

    @Option(name: .customLong("tracing-rounds"), help: "Rounds of traced/untraced runs (four runs each); the median ratio is reported (1...\(OptionRange.maxRounds)).")
    var tracingRounds = 25

    @Option(help: "Run one half only: scaling (path scaling and latency) or tracing (default: both).")
    var only: MirrorBenchReport.Section?

    @Option(help: "Offered load of the latency run, in writes per second (1...\(Self.maxRate)).")
    var rate = 2_000

    @Option(name: .customLong("latency-seconds"), help: "How long the latency run offers its load, in seconds (0.001...\(Int(Self.maxLatencySeconds))).")
    var latencySeconds = 2.0

    @Option(name: .customLong("path-mbps"), help: "The limit of each path in the capped runs, in MB/s of 10^6 bytes (0.001...\(Int(Self.maxPathMBps))).")
    var pathMBps = 25.0

    @Option(help: "Directory for the traces of the traced runs (default: a temporary one, removed after).")
    var dir: String?

    @Option(help: "Output: text (for people) or json (for tools).")
    var format: MirrorBenchReport.Format = .text

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
        try OptionRange.check("--tracing-rounds", tracingRounds, 1...OptionRange.maxRounds)
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
        /// CPU time per record, in microseconds.
        var cpuMicrosPerRecord: Double
        /// The part on the event-loop threads, and the part in the trace writers.
        var loopMicrosPerRecord = 0.0, writerMicrosPerRecord = 0.0
        var p50: Double?
        var p99: Double?
    }

    func run() async throws {
        let fm = FileManager.default
        let directory = dir ?? fm.temporaryDirectory.appendingPathComponent("plumb-bench-mirror-\(getpid())").path
        defer { if dir == nil { try? fm.removeItem(atPath: directory) } }
        let progress: (String) -> Void = format == .json
            ? { FileHandle.standardError.write(Data(($0 + "\n").utf8)) } : { print($0) }
        let runsScaling = only != .tracing, runsTracing = only != .scaling

        progress("plumb bench mirror: 4 KiB records, \(Self.streams) streams, "
            + (runsScaling ? "\(rounds) scaling round\(rounds == 1 ? "" : "s")" : "no scaling rounds") + ", "
            + (runsTracing ? "\(tracingRounds) tracing round\(tracingRounds == 1 ? "" : "s")" : "no tracing rounds")
            + "; traces in \(directory)")
        _ = try await measure(Run(name: "warm-up", paths: 4, records: min(records, 2_000)), in: directory)

        let (scaling, latency) = runsScaling ? try await measureScaling(in: directory, progress: progress) : (nil, nil)
        let tracing = runsTracing ? try await measureTracing(in: directory, progress: progress) : nil
        let result = MirrorBenchReport(
            rounds: rounds, tracingRounds: tracingRounds, records: records, pathMBps: pathMBps,
            scaling: scaling, tracing: tracing, latency: latency)
        switch format {
        case .text: print(result.text)
        case .json: print(result.json)
        }
    }

    /// One progress line per run.
    private func report(_ round: Int, _ run: Run, _ sample: Sample, _ progress: (String) -> Void) {
        var line = "  round \(round + 1)  " + run.name.padding(toLength: 36, withPad: " ", startingAt: 0)
            + String(format: " %9.0f records/s %7.1f MB/s %6.1f µs CPU/record", sample.recordsPerSecond, sample.megabytesPerSecond, sample.cpuMicrosPerRecord)
        if let p50 = sample.p50, let p99 = sample.p99 { line += String(format: "   p50 %.3f ms  p99 %.3f ms", p50, p99) }
        progress(line)
    }

    /// Path scaling and latency, interleaved, the order rotating between rounds.
    private func measureScaling(
        in directory: String, progress: (String) -> Void
    ) async throws -> (MirrorBenchReport.Scaling, MirrorBenchReport.Latency) {
        let mbps = String(format: "%g", pathMBps)
        let scaling = [1, 2, 4].map { paths in
            Run(name: "\(paths) path\(paths == 1 ? " " : "s"), \(mbps) MB/s each", paths: paths,
                records: max(records * paths / 4, 100), capped: true)
        }
        let latencyRecords = max(Int((Double(rate) * latencySeconds).rounded()), 1)
        let latency = Run(name: "latency at \(rate)/s, 4 capped paths", paths: 4, records: latencyRecords,
                          capped: true, paced: true)
        let loadBefore = Self.loadAverage()
        var scalingSamples = Array(repeating: [Sample](), count: scaling.count)
        var latencySamples: [Sample] = []
        for round in 0..<rounds {
            for index in Self.rotated(Array(0..<scaling.count), by: round) {
                let sample = try await measure(scaling[index], in: directory)
                scalingSamples[index].append(sample)
                report(round, scaling[index], sample, progress)
            }
            let sample = try await measure(latency, in: directory)
            latencySamples.append(sample)
            report(round, latency, sample, progress)
        }
        let loadAfter = Self.loadAverage()
        let runs = scaling.indices.map { i in
            MirrorBenchReport.ScalingRun(
                paths: scaling[i].paths, records: scaling[i].records,
                recordsPerSecond: scalingSamples[i].map(\.recordsPerSecond).median,
                megabytesPerSecond: scalingSamples[i].map(\.megabytesPerSecond).median,
                cpuMicrosPerRecord: scalingSamples[i].map(\.cpuMicrosPerRecord).median,
                min: scalingSamples[i].map(\.recordsPerSecond).min()!, max: scalingSamples[i].map(\.recordsPerSecond).max()!)
        }
        return (MirrorBenchReport.Scaling(runs: runs, loadBefore: loadBefore, loadAfter: loadAfter),
                MirrorBenchReport.Latency(rate: rate, seconds: latencySeconds,
                                          p50: latencySamples.compactMap(\.p50).median, p99: latencySamples.compactMap(\.p99).median))
    }

    /// Tracing: ABBA per round (traced, untraced, untraced, traced, or the reverse), so a
    /// linear drift within a round cancels out; one ratio per round, of the same workload
    /// traced and untraced.
    private func measureTracing(in directory: String, progress: (String) -> Void) async throws -> MirrorBenchReport.Tracing {
        let traced = Run(name: "4 paths uncapped, traced", paths: 4, records: records)
        let untraced = Run(name: "4 paths uncapped, untraced", paths: 4, records: records, traced: false)
        let loadBefore = Self.loadAverage()
        var tracedSamples: [Sample] = [], untracedSamples: [Sample] = [], ratios: [Double] = []
        for round in 0..<tracingRounds {
            let order = round % 2 == 0 ? [traced, untraced, untraced, traced] : [untraced, traced, traced, untraced]
            var tracedRate = 0.0, untracedRate = 0.0
            for run in order {
                let sample = try await measure(run, in: directory)
                report(round, run, sample, progress)
                if run.traced {
                    tracedSamples.append(sample)
                    tracedRate += sample.recordsPerSecond
                } else {
                    untracedSamples.append(sample)
                    untracedRate += sample.recordsPerSecond
                }
            }
            ratios.append(tracedRate / untracedRate)
        }
        func cpu(_ samples: [Sample]) -> MirrorBenchReport.CPU {
            MirrorBenchReport.CPU(
                total: samples.map(\.cpuMicrosPerRecord).median, loops: samples.map(\.loopMicrosPerRecord).median,
                writers: samples.map(\.writerMicrosPerRecord).median,
                rest: samples.map { $0.cpuMicrosPerRecord - $0.loopMicrosPerRecord - $0.writerMicrosPerRecord }.median)
        }
        return MirrorBenchReport.Tracing(
            ratios: ratios, tracedRecordsPerSecond: tracedSamples.map(\.recordsPerSecond).median,
            untracedRecordsPerSecond: untracedSamples.map(\.recordsPerSecond).median,
            tracedCPU: cpu(tracedSamples), untracedCPU: cpu(untracedSamples),
            loadBefore: loadBefore, loadAfter: Self.loadAverage())
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
        var sample = Sample(
            recordsPerSecond: perSecond, megabytesPerSecond: perSecond * Double(Self.payloadSize) / 1e6,
            cpuMicrosPerRecord: summary.workloadCPU.seconds * 1e6 / Double(run.records),
            loopMicrosPerRecord: summary.workloadLoopCPU.seconds * 1e6 / Double(run.records),
            writerMicrosPerRecord: summary.workloadTraceWriterCPU.seconds * 1e6 / Double(run.records))
        if run.paced {
            let sorted = summary.commitLatencies.map(\.seconds).sorted()
            sample.p50 = Self.percentile(sorted, 0.50) * 1e3
            sample.p99 = Self.percentile(sorted, 0.99) * 1e3
        }
        return sample
    }

    /// The 1-minute load average now.
    static func loadAverage() -> Double {
        var loads = [0.0, 0.0, 0.0]
        return getloadavg(&loads, 3) >= 1 ? loads[0] : .nan
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
    var median: Double {
        guard !isEmpty else { return .nan }
        return sorted()[count / 2]
    }
}
