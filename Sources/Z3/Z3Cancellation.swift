import CZ3
import Dispatch
import Foundation

/// Cancels every check of the contexts made with it, from any thread (for a user's interrupt).
///
/// **Thread-safe**: `cancel()` may be called from any thread while checks run on others; its
/// state is behind a lock. Once cancelled it stays cancelled: a check that has not started
/// yet returns `.unknown(reason: Z3Cancellation.reason)` without calling Z3, and a running one
/// is interrupted with `Z3_interrupt` (the one Z3 call allowed from another thread).
///
/// `Z3_interrupt` is lost when it lands before Z3 has registered the check as interruptible
/// (measured with Z3 4.8.12: an interrupt just before a check does not stop it), so after
/// `cancel()` every check still running is interrupted again every 20 ms until it returns.
/// A context is registered as running only between `begin` and `end`, both under the lock, so
/// the lock also guarantees that no context is interrupted after its check returned.
package final class Z3Cancellation: @unchecked Sendable {
    /// The reason a cancelled check gives in `.unknown(reason:)`.
    package static let reason = "cancelled"

    /// Foundation's lock: the binding depends on nothing else of the package (`Locked` is in Trace).
    private let lock = NSLock()
    /// Whether `cancel()` was called; guarded by `lock`.
    private var cancelled = false
    /// The contexts whose check is running now, by their raw pointer; guarded by `lock`.
    private var running: [UnsafeMutableRawPointer: Int] = [:]
    /// The queue on which running checks are interrupted again after a cancel.
    private let repeater = DispatchQueue(label: "plumb.z3.cancellation")

    /// Makes a cancellation that has not been cancelled.
    package init() {}

    /// Whether `cancel()` was called.
    package var isCancelled: Bool { lock.withLock { cancelled } }

    /// Cancels: checks not yet started return unknown at once, running ones are interrupted.
    package func cancel() {
        let first: Bool = lock.withLock {
            let first = !cancelled
            cancelled = true
            interruptRunning()
            return first
        }
        if first { scheduleRepeat() }
    }

    /// Marks a check of `context` as running; false (and nothing marked) once cancelled.
    func begin(_ context: Z3_context) -> Bool {
        lock.withLock {
            guard !cancelled else { return false }
            running[UnsafeMutableRawPointer(context), default: 0] += 1
            return true
        }
    }

    /// Marks the check of `context` begun with `begin` as returned.
    func end(_ context: Z3_context) {
        lock.withLock {
            let key = UnsafeMutableRawPointer(context)
            if let n = running[key], n > 1 { running[key] = n - 1 } else { running[key] = nil }
        }
    }

    /// Interrupts every running check; the caller holds `lock`.
    private func interruptRunning() {
        for context in running.keys { Z3_interrupt(OpaquePointer(context)) }
    }

    /// Interrupts the checks still running every 20 ms until none is left.
    private func scheduleRepeat() {
        repeater.asyncAfter(deadline: .now() + .milliseconds(20)) { [self] in
            let more: Bool = lock.withLock {
                interruptRunning()
                return !running.isEmpty
            }
            if more { scheduleRepeat() }
        }
    }
}
