import Foundation
import Recovery
import Trace

/// The recovery framework on real Swift concurrency: it carries out the `RecoveryCore`'s actions
/// and feeds it what happens, recording every event with the recorder it was given.
///
/// `run()` walks the graph with one child task of a task group per running consumer, at most
/// `workers` at once (the core never starts more). Each action runs in a task of its own, so that
/// one ignoring cancellation past its timeout can be abandoned: its worker returns at once, the
/// action is cancelled but not awaited, and nothing it does later reaches the core, so nothing
/// of it is recorded. `crash()` simulates power loss during the walk; register again and call
/// `run()` for the next run.
///
/// Thread-safe: all state sits behind one lock, which also keeps the recorded order of every
/// node's events equal to its seq order. Effects that may call back in (cancelling a task,
/// resuming a waiter) run after the lock is released.
public final class LiveRecovery: @unchecked Sendable {
    /// A consumer to run on a worker.
    struct Work: Sendable {
        var ticket: Ticket
        var action: RecoveryConsumer.Action
        var gate: Gate<Result>
        /// Its timing slot, when the runtime keeps timings.
        var slot: TimingSlot?
    }

    /// How an action's worker stopped waiting for it.
    enum Result: Sendable {
        case returned
        case threw(any Error)
        case abandoned
    }

    /// What the runtime knows of a running consumer.
    struct Active {
        var gate: Gate<Result>
        var task: Task<Void, Never>?
        var timer: Task<Void, Never>?
        var timeout: Duration?
    }

    /// The state behind `lock`.
    struct State {
        var core: RecoveryCore
        /// Actions of the registrations of `tableRun`.
        var table: [String: RecoveryConsumer.Action] = [:]
        var tableRun = 1
        var active: [Ticket: Active] = [:]
        /// `process` calls waiting for the core's `.proceed`, oldest first.
        var waiters: [(ticket: Ticket, log: String, continuation: CheckedContinuation<Void, any Error>)] = []
        /// The running walk's work queue; nil between runs.
        var work: AsyncStream<Work>.Continuation?
        var outcome: RecoveryOutcome?
        var errors: [String: any Error] = [:]
        /// Each started execution's timing slot of the current run; nil when timing is off.
        var timing: [Ticket: TimingSlot]?
    }

    let lock = Locked(())
    var state: State
    let recorder: any TraceRecorder
    let clock = ContinuousClock()
    let epoch: ContinuousClock.Instant
    /// Whether each run keeps its consumers' timings (see `timings()`).
    let timing: Bool

    /// Makes a runtime with `workers` workers (at least one) that records to `recorder`.
    public convenience init(workers: Int, recorder: any TraceRecorder) {
        self.init(workers: workers, recorder: recorder, timing: false)
    }

    /// Makes a runtime as `init(workers:recorder:)` does. With `timing`, it also stamps every
    /// consumer's notify, begin, return and next notify on its clock, for `timings()` (a
    /// benchmark's figures; off by default).
    package init(workers: Int, recorder: any TraceRecorder, timing: Bool = false) {
        state = State(core: RecoveryCore(workers: workers))
        self.timing = timing
        self.recorder = recorder
        epoch = clock.now
    }

    /// Registers `consumer` for the next run; throws at once for a repeated name, a
    /// non-positive timeout, or a run that has begun. Unknown names and cycles are found by
    /// `run()` and listed in its outcome's `rejected`.
    public func register(_ consumer: RecoveryConsumer) throws(RegistrationError) {
        let (later, rejected): ([() -> Void], RegistrationError?) = lock.withLock { _ in
            let run = state.core.run
            let actions = state.core.handle(.register(consumer.registration))
            if state.core.run != state.tableRun || state.core.run != run {
                state.table = [:]
                state.tableRun = state.core.run
            }
            var rejected: RegistrationError?
            for case let .rejected(error) in actions { rejected = error }
            if rejected == nil { state.table[consumer.name] = consumer.action }
            return (carryOut(actions), rejected)
        }
        later.forEach { $0() }
        if let rejected { throw rejected }
    }

    /// Begins the run and walks it to `done`, or until `crash()`. Throws when a run is already
    /// walking.
    public func run() async throws(RecoveryUsageError) -> RecoveryReport {
        let (stream, continuation) = AsyncStream.makeStream(of: Work.self)
        let (later, refused): ([() -> Void], RecoveryUsageError?) = lock.withLock { _ in
            if state.core.phase != .walking {
                state.work = continuation
                state.outcome = nil
                state.errors = [:]
                state.timing = timing ? [:] : nil
            }
            let actions = state.core.handle(.begin)
            for case let .refused(error) in actions { return ([], error) }
            return (carryOut(actions), nil)
        }
        if let refused { throw refused }
        later.forEach { $0() }
        await withTaskGroup(of: Void.self) { group in
            for await work in stream {
                group.addTask { await self.perform(work) }
            }
        }
        return lock.withLock { _ in
            var report = RecoveryReport(run: state.core.run, outcome: state.outcome)
            for failure in state.outcome?.failed ?? [] {
                if let error = state.errors[failure.consumer] { report.errors.append((failure.consumer, error)) }
            }
            return report
        }
    }

    /// Power loss: records `crash`, abandons every running consumer and ends `run()`.
    public func crash() {
        _ = feed(.crash)
    }

    /// A worker: runs the action in a task of its own and reports how it ended, unless it was
    /// abandoned first.
    private func perform(_ work: Work) async {
        let context = RecoveryContext(ticket: work.ticket, runtime: self)
        let action = work.action
        let gate = work.gate
        let slot = work.slot
        let task = Task {
            slot?.began()
            do {
                try await action(context)
                slot?.returned()
                gate.settle(.returned)
            } catch {
                slot?.returned()
                gate.settle(.threw(error))
            }
        }
        let abandoned = lock.withLock { _ in
            guard state.active[work.ticket] != nil else { return true }
            state.active[work.ticket]!.task = task
            return false
        }
        if abandoned { task.cancel() }
        switch await gate.wait() {
        case .returned:
            _ = feed(.ended(work.ticket, failure: nil))
        case let .threw(error):
            _ = feed(.ended(work.ticket, failure: String(describing: error)), error: error)
        case .abandoned:
            break
        }
    }

    /// Feeds one input to the core, carries out its actions, and returns the usage errors.
    /// `error` is kept for the report when the core accepts the input (an end or a timeout the
    /// core ignores, because the consumer no longer runs, leaves the report alone).
    @discardableResult
    func feed(_ input: RecoveryCore.Input, error: (any Error)? = nil) -> [RecoveryUsageError] {
        let (later, refused): ([() -> Void], [RecoveryUsageError]) = lock.withLock { _ in
            let actions = state.core.handle(input)
            if let error, !actions.isEmpty {
                switch input {
                case let .ended(ticket, _), let .timeoutFired(ticket): state.errors[ticket.consumer] = error
                default: break
                }
            }
            var later = carryOut(actions)
            noteNext(after: input, actions)
            if case let .ended(ticket, _) = input, let active = state.active.removeValue(forKey: ticket) {
                later.append { active.timer?.cancel() }
            }
            let refused = actions.compactMap { if case let .refused(e) = $0 { e } else { nil } }
            return (later, refused)
        }
        later.forEach { $0() }
        return refused
    }

    /// `context.process(log)`: waits for the core's `.proceed`.
    func awaitProcess(_ ticket: Ticket, _ log: String) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let later: [() -> Void] = lock.withLock { _ in
                guard state.active[ticket] != nil else {
                    return [{ continuation.resume(throwing: CancellationError()) }]
                }
                state.waiters.append((ticket, log, continuation))
                return carryOut(state.core.handle(.process(ticket, log: log)))
            }
            later.forEach { $0() }
        }
    }
}
