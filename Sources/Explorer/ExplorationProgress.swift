/// A snapshot of a running exploration, for a progress line; sent at most about four times a
/// second. With parallelism, `states` sums the threads' counts (an upper bound on the union).
package struct ExplorationProgress: Sendable, Equatable {
    /// Distinct states (fingerprints) seen so far.
    package var states: Int
    /// Executions (maximal paths or walks) finished so far.
    package var executions: Int
    /// Transitions (choices applied) so far.
    package var transitions: Int
    /// Executions per second since the start.
    package var executionsPerSecond: Double
    /// The depth of the path being explored by the reporting thread.
    package var currentDepth: Int
    /// Wall time since the start.
    package var elapsed: Duration

    /// Makes a snapshot.
    package init(states: Int, executions: Int, transitions: Int, executionsPerSecond: Double,
                currentDepth: Int, elapsed: Duration) {
        self.states = states
        self.executions = executions
        self.transitions = transitions
        self.executionsPerSecond = executionsPerSecond
        self.currentDepth = currentDepth
        self.elapsed = elapsed
    }
}
