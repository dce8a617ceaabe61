import Recovery
import Trace

// Carrying out the core's actions. Called with the lock held: recording happens here, in the
// order returned; effects that may call back in are returned to run after the lock is released.

extension LiveRecovery {
    /// Carries out `actions` in order (lock held) and returns the deferred effects.
    func carryOut(_ actions: [RecoveryCore.Action]) -> [() -> Void] {
        var later: [() -> Void] = []
        for action in actions {
            switch action {
            case var .record(event):
                event.t = nanoseconds()
                recorder.record(event)
            case .rejected, .refused:
                break  // returned to the caller by `register` and `feed`
            case let .start(ticket, _, timeout):
                start(ticket, timeout: timeout)
            case let .abandon(ticket):
                later += abandon(ticket)
            case let .proceed(ticket, log):
                if let i = state.waiters.firstIndex(where: { $0.ticket == ticket && $0.log == log }) {
                    let continuation = state.waiters.remove(at: i).continuation
                    later.append { continuation.resume() }
                }
            case let .finished(outcome):
                state.outcome = outcome
                state.work?.finish()
                state.work = nil
                recorder.flush()
            }
        }
        if state.core.phase == .crashed, let work = state.work {
            // Power lost: the walk ends unfinished.
            work.finish()
            state.work = nil
            recorder.flush()
        }
        return later
    }

    /// Hands the consumer to a worker and arms its timeout.
    private func start(_ ticket: Ticket, timeout: Duration?) {
        guard let action = state.table[ticket.consumer] else { return }
        let gate = Gate<Result>()
        var active = Active(gate: gate, timeout: timeout)
        if let timeout {
            active.timer = Task { [weak self] in
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                self?.timedOut(ticket, after: timeout)
            }
        }
        state.active[ticket] = active
        var slot: TimingSlot?
        if state.timing != nil {
            slot = TimingSlot(ticket, clock: clock)
            state.timing?[ticket] = slot
        }
        state.work?.yield(Work(ticket: ticket, action: action, gate: gate, slot: slot))
    }

    /// The timer fired: the core decides whether the consumer is still running.
    private func timedOut(_ ticket: Ticket, after timeout: Duration) {
        feed(.timeoutFired(ticket), error: ConsumerTimedOut(consumer: ticket.consumer, timeout: timeout))
    }

    /// Stops waiting for the consumer: its worker returns, its action is cancelled (not awaited)
    /// and its waiting `process` calls throw.
    private func abandon(_ ticket: Ticket) -> [() -> Void] {
        var later: [() -> Void] = []
        if let active = state.active.removeValue(forKey: ticket) {
            later.append {
                active.gate.settle(.abandoned)
                active.task?.cancel()
                active.timer?.cancel()
            }
        }
        let waiting = state.waiters.filter { $0.ticket == ticket }.map(\.continuation)
        state.waiters.removeAll { $0.ticket == ticket }
        later += waiting.map { continuation in { continuation.resume(throwing: CancellationError()) } }
        return later
    }

    /// The time since the runtime was made, for `t`.
    private func nanoseconds() -> Int {
        epoch.duration(to: clock.now).nanoseconds
    }
}
