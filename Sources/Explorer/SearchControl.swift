import Trace
/// What the threads of one exploration share: the clock, the budget, the stop flag, and the
/// throttled progress callback. Threads call `checkpoint` every few dozen steps.
final class SearchControl: Sendable {
    /// Why the search stops.
    enum StopReason: Sendable, Equatable {
        /// The execution or time budget ran out.
        case budget
        /// A violation was found and the options say to stop.
        case violation
        /// The exploration was cancelled (`ExplorationCancellation`).
        case cancelled
    }

    /// A thread's counts at its last checkpoint.
    struct Snapshot: Sendable {
        var states = 0
        var executions = 0
        var transitions = 0
    }

    private struct Shared {
        var stop: StopReason?
        var snapshots: [Snapshot]
        var lastProgress: ContinuousClock.Instant
    }

    /// The clock every duration is measured on.
    let clock = ContinuousClock()
    /// When the exploration started.
    let started: ContinuousClock.Instant
    /// The most executions, over all threads.
    let executionBudget: Int?
    private let deadline: ContinuousClock.Instant?
    private let progress: (@Sendable (ExplorationProgress) -> Void)?
    private let cancellation: ExplorationCancellation?
    private let shared: Locked<Shared>

    /// How often progress is sent, at most.
    static let progressInterval = Duration.milliseconds(250)

    init(budget: ExplorationBudget, threads: Int, progress: (@Sendable (ExplorationProgress) -> Void)?,
         cancellation: ExplorationCancellation? = nil) {
        let now = clock.now
        self.cancellation = cancellation
        started = now
        executionBudget = budget.executions
        deadline = budget.time.map { now + $0 }
        self.progress = progress
        shared = Locked(Shared(stop: nil, snapshots: Array(repeating: Snapshot(), count: max(1, threads)),
                                     lastProgress: now))
    }

    /// Why the search stopped, if it did.
    var stopReason: StopReason? { shared.withLock { $0.stop } }

    /// Stops every thread (the first reason given wins).
    func stop(_ reason: StopReason) {
        shared.withLock { if $0.stop == nil { $0.stop = reason } }
    }

    /// Whether the search is to stop: stopped already, cancelled, or past its deadline (which
    /// then stops it). Cheap enough to call before each unit of work that runs outside a
    /// thread's checkpoints: the split before the threads start, and each thread's start (a
    /// thread queued behind others may start after the time is up).
    func isOver() -> Bool {
        if cancellation?.isCancelled == true { stop(.cancelled) }
        let now = clock.now
        return shared.withLock { s in
            if let deadline, now >= deadline, s.stop == nil { s.stop = .budget }
            return s.stop != nil
        }
    }

    /// Records `thread`'s counts, checks the deadline, and sends progress if it is due.
    /// Returns whether to go on, and how many executions the other threads have finished.
    func checkpoint(thread: Int, _ snapshot: Snapshot, depth: Int) -> (goOn: Bool, others: Int) {
        let now = clock.now
        if cancellation?.isCancelled == true { stop(.cancelled) }
        let (goOn, others, report): (Bool, Int, ExplorationProgress?) = shared.withLock { s in
            s.snapshots[thread] = snapshot
            if let deadline, now >= deadline, s.stop == nil { s.stop = .budget }
            let others = s.snapshots.indices.reduce(0) { $1 == thread ? $0 : $0 + s.snapshots[$1].executions }
            guard progress != nil, now - s.lastProgress >= Self.progressInterval else {
                return (s.stop == nil, others, nil)
            }
            s.lastProgress = now
            let total = s.snapshots.reduce(into: Snapshot()) {
                $0.states += $1.states
                $0.executions += $1.executions
                $0.transitions += $1.transitions
            }
            let elapsed = now - started
            let seconds = elapsed.seconds
            return (s.stop == nil, others, ExplorationProgress(
                states: total.states, executions: total.executions, transitions: total.transitions,
                executionsPerSecond: seconds > 0 ? Double(total.executions) / seconds : 0,
                currentDepth: depth, elapsed: elapsed))
        }
        if let report { progress?(report) }
        return (goOn, others)
    }
}
