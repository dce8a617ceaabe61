/// Limits on how much work one exploration may do; reaching one stops the search, and the
/// report then says it was not exhaustive.
public struct ExplorationBudget: Sendable, Equatable, Codable {
    /// The most executions (maximal paths, or walks for random and PCT search); nil: no limit.
    /// Exact with parallelism 1; with more threads the workers may overshoot it slightly.
    public var executions: Int?
    /// The most wall-clock time; nil: no limit. Checked every few dozen steps of each thread,
    /// at each thread's start and at each node the split before the threads expands, so that
    /// the search ends soon after it whatever the number of threads.
    public var time: Duration?

    /// No limit.
    public static let unlimited = ExplorationBudget()

    /// Makes a budget; nil means no limit.
    public init(executions: Int? = nil, time: Duration? = nil) {
        self.executions = executions
        self.time = time
    }
}
