import Trace
import Foundation

/// A one-shot result that one task waits for and several may try to settle: the first settles
/// it, later ones are ignored.
///
/// Thread-safe: every method takes the lock.
final class Gate<Value: Sendable>: @unchecked Sendable {
    private let lock = Locked(())
    private var value: Value?
    private var waiter: CheckedContinuation<Value, Never>?

    /// Settles the gate with `value` unless it is settled already; returns whether this call
    /// settled it.
    @discardableResult
    func settle(_ value: Value) -> Bool {
        let (settled, waiter) = lock.withLock { _ -> (Bool, CheckedContinuation<Value, Never>?) in
            guard self.value == nil else { return (false, nil) }
            self.value = value
            let waiter = self.waiter
            self.waiter = nil
            return (true, waiter)
        }
        waiter?.resume(returning: value)
        return settled
    }

    /// Waits for the value (once: a single waiter).
    func wait() async -> Value {
        await withCheckedContinuation { continuation in
            let value: Value? = lock.withLock { _ in
                if let value = self.value { return value }
                waiter = continuation
                return nil
            }
            if let value { continuation.resume(returning: value) }
        }
    }
}
