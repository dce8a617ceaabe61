import Trace

/// The visited set of an exhaustive search without a depth bound: the states its threads have
/// entered (one thread or several), each with a sleep mask, shared by all of them.
///
/// The mask stored is the intersection of those of every visit: each visitor takes every
/// enabled choice outside its own mask, or leaves to the earlier visitors those outside
/// theirs. So the rule of `DepthFirstSearch` holds across threads: a visit whose mask covers
/// the stored one is pruned; otherwise the visitor takes only the choices asleep in the stored
/// mask and awake in its own. A state entered but not finished yet is finished by the thread
/// that entered it (a search stopped early is not exhaustive anyway), so the same states are
/// reached as on one thread: only the duplicate work goes. Verdicts do not depend on it (the
/// first counterexample is the canonical one whatever the split).
///
/// With a depth bound a revisit shallower may need more than the mask says: those searches
/// keep a `VisitedTable` per thread, with depths. 16 bytes a slot (fingerprint and mask), open
/// addressing, at most 3/4 full, so 21 to 43 bytes a state. Thread-safe when made for several
/// threads: 64 stripes, each behind its own lock; made for one, it takes no lock (a claim is
/// made at every step), and only that thread may use it until the search is over.
final class ClaimedStates: @unchecked Sendable {
    private struct Stripe: Sendable {
        /// Fingerprints (0: empty; 0 is stored as 1) and their masks, slot by slot.
        var slots: [(key: UInt64, sleep: UInt64)] = Array(repeating: (0, 0), count: 64)
        var count = 0

        func slot(of key: UInt64, hash: UInt64) -> (index: Int, found: Bool) {
            let mask = slots.count - 1
            var i = Int(truncatingIfNeeded: hash) & mask
            while true {
                if slots[i].key == key { return (i, true) }
                if slots[i].key == 0 { return (i, false) }
                i = (i + 1) & mask
            }
        }

        mutating func grow() {
            let old = slots
            slots = Array(repeating: (0, 0), count: 2 * old.count)
            for entry in old where entry.key != 0 {
                slots[slot(of: entry.key, hash: ClaimedStates.hash(entry.key)).index] = entry
            }
        }
    }

    private let stripes: [Locked<Stripe>]
    /// The stripes, unlocked, of a table made for one thread (nil for several).
    private let unlocked: Unlocked?

    /// The stripes of a table that one thread uses.
    private final class Unlocked {
        var stripes: [Stripe] = Array(repeating: Stripe(), count: 64)
    }

    /// An empty set for a search on `threads` threads.
    init(threads: Int) {
        unlocked = threads == 1 ? Unlocked() : nil
        stripes = unlocked == nil ? (0..<64).map { _ in Locked(Stripe()) } : []
    }

    private static func hash(_ key: UInt64) -> UInt64 { key &* 0x9E37_79B9_7F4A_7C15 }

    /// Runs `body` on the stripe of `key`, holding its lock when the table is shared.
    private func withStripe<R>(of key: UInt64, _ body: (inout Stripe) -> R) -> R {
        let i = Int(truncatingIfNeeded: Self.hash(key) >> 58)
        if let unlocked { return body(&unlocked.stripes[i]) }
        return stripes[i].withLock(body)
    }

    /// Runs `body` on every stripe in turn.
    private func forEachStripe(_ body: (inout Stripe) -> Void) {
        if let unlocked {
            for i in unlocked.stripes.indices { body(&unlocked.stripes[i]) }
        } else {
            for stripe in stripes { stripe.withLock(body) }
        }
    }

    /// Claims `fingerprint` for a visit with sleep mask `sleep`; returns the mask stored before
    /// (nil when no thread entered the state yet) and stores its intersection with `sleep`.
    func claim(_ fingerprint: UInt64, sleep: UInt64) -> UInt64? {
        let key = fingerprint == 0 ? 1 : fingerprint
        return withStripe(of: key) { s in
            var (i, found) = s.slot(of: key, hash: Self.hash(key))
            if found {
                let old = s.slots[i].sleep
                s.slots[i].sleep = old & sleep
                return old
            }
            if 4 * (s.count + 1) > 3 * s.slots.count {
                s.grow()
                i = s.slot(of: key, hash: Self.hash(key)).index
            }
            s.slots[i] = (key, sleep)
            s.count += 1
            return nil
        }
    }

    /// The mask stored for `fingerprint` (0: every enabled choice is taken from it, so any
    /// visit is pruned); nil when no thread entered it.
    func sleepMask(of fingerprint: UInt64) -> UInt64? {
        let key = fingerprint == 0 ? 1 : fingerprint
        return withStripe(of: key) { s in
            let (i, found) = s.slot(of: key, hash: Self.hash(key))
            return found ? s.slots[i].sleep : nil
        }
    }

    /// Whether a thread entered `fingerprint`.
    func contains(_ fingerprint: UInt64) -> Bool { sleepMask(of: fingerprint) != nil }

    /// The states entered.
    var count: Int {
        var total = 0
        forEachStripe { total += $0.count }
        return total
    }

    /// Bytes the table holds, over the states it stores.
    var bytesPerState: Double {
        var slots = 0
        forEachStripe { slots += $0.slots.count }
        let count = self.count
        return count == 0 ? 0 : Double(slots * 16) / Double(count)
    }

    /// Every fingerprint stored, in no particular order (as stored: 0 reads as 1).
    var fingerprints: [UInt64] {
        var keys: [UInt64] = []
        forEachStripe { keys += $0.slots.lazy.map(\.key).filter { $0 != 0 } }
        return keys
    }
}
