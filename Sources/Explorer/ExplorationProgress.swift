/// A snapshot of a running exploration, for a progress line; sent at most about four times a
/// second. With parallelism, `states` sums the threads' counts (an upper bound on the union).
public struct ExplorationProgress: Sendable, Equatable {
    /// Distinct states (fingerprints) seen so far.
    public var states: Int
    /// Executions (maximal paths or walks) finished so far.
    public var executions: Int
    /// Transitions (choices applied) so far.
    public var transitions: Int
    /// Executions per second since the start.
    public var executionsPerSecond: Double
    /// The depth of the path being explored by the reporting thread.
    public var currentDepth: Int
    /// Wall time since the start.
    public var elapsed: Duration

    /// Makes a snapshot.
    public init(states: Int, executions: Int, transitions: Int, executionsPerSecond: Double,
                currentDepth: Int, elapsed: Duration) {
        self.states = states
        self.executions = executions
        self.transitions = transitions
        self.executionsPerSecond = executionsPerSecond
        self.currentDepth = currentDepth
        self.elapsed = elapsed
    }
}
