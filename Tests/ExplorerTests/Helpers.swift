import Explorer

/// Runs one exploration with the given options.
func explore<S: Explorable>(
    _ start: S, strategy: ExplorationStrategy = .exhaustive, depthBound: Int? = nil,
    caching: Bool = true, reduction: Bool = true, keepGoing: Bool = false,
    budget: ExplorationBudget = .unlimited, shard: Shard = .whole, parallelism: Int = 1,
    shrinkAttempts: Int = 1_000, fingerprints: Bool = false
) -> ExplorationReport {
    var options = ExplorationOptions(
        strategy: strategy, depthBound: depthBound, stateCaching: caching,
        partialOrderReduction: reduction, keepGoing: keepGoing, budget: budget,
        parallelism: parallelism, shrinkAttempts: shrinkAttempts)
    options.shard = shard
    options.recordFingerprints = fingerprints
    return Exploration(start: start, options: options).run()
}

/// The four combinations of state caching and partial-order reduction.
let searchModes: [(caching: Bool, reduction: Bool)] = [(true, true), (true, false), (false, true), (false, false)]

/// Hands `visit` every state reachable from `start`, once per fingerprint (depth first).
func forEachReachableState<S: Explorable>(from start: S, _ visit: (S) -> Void) {
    var seen: Set<UInt64> = []
    var stack = [start]
    while let state = stack.popLast() {
        guard seen.insert(state.fingerprint()).inserted else { continue }
        visit(state)
        for choice in state.choices() {
            var child = state
            child.apply(choice)
            stack.append(child)
        }
    }
}
