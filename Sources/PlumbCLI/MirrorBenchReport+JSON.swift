import Checker

extension OrNull<Double> {
    /// `value`, or null when it is not finite.
    init(_ value: Double) { self.init(value.isFinite ? value : nil) }
}

extension MirrorBenchReport {
    /// The report for tools (`--format json`): one line with sorted keys, snake_case; a figure
    /// that is not finite, and a section not run, is null.
    var json: String { CheckReport.encode(JSON(self)) }

    /// A figure, null when it is not finite (a rate over nothing).
    typealias Figure = OrNull<Double>

    /// CPU microseconds per record, by where they went.
    struct CPUJSON: Encodable {
        var total, eventLoops, traceWriters, rest: Figure
        init(_ cpu: CPU) {
            total = Figure(cpu.total); eventLoops = Figure(cpu.loops)
            traceWriters = Figure(cpu.writers); rest = Figure(cpu.rest)
        }
        enum CodingKeys: String, CodingKey {
            case total, rest
            case eventLoops = "event_loops", traceWriters = "trace_writers"
        }
    }

    /// One number of paths.
    struct RunJSON: Encodable {
        var paths, records: Int
        var recordsPerSecond, mbPerSecond, cpuUsPerRecord, recordsPerSecondMin, recordsPerSecondMax: Figure
        enum CodingKeys: String, CodingKey {
            case paths, records
            case recordsPerSecond = "records_per_second", mbPerSecond = "mb_per_second"
            case cpuUsPerRecord = "cpu_us_per_record"
            case recordsPerSecondMin = "records_per_second_min", recordsPerSecondMax = "records_per_second_max"
        }
    }

    /// Paths against throughput.
    struct ScalingJSON: Encodable {
        var runs: [RunJSON]
        var ratio4To1, ratio2To1, loadAverageBefore, loadAverageAfter: Figure
        enum CodingKeys: String, CodingKey {
            case runs
            case ratio4To1 = "ratio_4_to_1", ratio2To1 = "ratio_2_to_1"
            case loadAverageBefore = "load_average_before", loadAverageAfter = "load_average_after"
        }
    }

    /// Traced against untraced, in paired rounds.
    struct TracingJSON: Encodable {
        var rounds: Int
        var ratios: [Figure]
        var ratioMedian, costPercent, ratioMin, ratioMax: Figure
        var tracedRecordsPerSecond, untracedRecordsPerSecond: Figure
        var tracedCPUUsPerRecord, untracedCPUUsPerRecord, recordingCPUUsPerRecord: Figure
        var tracedByPart, untracedByPart: CPUJSON
        var loadAverageBefore, loadAverageAfter: Figure
        enum CodingKeys: String, CodingKey {
            case rounds, ratios
            case ratioMedian = "ratio_median", costPercent = "cost_percent"
            case ratioMin = "ratio_min", ratioMax = "ratio_max"
            case tracedRecordsPerSecond = "traced_records_per_second"
            case untracedRecordsPerSecond = "untraced_records_per_second"
            case tracedCPUUsPerRecord = "traced_cpu_us_per_record"
            case untracedCPUUsPerRecord = "untraced_cpu_us_per_record"
            case recordingCPUUsPerRecord = "recording_cpu_us_per_record"
            case tracedByPart = "traced_cpu_us_per_record_by_part"
            case untracedByPart = "untraced_cpu_us_per_record_by_part"
            case loadAverageBefore = "load_average_before", loadAverageAfter = "load_average_after"
        }
    }

    /// Commit latency at a fixed rate.
    struct LatencyJSON: Encodable {
        var rate: Int
        var seconds: Double
        var p50Ms, p99Ms: Figure
        enum CodingKeys: String, CodingKey {
            case rate, seconds
            case p50Ms = "p50_ms", p99Ms = "p99_ms"
        }
    }

    /// The whole report.
    struct JSON: Encodable {
        var records, rounds: Int
        var pathMBps: Double
        var scaling: OrNull<ScalingJSON>
        var tracing: OrNull<TracingJSON>
        var latency: OrNull<LatencyJSON>

        init(_ r: MirrorBenchReport) {
            records = r.records
            rounds = r.rounds
            pathMBps = r.pathMBps
            scaling = OrNull(r.scaling.map { s in
                ScalingJSON(
                    runs: s.runs.map {
                        RunJSON(paths: $0.paths, records: $0.records, recordsPerSecond: Figure($0.recordsPerSecond),
                                mbPerSecond: Figure($0.megabytesPerSecond), cpuUsPerRecord: Figure($0.cpuMicrosPerRecord),
                                recordsPerSecondMin: Figure($0.min), recordsPerSecondMax: Figure($0.max))
                    },
                    ratio4To1: Figure(s.fourOverOne), ratio2To1: Figure(s.twoOverOne),
                    loadAverageBefore: Figure(s.loadBefore), loadAverageAfter: Figure(s.loadAfter))
            })
            tracing = OrNull(r.tracing.map { t in
                TracingJSON(
                    rounds: r.tracingRounds, ratios: t.ratios.map(Figure.init),
                    ratioMedian: Figure(t.ratio), costPercent: Figure((1 - t.ratio) * 100),
                    ratioMin: Figure(t.ratios.min() ?? .nan), ratioMax: Figure(t.ratios.max() ?? .nan),
                    tracedRecordsPerSecond: Figure(t.tracedRecordsPerSecond),
                    untracedRecordsPerSecond: Figure(t.untracedRecordsPerSecond),
                    tracedCPUUsPerRecord: Figure(t.tracedCPU.total), untracedCPUUsPerRecord: Figure(t.untracedCPU.total),
                    recordingCPUUsPerRecord: Figure(t.tracedCPU.total - t.untracedCPU.total),
                    tracedByPart: CPUJSON(t.tracedCPU), untracedByPart: CPUJSON(t.untracedCPU),
                    loadAverageBefore: Figure(t.loadBefore), loadAverageAfter: Figure(t.loadAfter))
            })
            latency = OrNull(r.latency.map {
                LatencyJSON(rate: $0.rate, seconds: $0.seconds, p50Ms: Figure($0.p50), p99Ms: Figure($0.p99))
            })
        }

        enum CodingKeys: String, CodingKey {
            case records, rounds, scaling, tracing, latency
            case pathMBps = "path_mbps"
        }

    }
}
