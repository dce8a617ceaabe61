import Trace

/// The scheduler of one PCT walk (Burckhardt, Kothari, Musuvathi, Nagarakatte: "A randomized
/// scheduler with probabilistic guarantees of finding bugs", ASPLOS 2010). Lanes get random
/// distinct priorities, all at least `depth`, when first seen; at each of `depth - 1` random
/// change points the lane about to run drops to a priority below every initial one (d-1, d-2,
/// ...). Each step takes the first enabled choice of the highest-priority enabled lane.
struct PCTScheduler {
    private var rng: SplitMix64
    private let depth: Int
    private var priorities: [Int: UInt64] = [:]
    private var used: Set<UInt64> = []
    private var changePoints: [Int]
    private var changesMade = 0

    /// A scheduler for a walk of about `expectedLength` steps, finding bugs of depth `depth`.
    init(rng: SplitMix64, depth: Int, expectedLength: Int) {
        self.rng = rng
        self.depth = max(1, depth)
        let length = max(1, expectedLength)
        var points: [Int] = []
        for _ in 0..<(self.depth - 1) {
            points.append(1 + Int(self.rng.next() % UInt64(length)))
        }
        changePoints = points.sorted()
    }

    /// The index in `choices` to take at step `step` (1 for the first step).
    mutating func pick<System: Explorable>(_ choices: [System.Choice], in state: System, step: Int) -> Int {
        let lanes = choices.map { state.lane(of: $0) }
        for lane in lanes where priorities[lane] == nil {
            var priority: UInt64
            repeat {
                priority = UInt64(depth) + (rng.next() >> 1)
            } while used.contains(priority)
            used.insert(priority)
            priorities[lane] = priority
        }
        while changesMade < changePoints.count, changePoints[changesMade] <= step {
            changesMade += 1
            priorities[lanes[best(lanes)]] = UInt64(depth - changesMade)
        }
        return best(lanes)
    }

    /// The first index whose lane has the highest priority.
    private func best(_ lanes: [Int]) -> Int {
        var best = 0
        for index in lanes.indices.dropFirst() where priorities[lanes[index]]! > priorities[lanes[best]]! {
            best = index
        }
        return best
    }
}
