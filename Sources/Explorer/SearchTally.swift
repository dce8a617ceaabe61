/// What one search thread counted and found; threads' tallies are merged into the report.
struct SearchTally: Sendable {
    /// Fingerprints of the states reached; the exhaustive search's cache entries too.
    var seen = VisitedTable()
    /// States this thread was first to enter in the threads' shared table (`ClaimedStates`),
    /// which then stand in for `seen`.
    var claims = 0
    /// The threads' shared table, once merged (see `states`).
    var claimed: ClaimedStates?
    /// Maximal paths (or walks) finished.
    var executions = 0
    /// Choices applied.
    var transitions = 0
    /// The longest path, in steps.
    var maxDepth = 0
    /// Paths cut by the depth bound.
    var depthCuts = 0
    /// Violating states reached.
    var violations = 0
    /// The first violations, as paths from the start (steps filled in when reported).
    var counterexamples: [Counterexample] = []
    /// Whether this thread did all the work it was given (not stopped by a budget or a
    /// violation, its own or another thread's).
    var finished = false

    /// The states reached: `seen`, with the shared table's when the threads had one.
    var states: Int {
        guard let claimed else { return seen.count }
        return claimed.count + seen.fingerprints.reduce(0) { $0 + (claimed.contains($1) ? 0 : 1) }
    }

    /// The fingerprints of `states`, in no particular order.
    var fingerprints: [UInt64] {
        guard let claimed else { return seen.fingerprints }
        return claimed.fingerprints + seen.fingerprints.filter { !claimed.contains($0) }
    }

    /// Bytes of visited set a state (the shared table's, when the threads had one).
    var bytesPerState: Double { claimed?.bytesPerState ?? seen.bytesPerState }

    /// Adds `other` into this tally, keeping at most `limit` counterexamples.
    mutating func merge(_ other: SearchTally, limit: Int) {
        seen.formUnion(other.seen)
        claims += other.claims
        executions += other.executions
        transitions += other.transitions
        maxDepth = max(maxDepth, other.maxDepth)
        depthCuts += other.depthCuts
        violations += other.violations
        counterexamples.append(contentsOf: other.counterexamples.prefix(max(0, limit - counterexamples.count)))
        finished = finished && other.finished
    }
}
