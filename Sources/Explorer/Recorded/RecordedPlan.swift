import Trace

/// How one choice of a system stands against a recorded schedule (`RecordedPlan.roles`).
package enum RecordedRole: UInt8, Sendable, Hashable {
    /// What the recording does here: free, and the path `--window 0` follows.
    case recorded
    /// The recording's own crash (power loss, a node's crash) here: free, and a crash point.
    case recordedCrash
    /// A crash the recording does not hold, at this step: free of the window, bounded by the
    /// crashes allowed, and a crash point.
    case crash
    /// A crash state: a fate of a cached write, a content a read of undecided sectors returns,
    /// or a branch of the recorded choice that differs only in what a crash left. Always free.
    case free
    /// Anything else: a step off the recorded schedule, which costs one of `--window`.
    case stray
}

/// What `plumb explore SYSTEM --from TRACE` needs of a system beyond `ExplorationTarget`: a
/// start state and a schedule taken from a captured trace, and for each state, how each
/// enabled choice stands against that schedule. `Recorded` runs it within a window.
///
/// A plan is a value made once per exploration (its arrays are shared by every state);
/// `Progress` is the little each state needs to know where it is in the schedule.
package protocol RecordedPlan: Sendable {
    /// The system explored.
    associatedtype System: ExplorationTarget
    /// Where a state is in the recorded schedule (beyond what the system's state says).
    associatedtype Progress: Sendable & Hashable

    /// The state every execution starts from.
    var start: System { get }
    /// The progress at the start.
    var startProgress: Progress { get }
    /// The settings beyond the trace, window and crashes, as `key=value` text for tokens.
    var settingsText: String { get }
    /// Crashes the recording holds (they are part of its schedule, not of `--crashes`).
    var recordedCrashes: Int { get }
    /// A short account of the workload taken from the trace, for reports
    /// (`212 submits on 2 interfaces, 2 syncs, 1 crash`).
    var summary: String { get }
    /// Where the trace's offsets were moved to (`OffsetCompaction`), run by run; empty when the
    /// exploration uses the trace's own (every plan but a driver trace reaching past 256 MiB).
    var movedOffsets: [OffsetCompaction.Move] { get }
    /// The revision of how the plan turns a trace into a workload, bumped when a build changes
    /// which execution a token's choices name (as `Explorable.modelRevision`); defaults to 0.
    static var planRevision: UInt32 { get }

    /// Reads the plan of `trace` with `settings` (the `key=value` pairs of `settingsText`, and
    /// `crashes`, the crashes an execution may add); throws naming file, line and reason when
    /// the trace cannot be explored.
    init(trace: RecordedTrace, crashes: Int, settings: [(key: String, value: String)]) throws(TraceInputError)

    /// The role of each of `choices` (the system's, enabled in `state`).
    func roles(of choices: [System.Choice], in state: System, progress: Progress) -> [RecordedRole]
    /// The progress after `choice`, taken with `role`, led from `before` to `after`.
    func advance(_ progress: inout Progress, taking choice: System.Choice, role: RecordedRole, after: System)
    /// Adds what decides the future of `progress` to a fingerprint.
    func hash(_ progress: Progress, into hasher: inout StableHasher)
    /// Takes `choice` in `state`: the system's own `apply`, unless the plan feeds the step
    /// from the trace (the mirror's writes).
    func apply(_ choice: System.Choice, to state: inout System)
}

extension RecordedPlan {
    /// No offset moved.
    package var movedOffsets: [OffsetCompaction.Move] { [] }
    /// The first revision.
    package static var planRevision: UInt32 { 0 }
    /// The system's own step.
    package func apply(_ choice: System.Choice, to state: inout System) { state.apply(choice) }
}

/// Keeps a set of crash points (fingerprints of states where power failed or a node crashed)
/// across the threads of one exploration, for "crash points covered".
package final class CrashPointTally: Sendable {
    private let points = Locked<Set<UInt64>>([])

    /// An empty tally.
    package init() {}

    /// Notes a crash at the state with `fingerprint`.
    func insert(_ fingerprint: UInt64) { _ = points.withLock { $0.insert(fingerprint) } }

    /// Distinct crash points seen.
    package var count: Int { points.withLock { $0.count } }
}
