import CZ3
import Dispatch
import Foundation

/// Interrupts a solver's running check a little after its deadline, unless disarmed first.
///
/// Z3's own `timeout` parameter is not reliable (a 20 s timeout was seen running past 200 s),
/// so `Z3Solver.check` also arms its watchdog, with some grace after Z3's own timeout; the
/// many small order queries (`Z3Solver.checkWatched`) leave Z3's timeout unset and have the
/// watchdog alone, at the deadline. When a deadline passes it calls `Z3_interrupt`,
/// the one Z3 call allowed from another thread, which makes the running check return "unknown".
///
/// One watchdog serves every check of its solver: arming and disarming only set the deadline
/// under a lock, and a timer is scheduled only when none is pending at or before the new
/// deadline; a timer that finds a later deadline sleeps again until it. (A timer per check,
/// scheduled and cancelled on a dispatch queue, cost more than many small queries themselves.)
/// The timer interrupts under the same lock and only while a check is armed, so once
/// `disarm()` has returned the watchdog can no longer touch the context, and a late timer
/// never interrupts a later call.
///
/// `@unchecked Sendable` because the context pointer crosses to the timer queue: there it is
/// only passed to `Z3_interrupt`, which Z3 allows from any thread, and only while armed, under
/// `lock`, which guards every other field too.
final class Z3Watchdog: @unchecked Sendable {
    /// The serial queue on which every watchdog's timers fire.
    private static let queue = DispatchQueue(label: "plumb.z3.watchdog")

    private let context: Z3_context
    /// Foundation's lock: the binding depends on nothing else of the package.
    private let lock = NSLock()
    /// The armed check's deadline (uptime nanoseconds); nil while no check is armed.
    private var deadline: UInt64?
    /// Whether the armed check was interrupted.
    private var fired = false
    /// When the earliest pending timer fires, if one is pending.
    private var timer: UInt64?

    /// A watchdog for the checks of `context`, unarmed.
    init(context: Z3_context) {
        self.context = context
    }

    /// Arms the watchdog to interrupt the check about to run once `milliseconds` have passed.
    func arm(milliseconds: Int) {
        let (ns, overflow) = UInt64(max(milliseconds, 0)).multipliedReportingOverflow(by: 1_000_000)
        let due = DispatchTime.now().uptimeNanoseconds.addingReportingOverflow(overflow ? .max : ns)
        let at = due.overflow ? UInt64.max : due.partialValue
        lock.withLock {
            deadline = at
            fired = false
            if timer.map({ $0 > at }) ?? true { schedule(at) }
        }
    }

    /// Disarms the watchdog; returns whether it interrupted the check it was armed for.
    func disarm() -> Bool {
        lock.withLock {
            deadline = nil
            return fired
        }
    }

    /// Schedules a timer at `at`; the caller holds `lock`.
    private func schedule(_ at: UInt64) {
        timer = at
        Self.queue.asyncAfter(deadline: DispatchTime(uptimeNanoseconds: at)) { [weak self] in self?.fire(at) }
    }

    /// A timer scheduled at `at` fired: interrupts an armed check past its deadline, or sleeps
    /// again until the armed check's deadline.
    private func fire(_ at: UInt64) {
        lock.withLock {
            if timer == at { timer = nil }
            guard let deadline else { return }
            let now = DispatchTime.now().uptimeNanoseconds
            if now >= deadline {
                fired = true
                Z3_interrupt(context)
                // An interrupt that lands before Z3 has registered the check is lost: again
                // every 20 ms while the check is still armed.
                if timer == nil { schedule(now &+ Self.repeatNanoseconds) }
            } else if timer.map({ $0 > deadline }) ?? true {
                schedule(deadline)
            }
        }
    }

    /// How long after an interrupt the watchdog interrupts again, while the check runs on.
    private static let repeatNanoseconds: UInt64 = 20_000_000

    /// How long after Z3's own timeout the watchdog interrupts: Z3 gets the first chance to
    /// stop cleanly, then a tenth of the timeout more, between 50 ms and 2 s.
    static func grace(forTimeout milliseconds: Int) -> Int {
        min(max(milliseconds / 10, 50), 2_000)
    }
}
