import Trace

/// A system explored around a captured trace (`plumb explore SYSTEM --from TRACE --window N`):
/// the executions follow the trace's schedule, and stray from it in at most `window` choices
/// each, as CHESS bounds preemptions.
///
/// How the window is counted: at every state the plan names the choice the recording takes
/// (`RecordedRole.recorded`). Taking any other step (another path's delivery, another I/O's
/// completion, another caller's submit) is a stray and costs one; a crash the recording does
/// not hold (`crash`, at most `crashes` per execution) and the crash states after one (fates,
/// contents of undecided reads) cost nothing. So `--window 0` replays the trace exactly and
/// explores every crash point along it and every crash state there; `--window 1` adds every
/// single stray at every step, each followed by the recorded schedule again; and so on.
///
/// The order of the choices offered puts the recorded one last, so that a depth-first search
/// goes down the recording in place (its parent's state handed on rather than copied) after
/// every branch off it.
package struct Recorded<Plan: RecordedPlan>: Explorable {
    /// A choice of the system with its role against the recording.
    package struct Choice: Hashable, Sendable, CustomStringConvertible {
        /// The system's choice.
        package var base: Plan.System.Choice
        /// How it stands against the recording.
        package var role: RecordedRole

        /// The system's description, marked when it strays or crashes off the recording.
        package var description: String {
            switch role {
            case .recorded, .free: base.description
            case .recordedCrash: "\(base) (as recorded)"
            case .crash: "\(base) (a crash point off the recording)"
            case .stray: "\(base) (off the recorded schedule)"
            }
        }
    }

    /// What every state of one exploration shares, behind one reference: copying a state
    /// (once per step) then retains one object, not each array of the plan and its start.
    private final class Shared: Sendable {
        /// The trace's workload and schedule.
        let plan: Plan
        /// Where the trace came from.
        let source: RecordedSource

        /// Shares `plan` and `source`.
        init(plan: Plan, source: RecordedSource) {
            self.plan = plan
            self.source = source
        }
    }

    /// The plan and the source, shared by every state of the exploration.
    private let shared: Shared
    /// The trace's workload and schedule.
    package var plan: Plan { shared.plan }
    /// The system's state.
    package internal(set) var base: Plan.System
    /// Where the state is in the schedule.
    package internal(set) var progress: Plan.Progress
    /// Strays allowed per execution.
    package let window: Int
    /// Strays taken so far.
    package internal(set) var strays = 0
    /// Crashes off the recording allowed per execution.
    package let crashes: Int
    /// Crashes off the recording taken so far.
    package internal(set) var crashesTaken = 0
    /// Where crash points are tallied; no part of the state.
    var tally: CrashPointTally?
    /// Where the trace came from, for tokens.
    package var source: RecordedSource { shared.source }

    /// The start of `plan`, within `window` strays and `crashes` crashes off the recording.
    package init(plan: Plan, window: Int, crashes: Int, source: RecordedSource) {
        shared = Shared(plan: plan, source: source)
        self.base = plan.start
        self.progress = plan.startProgress
        self.window = window
        self.crashes = crashes
    }

    /// The same state tallying its crash points into `tally`.
    package func collecting(_ tally: CrashPointTally) -> Self {
        var copy = self
        copy.tally = tally
        return copy
    }

    /// The same state tallying nothing, its system's state included (see `Explorable.untallied()`).
    package func untallied() -> Self {
        var copy = self
        copy.tally = nil
        copy.base = base.untallied()
        return copy
    }

    // MARK: Explorable

    /// Crash points and crash states first, then strays while the window allows, then the
    /// recorded choice (see the type's doc for why it comes last).
    package func choices() -> [Choice] {
        let all = base.choices()
        if all.isEmpty { return [] }
        let roles = shared.plan.roles(of: all, in: base, progress: progress)
        var first: [Choice] = [], strayed: [Choice] = [], last: [Choice] = []
        for (choice, role) in zip(all, roles) {
            switch role {
            case .free: first.append(Choice(base: choice, role: role))
            case .crash: if crashesTaken < crashes { first.append(Choice(base: choice, role: role)) }
            case .stray: if strays < window { strayed.append(Choice(base: choice, role: role)) }
            case .recorded, .recordedCrash: last.append(Choice(base: choice, role: role))
            }
        }
        return first + strayed + last
    }

    /// Takes a choice; counts a stray or a crash off the recording, and tallies crash points.
    package mutating func apply(_ choice: Choice) {
        switch choice.role {
        case .stray: strays += 1
        case .crash: crashesTaken += 1
        default: break
        }
        if let tally, choice.role == .crash || choice.role == .recordedCrash { tally.insert(fingerprint()) }
        shared.plan.apply(choice.base, to: &base)
        shared.plan.advance(&progress, taking: choice.base, role: choice.role, after: base)
    }

    /// The system's fingerprint with the progress and, where they still decide something, the
    /// strays and crashes left.
    package func fingerprint() -> UInt64 {
        var hash = StableHasher()
        hash.combine(base.fingerprint())
        shared.plan.hash(progress, into: &hash)
        hash.combine(window - strays)
        hash.combine(crashes - crashesTaken)
        return hash.value
    }

    /// As the system's (`--from` steps are the system's steps).
    package static var reductionPaysWithCaching: Bool { Plan.System.reductionPaysWithCaching }

    /// The system's revision (the recorded workload's choices are the system's) and the plan's.
    package static var modelRevision: UInt32 { Plan.System.modelRevision &+ Plan.planRevision &* 0x1_0000 }

    /// Independent where the system says so and the two orders meet in one state here (the
    /// roles, so the strays counted, may differ between the orders).
    package func independent(_ a: Choice, _ b: Choice) -> Bool {
        guard base.independent(a.base, b.base) else { return false }
        // The trial's steps are not explored ones: they tally no crash point.
        return untallied().commuteByTrial(a, b)
    }

    /// The system's verdict.
    package func violation() -> ExplorationViolation? { base.violation() }

    /// The system's lanes.
    package func lane(of choice: Choice) -> Int { base.lane(of: choice.base) }
}

/// Where a recorded exploration's trace came from, as a replay token names it: the files
/// (absolute paths) and a digest of the events the plan took, so that a replay re-reads them
/// and refuses a trace that changed.
package struct RecordedSource: Sendable, Hashable {
    /// The trace files, absolute.
    package var files: [String]
    /// `RecordedTrace.digest` of the trace's events.
    package var digest: UInt64

    /// Makes a source.
    package init(files: [String], digest: UInt64) {
        self.files = files
        self.digest = digest
    }
}
