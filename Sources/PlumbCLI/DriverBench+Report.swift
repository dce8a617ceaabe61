import Checker
import Driver
import Foundation

/// Everything `plumb bench driver` measured, round by round, and its two reports: a table for
/// people and one JSON object for tools.
struct DriverBenchResult {
    /// Where the files were.
    var directory: String
    /// The machine's cores: a figure means little without them.
    var cores: Int
    /// Whether --quick chose the sizes.
    var quick: Bool
    /// Rounds asked for.
    var rounds: Int
    /// The staging of (a)'s and (b)'s images.
    var config: StagingConfig
    /// Requests and bytes of each benchmark.
    var sizes: DriverBench.Sizes
    /// fio's version, or nil when it is not installed.
    var fioVersion: String?
    /// (a) and (b), one entry per round.
    var small: [DriverBench.RoundFigures] = []
    var large: [DriverBench.RoundFigures] = []
    /// (c), per round, the mounts in the order they ran.
    var recovery: [[DriverBench.Recovery]] = []

    /// The aims: (a) and (b) ratios at least these, (c)'s growth at most this.
    static let smallAim = 0.9, largeAim = 0.8, recoveryAim = 4.5

    // MARK: - Figures

    /// (a)'s rates per round, in requests per second, and the driver's over the anchor's.
    var smallDriverRates: [Double] { small.map { Double(sizes.smallRequests) / $0.driver.seconds } }
    var smallPwriteRates: [Double] { small.map { Double(sizes.smallRequests) / $0.pwriteSeconds } }
    var smallFioRates: [Double]? { fioVersion == nil ? nil : small.compactMap { $0.fio?.iops } }
    var smallRatios: [Double] { zip(smallDriverRates, smallPwriteRates).map { $0 / $1 } }

    /// (b)'s bandwidths per round, in MB/s, and the driver's over the anchor's.
    var largeDriverMBps: [Double] { large.map { Double(sizes.largeBytes) / $0.driver.seconds / 1e6 } }
    var largePwriteMBps: [Double] { large.map { Double(sizes.largeBytes) / $0.pwriteSeconds / 1e6 } }
    var largeFioMBps: [Double]? { fioVersion == nil ? nil : large.compactMap { $0.fio.map { $0.bytesPerSecond / 1e6 } } }
    var largeRatios: [Double] { zip(largeDriverMBps, largePwriteMBps).map { $0 / $1 } }

    /// The mount of `staging` bytes in each round.
    func mounts(_ staging: Int) -> [DriverBench.Recovery] {
        recovery.compactMap { round in round.first { $0.staging == staging } }
    }

    /// The sizes (c)'s growth is taken between: the second and the third.
    var growthSizes: (from: Int, to: Int) { (sizes.recoveryStaging[1], sizes.recoveryStaging[2]) }

    /// (c)'s growth in each round: the larger mount's time over the smaller one's.
    var growths: [Double] {
        zip(mounts(growthSizes.to), mounts(growthSizes.from)).map { $0.seconds / $1.seconds }
    }

    // MARK: - Text

    /// The first line: where, on what, how much.
    var headline: String {
        "driver bench in \(directory): \(cores) cores, staging \(ByteCount(config.stagingBytes)) in "
            + "\(ByteCount(config.regionBytes)) regions, \(rounds) round\(rounds == 1 ? "" : "s")" + (quick ? " (quick)" : "")
            + (fioVersion.map { "; fio: \($0)" } ?? "")
    }

    /// Round `round`'s ratios, for the progress line.
    func roundSummary(_ round: Int) -> String {
        String(format: "(a) %.2fx, (b) %.2fx", smallRatios[round], largeRatios[round])
            + (round < growths.count ? String(format: ", (c) %.2fx", growths[round]) : "")
    }

    /// The table of medians with ratios and aims, each round's figures, and the driver's counts.
    func text() -> String {
        let (from, to) = growthSizes
        let a = Spread(smallRatios), b = Spread(largeRatios), g = Spread(growths)
        var rows: [[String]] = [
            ["benchmark", "driver", "pwrite anchor", "fio", "ratio", "min-max", "aim", ""],
            ["(a) \(sizes.smallRequests) × 512 B random, sync per 1000", rate(Spread(smallDriverRates).median),
             rate(Spread(smallPwriteRates).median), smallFioRates.map { rate(Spread($0).median) } ?? "-",
             ratio(a.median), range(a), String(format: ">= %.1fx", Self.smallAim), verdict(a.median >= Self.smallAim)],
            ["(b) \(ByteCount(sizes.largeBytes)) in 256KiB requests, one sync", mbps(Spread(largeDriverMBps).median),
             mbps(Spread(largePwriteMBps).median), largeFioMBps.map { mbps(Spread($0).median) } ?? "-",
             ratio(b.median), range(b), String(format: ">= %.1fx", Self.largeAim), verdict(b.median >= Self.largeAim)],
        ]
        for staging in sizes.recoveryStaging {
            let time = ms(Spread(mounts(staging).map(\.seconds)).median)
            rows.append(staging == to
                ? ["(c) recover full \(ByteCount(staging)) staging", time, "", "", ratio(g.median) + " of \(ByteCount(from))",
                   range(g), String(format: "<= %.1fx", Self.recoveryAim), verdict(g.median <= Self.recoveryAim)]
                : ["(c) recover full \(ByteCount(staging)) staging", time, "", "", "", "", "", ""])
        }
        var lines = [""] + Self.table(rows) + [
            "",
            "Medians of \(rounds) round\(rounds == 1 ? "" : "s"). Ratio: the driver's rate over the pwrite anchor's in the same round "
                + "((a), (b)); the \(ByteCount(to)) mount's time over the \(ByteCount(from)) one's ((c); 4x is linear).",
            "The driver's time runs from its first write to the end of shutdown (everything durable and checkpointed).",
        ]
        for round in 0 ..< small.count {
            lines.append("")
            lines.append("round \(round + 1), in the order run:")
            lines.append("  (a) " + small[round].order.map { describeSmall(round, $0) }.joined(separator: ", ")
                         + String(format: ": %.2fx", smallRatios[round]))
            lines.append("  (b) " + large[round].order.map { describeLarge(round, $0) }.joined(separator: ", ")
                         + String(format: ": %.2fx", largeRatios[round]))
            lines.append("  (c) " + recovery[round].map { "\(ByteCount($0.staging)) " + ms($0.seconds) }.joined(separator: ", ")
                         + (round < growths.count ? String(format: ": %.2fx", growths[round]) : ""))
        }
        if let last = small.last?.driver, let lastLarge = large.last?.driver {
            lines.append("")
            lines.append("the driver's counts (round \(small.count)):")
            lines.append("  (a) \(last.stats.flushes) flushes (" + String(format: "%.0f", Double(sizes.smallRequests) / Double(max(last.stats.flushes, 1)))
                         + " requests per flush), \(last.stats.patches) checkpoint patches; whole-block writes (journal and"
                         + " out-of-place data) \(ByteCount(last.stats.bytesWritten)) + patched \(ByteCount(last.stats.bytesPatched))")
            lines.append("  (b) \(lastLarge.stats.flushes) flushes, \(lastLarge.stats.writes) whole-block writes (journal and out-of-place "
                         + "data) \(ByteCount(lastLarge.stats.bytesWritten)) + patched \(ByteCount(lastLarge.stats.bytesPatched))")
            for r in (recovery.last ?? []).sorted(by: { $0.staging < $1.staging }) {
                lines.append("  (c) \(ByteCount(r.staging)): filled with \(r.requests) requests; recovered \(r.summary.recovered) "
                             + "requests from \(r.summary.segments) segments, \(ByteCount(r.summary.bytesReplayed)) (stop: \(r.summary.stop))")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// One contender's part of (a) in round `round`.
    private func describeSmall(_ round: Int, _ who: DriverBench.Contender) -> String {
        let f = small[round]
        switch who {
        case .driver:
            return "driver " + rate(smallDriverRates[round])
                + String(format: " (%.2f s; last sync at %.2f s)", f.driver.seconds, f.driver.secondsToLastSync)
        case .pwrite: return "pwrite " + rate(smallPwriteRates[round]) + String(format: " (%.2f s)", f.pwriteSeconds)
        case .fio: return "fio " + (f.fio.map { rate($0.iops) + String(format: " (%.2f s)", $0.seconds) } ?? "-")
        }
    }

    /// One contender's part of (b) in round `round`.
    private func describeLarge(_ round: Int, _ who: DriverBench.Contender) -> String {
        let f = large[round]
        switch who {
        case .driver:
            return "driver " + mbps(largeDriverMBps[round])
                + String(format: " (%.2f s; last sync at %.2f s)", f.driver.seconds, f.driver.secondsToLastSync)
        case .pwrite: return "pwrite " + mbps(largePwriteMBps[round]) + String(format: " (%.2f s)", f.pwriteSeconds)
        case .fio: return "fio " + (f.fio.map { mbps($0.bytesPerSecond / 1e6) + String(format: " (%.2f s)", $0.seconds) } ?? "-")
        }
    }

    private func rate(_ r: Double) -> String { String(format: "%.0f req/s", r) }
    private func mbps(_ r: Double) -> String { String(format: "%.1f MB/s", r) }
    private func ms(_ s: Double) -> String { String(format: "%.1f ms", s * 1e3) }
    private func ratio(_ x: Double) -> String { String(format: "%.2fx", x) }
    private func range(_ s: Spread) -> String { String(format: "%.2f-%.2fx", s.min, s.max) }
    private func verdict(_ met: Bool) -> String { met ? "met" : "not met" }

    /// Rows as columns: the first left-aligned, the others right-aligned.
    private static func table(_ rows: [[String]]) -> [String] {
        let widths = (0 ..< (rows.first?.count ?? 0)).map { col in rows.map { $0[col].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { col, cell in
                col == 0 || col == row.count - 1 ? cell.padding(toLength: widths[col], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[col] - cell.count) + cell
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
    }

    // MARK: - JSON

    /// The report as one JSON object (schema_version 1), keys sorted.
    func json() throws -> String {
        let a = Spread(smallRatios), b = Spread(largeRatios), g = Spread(growths)
        let report = JSONReport(
            rounds: rounds, quick: quick, directory: directory, cores: cores, stagingBytes: config.stagingBytes,
            regionBytes: config.regionBytes, fio: OrNull(fioVersion), order: small.map { $0.order.map(\.rawValue) },
            small: .init(
                requests: sizes.smallRequests, requestBytes: DriverBench.smallBytes, requestsPerSync: DriverBench.smallBatch,
                driverReqPerS: smallDriverRates, driverSeconds: small.map(\.driver.seconds),
                driverSecondsToLastSync: small.map(\.driver.secondsToLastSync),
                pwriteBatchedReqPerS: smallPwriteRates, pwriteBatchedSeconds: small.map(\.pwriteSeconds),
                fioIops: OrNull(smallFioRates), fioSeconds: OrNull(fioVersion.map { _ in small.compactMap { $0.fio?.seconds } }),
                ratios: smallRatios, ratioMedian: a.median, ratioMin: a.min, ratioMax: a.max,
                aim: Self.smallAim, met: a.median >= Self.smallAim),
            large: .init(
                bytes: sizes.largeBytes, requestBytes: DriverBench.largeChunk,
                driverMbPerS: largeDriverMBps, driverSeconds: large.map(\.driver.seconds),
                driverSecondsToLastSync: large.map(\.driver.secondsToLastSync),
                pwriteSequentialMbPerS: largePwriteMBps, pwriteSequentialSeconds: large.map(\.pwriteSeconds),
                fioMbPerS: OrNull(largeFioMBps), fioSeconds: OrNull(fioVersion.map { _ in large.compactMap { $0.fio?.seconds } }),
                ratios: largeRatios, ratioMedian: b.median, ratioMin: b.min, ratioMax: b.max,
                aim: Self.largeAim, met: b.median >= Self.largeAim),
            recovery: sizes.recoveryStaging.map { staging in
                let m = mounts(staging), s = Spread(m.map(\.seconds))
                return .init(stagingBytes: staging, regionBytes: sizes.recoveryRegion, requests: m.first?.requests ?? 0,
                             segments: m.first?.summary.segments ?? 0, seconds: m.map(\.seconds),
                             medianSeconds: s.median, minSeconds: s.min, maxSeconds: s.max)
            },
            recoveryGrowth64Vs16: g.median, recoveryGrowthMin: g.min, recoveryGrowthMax: g.max, recoveryGrowths: growths,
            recoveryGrowthFromBytes: growthSizes.from, recoveryGrowthToBytes: growthSizes.to,
            recoveryAim: Self.recoveryAim, recoveryMet: g.median <= Self.recoveryAim)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    /// The JSON object; keys are these names in snake_case. Arrays hold one value per round.
    struct JSONReport: Encodable {
        var schemaVersion = 1
        var rounds: Int
        var quick: Bool
        var directory: String
        var cores: Int
        var stagingBytes: Int
        var regionBytes: Int
        /// fio's version; null when it is not installed (and so are the fio figures).
        var fio: OrNull<String>
        /// Each round's order of the contenders, for (a) and (b).
        var order: [[String]]
        var small: Small
        var large: Large
        var recovery: [Mount]
        /// The growth's median over the rounds (named for the full sizes; --quick's are in
        /// recovery_growth_from_bytes and recovery_growth_to_bytes).
        var recoveryGrowth64Vs16: Double
        var recoveryGrowthMin: Double
        var recoveryGrowthMax: Double
        var recoveryGrowths: [Double]
        var recoveryGrowthFromBytes: Int
        var recoveryGrowthToBytes: Int
        var recoveryAim: Double
        var recoveryMet: Bool

        enum CodingKeys: String, CodingKey {
            case schemaVersion, rounds, quick, directory, cores, stagingBytes, regionBytes, fio, order, small, large
            case recovery, recoveryGrowthMin, recoveryGrowthMax, recoveryGrowths, recoveryGrowthFromBytes
            case recoveryGrowthToBytes, recoveryAim, recoveryMet
            // The snake_case conversion would glue the digits to the words.
            case recoveryGrowth64Vs16 = "recovery_growth_64_vs_16"
        }

        /// (a): rates in requests per second.
        struct Small: Encodable {
            var requests, requestBytes, requestsPerSync: Int
            var driverReqPerS, driverSeconds, driverSecondsToLastSync: [Double]
            var pwriteBatchedReqPerS, pwriteBatchedSeconds: [Double]
            var fioIops, fioSeconds: OrNull<[Double]>
            var ratios: [Double]
            var ratioMedian, ratioMin, ratioMax, aim: Double
            var met: Bool
        }

        /// (b): bandwidths in MB/s (10^6 bytes per second).
        struct Large: Encodable {
            var bytes, requestBytes: Int
            var driverMbPerS, driverSeconds, driverSecondsToLastSync: [Double]
            var pwriteSequentialMbPerS, pwriteSequentialSeconds: [Double]
            var fioMbPerS, fioSeconds: OrNull<[Double]>
            var ratios: [Double]
            var ratioMedian, ratioMin, ratioMax, aim: Double
            var met: Bool
        }

        /// (c): one staging size's mounts.
        struct Mount: Encodable {
            var stagingBytes, regionBytes, requests, segments: Int
            var seconds: [Double]
            var medianSeconds, minSeconds, maxSeconds: Double
        }
    }

    /// A figure's median and spread over the rounds.
    struct Spread {
        var median = 0.0, min = 0.0, max = 0.0

        /// Of `values`; zeros when there are none.
        init(_ values: [Double]) {
            let sorted = values.sorted()
            guard let first = sorted.first, let last = sorted.last else { return }
            let mid = sorted.count / 2
            median = sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
            min = first
            max = last
        }
    }
}
