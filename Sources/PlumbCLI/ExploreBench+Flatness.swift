import Explorer
import Foundation

extension ExploreBench {
    /// Whether the mirror's cost per state stays flat as the bound grows: µs per state at the
    /// larger size over µs per state at the smaller, in paired rounds (each size run again
    /// until a second of CPU has passed, so both see the same load; the order alternates from
    /// round to round, so neither always runs first or after the other), with `--crashes 0`
    /// and `--crashes 1`. The median of the rounds is the figure; the range shows how noisy
    /// the machine was. Beside it, the same ratio per transition (per step taken): with
    /// crashes, the states a crash leaves behind take few steps each and merge more as the
    /// bound grows, so the steps per state grow with the bound even where a step's cost does
    /// not; and the states before any crash (those of the `--crashes 0` space), whose steps
    /// cost more (two live nodes, messages in flight), grow to a larger share of all.
    func flatness(rounds: Int) {
        let (small, large) = quick ? (1, 2) : (3, 5)
        emit("flat cost per state (mirror, 2 streams x 2 paths, µs/state at \(large) records over \(small); \(rounds) paired rounds):")
        var uncrashed: (small: Int, large: Int) = (0, 0)
        for crashes in [0, 1] {
            var ratios: [Double] = []
            var stepRatios: [Double] = []
            var smallCost: [Cost] = []
            var largeCost: [Cost] = []
            for round in 0..<rounds {
                let smallStart = MirrorSimulation(.init(streams: 2, paths: 2, records: small, crashes: crashes))
                let largeStart = MirrorSimulation(.init(streams: 2, paths: 2, records: large, crashes: crashes))
                let a: Cost, b: Cost
                if round % 2 == 0 {
                    a = Self.cost(smallStart)
                    b = Self.cost(largeStart)
                } else {
                    b = Self.cost(largeStart)
                    a = Self.cost(smallStart)
                }
                smallCost.append(a)
                largeCost.append(b)
                ratios.append(b.perState / max(a.perState, 1e-9))
                stepRatios.append(b.perTransition / max(a.perTransition, 1e-9))
            }
            let share: String
            if crashes == 0 {
                uncrashed = (smallCost.first?.states ?? 0, largeCost.first?.states ?? 0)
                share = ""
            } else {
                share = String(format: "; states before any crash %.0f%%, %.0f%%",
                               100 * Double(uncrashed.small) / Double(max(smallCost.first?.states ?? 0, 1)),
                               100 * Double(uncrashed.large) / Double(max(largeCost.first?.states ?? 0, 1)))
            }
            emit("  --crashes \(crashes): " + String(
                format: "%.2fx median (%.2f-%.2fx); µs/state %.1f at %d records, %.1f at %d (medians); "
                    + "per transition %.2fx (µs/transition %.2f, %.2f; transitions/state %.2f, %.2f)",
                Self.median(ratios), ratios.min() ?? 0, ratios.max() ?? 0,
                Self.median(smallCost.map(\.perState)), small, Self.median(largeCost.map(\.perState)), large,
                Self.median(stepRatios), Self.median(smallCost.map(\.perTransition)),
                Self.median(largeCost.map(\.perTransition)), smallCost.first?.transitionsPerState ?? 0,
                largeCost.first?.transitionsPerState ?? 0) + share)
        }
    }

    /// CPU µs per state and per transition of one exhaustive search.
    struct Cost {
        var states: Int
        var perState: Double
        var perTransition: Double
        var transitionsPerState: Double
    }

    /// The cost of an exhaustive search of `start` on one thread, run again until a second of
    /// CPU has passed.
    static func cost<S: ExplorationTarget>(_ start: S) -> Cost {
        var (report, cpu) = measure(start, ExplorationOptions())
        var runs = 1
        while cpu < 1, runs < 50 {
            cpu += measure(start, ExplorationOptions()).1
            runs += 1
        }
        let perRun = cpu / Double(runs) * 1e6
        return Cost(states: report.states, perState: perRun / Double(max(report.states, 1)),
                    perTransition: perRun / Double(max(report.transitions, 1)),
                    transitionsPerState: Double(report.transitions) / Double(max(report.states, 1)))
    }

    /// The median of `values` (0 when empty).
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}
