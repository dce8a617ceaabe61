import Explorer
import Foundation

extension ExploreBench {
    /// Whether the mirror's cost per state stays flat as the bound grows: µs per state at the
    /// larger size over µs per state at the smaller, in paired rounds (each size run again
    /// until a second of CPU has passed, so both see the same load; the order alternates from
    /// round to round, so neither always runs first or after the other), with `--crashes 0`
    /// and `--crashes 1`. The median of the rounds is the figure; the range shows how noisy
    /// the machine was.
    func flatness(rounds: Int) {
        let (small, large) = quick ? (1, 2) : (3, 5)
        emit("flat cost per state (mirror, 2 streams x 2 paths, µs/state at \(large) records over \(small); \(rounds) paired rounds):")
        for crashes in [0, 1] {
            var ratios: [Double] = []
            var smallCost: [Double] = []
            var largeCost: [Double] = []
            for round in 0..<rounds {
                let smallStart = MirrorSimulation(.init(streams: 2, paths: 2, records: small, crashes: crashes))
                let largeStart = MirrorSimulation(.init(streams: 2, paths: 2, records: large, crashes: crashes))
                let a: Double, b: Double
                if round % 2 == 0 {
                    a = Self.costPerState(smallStart)
                    b = Self.costPerState(largeStart)
                } else {
                    b = Self.costPerState(largeStart)
                    a = Self.costPerState(smallStart)
                }
                smallCost.append(a)
                largeCost.append(b)
                ratios.append(b / max(a, 1e-9))
            }
            emit("  --crashes \(crashes): " + String(
                format: "%.2fx median (%.2f-%.2fx); µs/state %.1f at %d records, %.1f at %d (medians)",
                Self.median(ratios), ratios.min() ?? 0, ratios.max() ?? 0,
                Self.median(smallCost), small, Self.median(largeCost), large))
        }
    }

    /// CPU µs per state of an exhaustive search of `start` on one thread, run again until a
    /// second of CPU has passed.
    static func costPerState<S: ExplorationTarget>(_ start: S) -> Double {
        var (report, cpu) = measure(start, ExplorationOptions())
        var runs = 1
        while cpu < 1, runs < 50 {
            cpu += measure(start, ExplorationOptions()).1
            runs += 1
        }
        return cpu / Double(runs) * 1e6 / Double(max(report.states, 1))
    }

    /// The median of `values` (0 when empty).
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}
