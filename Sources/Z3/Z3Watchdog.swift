import CZ3
import Dispatch

/// Interrupts one running check a little after its deadline, unless disarmed first.
///
/// Z3's own `timeout` parameter is not reliable (a 20 s timeout was seen running past 200 s),
/// so `Z3Solver.check` also arms one of these. When it fires it calls `Z3_interrupt`, the one
/// Z3 call allowed from another thread, which makes the running check return "unknown".
/// Firing and disarming both run on one serial queue, so once `disarm()` has returned the
/// watchdog can no longer touch the context, and a late timer never interrupts a later call.
struct Z3Watchdog {
    /// The raw context pointer with the state of one armed watchdog.
    ///
    /// `@unchecked Sendable` because the pointer crosses to the timer queue: there it is only
    /// passed to `Z3_interrupt`, which Z3 allows from any thread, and only while `armed`, which
    /// is read and written on `queue` alone.
    private final class Ticket: @unchecked Sendable {
        let context: Z3_context
        var armed = true
        var fired = false
        init(context: Z3_context) { self.context = context }
    }

    /// The serial queue on which every watchdog fires and is disarmed.
    private static let queue = DispatchQueue(label: "plumb.z3.watchdog")

    private let ticket: Ticket
    private let item: DispatchWorkItem

    /// Arms a watchdog that interrupts `context` once `milliseconds` have passed.
    init(context: Z3_context, milliseconds: Int) {
        let ticket = Ticket(context: context)
        let item = DispatchWorkItem {
            guard ticket.armed else { return }
            ticket.fired = true
            Z3_interrupt(ticket.context)
        }
        self.ticket = ticket
        self.item = item
        Self.queue.asyncAfter(deadline: .now() + .milliseconds(milliseconds), execute: item)
    }

    /// Disarms the watchdog; returns whether it had already interrupted the context.
    func disarm() -> Bool {
        let ticket = self.ticket
        let fired = Self.queue.sync {
            ticket.armed = false
            return ticket.fired
        }
        item.cancel()
        return fired
    }

    /// How long after Z3's own timeout the watchdog interrupts: Z3 gets the first chance to
    /// stop cleanly, then a tenth of the timeout more, between 50 ms and 2 s.
    static func grace(forTimeout milliseconds: Int) -> Int {
        min(max(milliseconds / 10, 50), 2_000)
    }
}
