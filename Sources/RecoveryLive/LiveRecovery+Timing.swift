import Trace
import Foundation
import Recovery

/// When one execution of a consumer reached each step of its life in the live runtime, read on
/// the runtime's monotonic clock (`ContinuousClock`). Kept only by a runtime made with
/// `timing: true`; the core knows nothing of it.
///
/// The core records a consumer's `notify` and `start` in one step, so the framework's own cost
/// lies around that step: from it to the action's first instruction (`notifyToBegin`: the hand-off
/// to a worker task), and from an action's return to the step that notifies the next consumer
/// (`endToNextNotify`: waking the worker, feeding the end to the core, dispatching).
package struct ConsumerTiming: Sendable {
    /// The execution.
    package var ticket: Ticket
    /// When the runtime carried out the core's `.start`, in the same locked step that recorded
    /// the consumer's `notify` and `start`.
    package var notified: ContinuousClock.Instant
    /// When its action began running in its task; nil if it never did (abandoned first).
    package var began: ContinuousClock.Instant?
    /// When its action returned or threw; nil if it has not (abandoned, or still hanging).
    package var returned: ContinuousClock.Instant?
    /// When the runtime, handling this consumer's end, notified the first of the consumers that
    /// end let start; nil when it let none start (nothing ready, or this was the last).
    package var nextNotified: ContinuousClock.Instant?

    /// From `notified` to `began`: handing the consumer to a worker.
    package var notifyToBegin: Duration? { began.map { notified.duration(to: $0) } }
    /// From `returned` to `nextNotified`: from an action's end to the next consumer's notify.
    package var endToNextNotify: Duration? {
        guard let returned, let nextNotified else { return nil }
        return returned.duration(to: nextNotified)
    }
    /// From `began` to `returned`: how long the action itself ran.
    package var busy: Duration? {
        guard let began, let returned else { return nil }
        return began.duration(to: returned)
    }
}

/// The instants of one execution as the runtime collects them: `notified` and `nextNotified` are
/// set with the runtime's lock held, `began` and `returned` by the action's task.
///
/// Thread-safe: every access takes the slot's own lock (never contended by the runtime's lock,
/// so an action's stamps do not wait for the core).
final class TimingSlot: @unchecked Sendable {
    private let lock = Locked(())
    private var timing: ConsumerTiming
    private let clock: ContinuousClock

    /// A slot for `ticket`, notified now.
    init(_ ticket: Ticket, clock: ContinuousClock) {
        self.clock = clock
        timing = ConsumerTiming(ticket: ticket, notified: clock.now)
    }

    /// Stamps the action's first instruction.
    func began() {
        let now = clock.now
        lock.withLock { _ in timing.began = now }
    }

    /// Stamps the action's return (or throw).
    func returned() {
        let now = clock.now
        lock.withLock { _ in timing.returned = now }
    }

    /// The instant this execution was notified.
    var notified: ContinuousClock.Instant { lock.withLock { _ in timing.notified } }

    /// Sets when handling this execution's end notified the next consumer.
    func nextNotified(_ instant: ContinuousClock.Instant) {
        lock.withLock { _ in timing.nextNotified = instant }
    }

    /// What was collected so far.
    var value: ConsumerTiming { lock.withLock { _ in timing } }
}

extension LiveRecovery {
    /// The timings of every consumer the current (or last) run started, in the order they were
    /// notified; empty unless the runtime was made with `timing: true`. Read it after `run()`
    /// returns: a hanging action abandoned past its timeout may still set its `returned` later.
    package func timings() -> [ConsumerTiming] {
        let slots = lock.withLock { _ in state.timing.map { Array($0.values) } ?? [] }
        return slots.map(\.value).sorted { $0.notified < $1.notified }
    }

    /// After an `.ended` input: notes when its handling notified the next consumer, the first
    /// `.start` among `actions`. Lock held.
    func noteNext(after input: RecoveryCore.Input, _ actions: [RecoveryCore.Action]) {
        guard let timing = state.timing, case let .ended(ticket, _) = input, let slot = timing[ticket] else { return }
        for case let .start(next, _, _) in actions {
            if let started = timing[next] { slot.nextNotified(started.notified) }
            return
        }
    }
}
