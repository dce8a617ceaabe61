/// Everything that shapes one exploration; a report carries the options it ran with, so a
/// result can be reproduced and compared (for example with and without reduction).
public struct ExplorationOptions: Sendable, Equatable, Codable {
    /// How to walk the tree of choices.
    public var strategy: ExplorationStrategy
    /// The most steps on one path; nil: unbounded (exhaustive search then needs a finite or
    /// cached state space). Random and PCT walks stop at `walkLengthLimit` when nil.
    public var depthBound: Int?
    /// Exhaustive search: explore each state (fingerprint) once, modulo sleep sets.
    public var stateCaching: Bool
    /// Exhaustive search: partial-order reduction with sleep sets, using `independent(_:_:)`.
    public var partialOrderReduction: Bool
    /// Go on after a violation (each violating state still ends its path) instead of stopping.
    public var keepGoing: Bool
    /// The most counterexamples kept in the report (the first ones found).
    public var maxCounterexamples: Int
    /// Limits on executions and wall time.
    public var budget: ExplorationBudget
    /// Which part of a split exploration to run.
    package var shard: Shard
    /// Threads in this process: the shard is split again into `parallelism` parts run at once,
    /// and their reports merged.
    public var parallelism: Int
    /// Shrinking attempts (replays) per counterexample before it is reported; 0: no shrinking.
    public var shrinkAttempts: Int
    /// Keep the set of fingerprints seen in the report (to union the states of several shards).
    package var recordFingerprints: Bool
    /// Once a violation is found, the most states a breadth-first search from the start may
    /// visit for the canonical counterexample (the first violation in breadth-first order, the
    /// same whatever the threads or shards); 0, or no shrinking: the search's own only. A count,
    /// not a time, so that the first counterexample is the same on any machine; 200,000 keeps
    /// the search's frontier to some hundreds of MB and its time to seconds.
    public var canonicalLimit: Int

    /// The walk length for random and PCT search when `depthBound` is nil.
    package static let walkLengthLimit = 10_000
    /// The walks random and PCT search take when the budget has no execution limit.
    package static let defaultWalks = 1_000

    /// Makes options; the defaults are a sound, stopping, single-threaded exhaustive search
    /// of the whole space (the package sets `shard` and `recordFingerprints` afterwards).
    public init(
        strategy: ExplorationStrategy = .exhaustive,
        depthBound: Int? = nil,
        stateCaching: Bool = true,
        partialOrderReduction: Bool = true,
        keepGoing: Bool = false,
        maxCounterexamples: Int = 10,
        budget: ExplorationBudget = .unlimited,
        parallelism: Int = 1,
        shrinkAttempts: Int = 1_000,
        canonicalLimit: Int = 200_000
    ) {
        self.strategy = strategy
        self.depthBound = depthBound
        self.stateCaching = stateCaching
        self.partialOrderReduction = partialOrderReduction
        self.keepGoing = keepGoing
        self.maxCounterexamples = maxCounterexamples
        self.budget = budget
        shard = .whole
        self.parallelism = parallelism
        self.shrinkAttempts = shrinkAttempts
        recordFingerprints = false
        self.canonicalLimit = canonicalLimit
    }
}

extension ExplorationOptions {
    /// These options as the command line runs them for `System`: without reduction where
    /// states are cached and the system's reduction does not pay for itself there
    /// (`Explorable.reductionPaysWithCaching`); a report then says reduction was off.
    package func suited<System: Explorable>(to _: System.Type) -> ExplorationOptions {
        var options = self
        if options.stateCaching, !System.reductionPaysWithCaching { options.partialOrderReduction = false }
        return options
    }
}
