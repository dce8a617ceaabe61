import Trace

/// The states the threads of one exhaustive search have entered, shared between them, so that
/// a thread does not explore again what another thread has taken on.
///
/// Each thread keeps its own `VisitedTable` (what its depth-first search needs); a state new to
/// a thread is claimed here with its sleep mask. The mask stored is the intersection of those
/// of every claim: each claimant takes every enabled choice outside its own mask, or leaves to
/// the earlier claimants those outside theirs. So the rule a thread applies to its own revisits
/// (see `DepthFirstSearch`) holds across threads: a claim whose mask covers the stored one is
/// pruned; otherwise the claimant takes only the choices asleep in the stored mask and awake in
/// its own. A state claimed but not yet finished is finished by its claimant (a search stopped
/// early is not exhaustive anyway), so the same states are reached: only the duplicate work
/// goes. Verdicts do not depend on it (the first counterexample is the canonical one whatever
/// the split), nor does `states`, the union of the threads' tables.
///
/// Used only without a depth bound (where a revisit shallower may need more than the mask
/// says). About 30 bytes a state beside the threads' tables. Thread-safe: 64 stripes, each
/// behind its own lock.
final class ClaimedStates: Sendable {
    private let stripes: [Locked<[UInt64: UInt64]>]

    /// An empty set.
    init() {
        stripes = (0..<64).map { _ in Locked([:]) }
    }

    /// Claims `fingerprint` for a visit with sleep mask `sleep`; returns the mask stored before
    /// (nil when the state is new to every thread) and stores its intersection with `sleep`.
    func claim(_ fingerprint: UInt64, sleep: UInt64) -> UInt64? {
        let stripe = stripes[Int(truncatingIfNeeded: (fingerprint &* 0x9E37_79B9_7F4A_7C15) >> 58)]
        return stripe.withLock { table in
            guard let old = table[fingerprint] else {
                table[fingerprint] = sleep
                return nil
            }
            table[fingerprint] = old & sleep
            return old
        }
    }
}
