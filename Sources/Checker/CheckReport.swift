import Specs
import Trace

/// The answer of one `plumb check`: a verdict, what broke, what was proved, and how it went.
public struct CheckReport: Sendable {
    /// The overall answer, which fixes the exit code.
    public enum Verdict: String, Sendable, Comparable {
        /// Every invariant holds and every obligation was proved. Exit 0.
        case pass
        /// At least one invariant is broken. Exit 1.
        case fail
        /// The input is not a valid trace. Exit 2.
        case error
        /// No violation found, but some obligation stayed unproved. Exit 3.
        case unknown

        /// The documented exit code.
        package var exitCode: Int32 {
            switch self {
            case .pass: 0
            case .fail: 1
            case .error: 2
            case .unknown: 3
            }
        }

        /// Severity order for combining several traces: error > fail > unknown > pass.
        private var severity: Int {
            switch self {
            case .pass: 0
            case .unknown: 1
            case .fail: 2
            case .error: 3
            }
        }

        /// Orders by severity.
        public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.severity < rhs.severity }
    }

    /// Which engine answered an obligation.
    public enum Engine: String, Sendable {
        /// The SMT solver.
        case z3
        /// The vector-clock graph algorithm or the spec's scan.
        case graph
    }

    /// What an engine concluded about an invariant's obligations.
    public enum ProofResult: String, Sendable {
        /// Every obligation holds.
        case proved
        /// At least one obligation is broken.
        case refuted
        /// Some obligation stayed undecided (a timeout or resource limit).
        case unknown
    }

    /// An obligation the solver left undecided: "`events[0]` happens-before `events[1]`" of an
    /// ordering invariant, or no events for a dependency graph's acyclicity.
    public struct UnprovedObligation: Sendable {
        /// The invariant the obligation belongs to.
        public var invariant: Invariant
        /// The events it orders, earlier first (named and located once the check is done).
        public var events: [EventStamp]
    }

    /// One invariant's proof by one engine.
    public struct Proof: Sendable {
        /// The invariant.
        public var invariant: Invariant
        /// The engine.
        public var engine: Engine
        /// Its conclusion.
        public var result: ProofResult
        /// Milliseconds spent; for the graph engine, the replay's time, which all its invariants share.
        public var ms: Double
        /// The number of obligations (queries' goals) it covered.
        public var obligations: Int
    }

    /// An input error, with the file and line that are wrong.
    public var error: TraceInputError?
    /// The violations found, in the order found; at most 1000 of each invariant are kept.
    public var violations: [Violation]
    /// Per violation (same index as `violations`): the event of the replay after which the
    /// violation was certain, the earliest line to look at (see `CheckSink.decision`); nil
    /// where unknown.
    package var decidedAt: [EventStamp?] = []
    /// Per invariant, the violations found beyond those kept.
    public var suppressed: [Invariant: Int] = [:]
    /// Per invariant and engine, what was proved.
    public var proofs: [Proof]
    /// Where the graph engine and Z3 disagreed: always a bug in Plumb, never the trace's fault.
    public var disagreements: [String]
    /// The files read, as named; violations' locations index into it.
    public var files: [String]
    /// The system the trace is of, once its headers were read.
    public var system: TraceSystem?
    /// Counts and sizes for the summary.
    public var stats: Stats
    /// Recordings in the directories named that were not read because they are still being
    /// written or were cut short (`NAME.partial`; see `TraceInputs.isPartial`).
    package var skippedPartialFiles: [String] = []
    /// The first few obligations the solver left undecided (a timeout or resource limit), to
    /// name when the verdict is inconclusive; `unprovedCount` counts them all.
    public var unproved: [UnprovedObligation] = []
    /// How many obligations the solver left undecided.
    public var unprovedCount = 0
    /// Whether the check was cancelled (`Checker.Options.cancellation`) before it finished:
    /// the report then covers part of the trace only and is no verdict.
    public var interrupted = false

    /// Figures about the run, for the summary and for benchmarks.
    public struct Stats: Sendable {
        /// Events replayed (excluding `x-` events).
        public var events = 0
        /// Distinct nodes.
        public var nodes = 0
        /// The most events held at once while restoring happens-before order.
        public var peakPending = 0
        /// Vector-clock changes made (one per cross-node receive that brought news).
        public var clockSnapshots = 0
        /// The most vector-clock changes kept at once. For a mirror trace the replay forgets
        /// those that no open question needs, so this follows what is in flight, not the
        /// trace's length.
        public var peakClockChanges = 0
        /// Causes dropped as past the end of a truncated capture.
        public var droppedTruncatedCauses = 0
        /// Last lines cut mid-write (no final newline, not JSON) dropped under `--truncated`.
        public var droppedTruncatedLines = 0
        /// Causes that named `x-` events.
        public var droppedExtensionCauses = 0
        /// Whether the files had to be scanned twice (a node's seqs interleaved across files).
        public var prescanned = false
        /// Wall time of the whole check, in milliseconds.
        public var ms: Double = 0
    }

    /// Where violation `index` was decided, if known.
    public func decision(_ index: Int) -> EventStamp? {
        index < decidedAt.count ? decidedAt[index] : nil
    }

    /// The verdict the report supports.
    /// An interrupted check is `.unknown` at best: what it did not read was not checked.
    public var verdict: Verdict {
        if error != nil { return .error }
        if interrupted && violations.isEmpty { return .unknown }
        if !violations.isEmpty { return .fail }
        if !disagreements.isEmpty || proofs.contains(where: { $0.result == .unknown }) { return .unknown }
        return .pass
    }

    /// A report for input that could not be read.
    package static func inputError(_ error: TraceInputError, files: [String]) -> CheckReport {
        CheckReport(error: error, violations: [], suppressed: [:], proofs: [], disagreements: [], files: files, system: nil, stats: Stats())
    }
}
