/// What an exploration found and how much it covered; a value the CLI formats (text, JSON).
public struct ExplorationReport: Sendable, Equatable, Codable {
    /// The outcome: no invariant broken, or at least one broken.
    public enum Verdict: String, Sendable, Equatable, Codable {
        /// No violation found in what was explored (see `exhaustive` for how much that was).
        case pass
        /// At least one violation found; see `counterexamples`.
        case violation
    }

    /// Pass or violation.
    public var verdict: Verdict
    /// True only when every path was explored to its end or to a cached state: none cut by the
    /// depth bound or a budget, and the search not stopped at a violation. Random and PCT
    /// search are never exhaustive.
    public var exhaustive: Bool
    /// Distinct states (fingerprints) reached.
    public var states: Int
    /// Maximal paths explored (ended with no choices left, at a cached state, at a violation,
    /// with every choice asleep, or at the depth bound), or walks taken.
    public var executions: Int
    /// Choices applied.
    public var transitions: Int
    /// The longest path, in steps.
    public var maxDepth: Int
    /// Paths cut by the depth bound.
    public var depthCuts: Int
    /// Whether a budget (executions or time) stopped the search.
    public var budgetExhausted: Bool
    /// Violating states reached (each ends its path); more than `counterexamples.count` with
    /// `keepGoing`.
    public var violationsFound: Int
    /// Wall time.
    public var elapsed: Duration
    /// The first counterexamples found (at most `options.maxCounterexamples`), shrunk.
    public var counterexamples: [Counterexample]
    /// The options the exploration ran with.
    public var options: ExplorationOptions
    /// The fingerprints reached, sorted, when `options.recordFingerprints`; else nil.
    package var fingerprints: [UInt64]?
    /// Bytes the visited set holds per state reached (its memory over `states`).
    package var bytesPerState: Double
    /// Whether the search was cancelled (`ExplorationCancellation`): the counts are what was
    /// covered until then, the counterexamples (if any) are not shrunk, and the verdict
    /// `.pass` means only that nothing was found so far.
    package var interrupted: Bool
    /// Whether the cancellation came after the search had ended, while its counterexamples
    /// were being shortened (the counts are then the whole search's).
    package var interruptedWhileShrinking = false

    /// The chance that two of `states` distinct states share a 64-bit fingerprint, so that one
    /// is wrongly taken as visited (the birthday bound, n(n-1)/2^65, as SPIN reports for hash
    /// compaction).
    public var omissionProbability: Double {
        let n = Double(states)
        return min(1, n * (n - 1) / 2 / 18_446_744_073_709_551_616.0)
    }

    /// Makes a report.
    package init(verdict: Verdict, exhaustive: Bool, states: Int, executions: Int, transitions: Int,
                maxDepth: Int, depthCuts: Int, budgetExhausted: Bool, violationsFound: Int,
                elapsed: Duration, counterexamples: [Counterexample], options: ExplorationOptions,
                fingerprints: [UInt64]?, bytesPerState: Double = 0, interrupted: Bool = false) {
        self.verdict = verdict
        self.exhaustive = exhaustive
        self.states = states
        self.executions = executions
        self.transitions = transitions
        self.maxDepth = maxDepth
        self.depthCuts = depthCuts
        self.budgetExhausted = budgetExhausted
        self.violationsFound = violationsFound
        self.elapsed = elapsed
        self.counterexamples = counterexamples
        self.options = options
        self.fingerprints = fingerprints
        self.bytesPerState = bytesPerState
        self.interrupted = interrupted
    }
}
