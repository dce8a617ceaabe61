import Trace

/// What a driver exploration's power losses cost: crash points, recovery runs, and what the
/// eager enumeration of fates would have cost, tallied from the states a search applies its
/// choices to (thread-safe, shared by every copy of the start state that carries it; see
/// `DriverSimulation.collecting(_:)`).
///
/// A crash point is a state where power fails, named by its fingerprint; each is tallied once
/// however often the search reaches it. A recovery run is one recovery from a crash point to
/// its end (online, failed, or cut by the next power loss), named by the crash point and the
/// medium it ends on: with lazy crash states, one per distinct sequence of contents its reads
/// returned; with eager ones, one per distinct image the fates left (the search's cache already
/// merges equal images; the fate assignments, one recovery each without it, are counted too).
/// A recovery state the search reaches from two crash points is explored, and tallied, once,
/// for the first; with several threads, which one that is depends on timing, and threads
/// exploring a state twice can tally a run twice: exact figures come from one thread.
package final class CrashStatistics: @unchecked Sendable {
    /// One crash point.
    package struct Point: Sendable, Equatable {
        /// Writes in the cache when power failed.
        package var cachedWrites: Int
        /// The fate assignments of those writes (one eager recovery each).
        package var fateAssignments: Double
        /// Recovery runs from it that the search completed.
        package var recoveryRuns = 0
        /// Whether a Z3 query closed every remaining fate assignment of it.
        package var z3Closed = false
    }

    /// The totals.
    package struct Summary: Sendable, Equatable {
        /// Distinct crash points.
        package var crashPoints = 0
        /// The most cached writes at one.
        package var maxCachedWrites = 0
        /// Recovery runs in all.
        package var recoveryRuns = 0
        /// Fate assignments in all: what eager enumeration runs recovery on.
        package var fateAssignments = 0.0
        /// Crash points a Z3 query closed.
        package var z3ClosedCrashPoints = 0
        /// Contents checks with undecided sectors that no source could break (closed without a
        /// query: every possible content of every undecided sector is the model's).
        package var closedWithoutQuery = 0
        /// Reads of undecided sectors with too many possible contents to enumerate, which got a
        /// sample of them (`CrashFates.outcomes`): while any, the search is not exhaustive.
        package var sampledReads = 0
        /// The most combinations of fates one read of undecided sectors told apart.
        package var mostReadCombinations = 0.0
    }

    private struct State: Sendable {
        var points: [UInt64: Point] = [:]
        var runs: Set<UInt64> = []
        var closedWithoutQuery = 0
        /// The reads that got a sample, by their medium and I/O.
        var sampledReads: Set<UInt64> = []
        /// The most fate combinations one read told apart.
        var mostReadCombinations = 0.0
        /// The crash point with the most cached writes (first power loss only), and its state.
        var largest: (fingerprint: UInt64, cachedWrites: Int, state: DriverSimulation)?
    }

    private let state = Locked(State())

    /// An empty tally.
    package init() {}

    /// The totals so far (sums over crash points, in no hashed order that shows).
    package var summary: Summary {
        state.withLock { s in
            var summary = Summary(crashPoints: s.points.count, recoveryRuns: s.runs.count)
            for key in s.points.keys.sorted() {
                let point = s.points[key]!
                summary.maxCachedWrites = max(summary.maxCachedWrites, point.cachedWrites)
                summary.fateAssignments += point.fateAssignments
                if point.z3Closed { summary.z3ClosedCrashPoints += 1 }
            }
            summary.closedWithoutQuery = s.closedWithoutQuery
            summary.sampledReads = s.sampledReads.count
            summary.mostReadCombinations = s.mostReadCombinations
            return summary
        }
    }

    /// The crash point with the most cached writes at a first power loss (ties: the smaller
    /// fingerprint), as the state just before power failed, with its tally.
    package var largest: (state: DriverSimulation, point: Point)? {
        state.withLock { s in
            guard let largest = s.largest, let point = s.points[largest.fingerprint] else { return nil }
            return (largest.state, point)
        }
    }

    /// Power fails at the state `before` (fingerprint `fingerprint`).
    func crash(at fingerprint: UInt64, before: DriverSimulation, cachedWrites: Int, fateAssignments: Double) {
        state.withLock { s in
            if s.points[fingerprint] == nil {
                s.points[fingerprint] = Point(cachedWrites: cachedWrites, fateAssignments: fateAssignments)
            }
            guard before.disk.lazy.fates.isEmpty else { return }
            if let largest = s.largest,
               (largest.cachedWrites, UInt64.max - largest.fingerprint) >= (cachedWrites, UInt64.max - fingerprint) {
                return
            }
            var kept = before
            kept.statistics = nil
            s.largest = (fingerprint, cachedWrites, kept)
        }
    }

    /// A recovery from crash point `point` ended on a medium with digest `medium`.
    func recoveryRun(from point: UInt64, medium: UInt64) {
        var hash = StableHasher()
        hash.combine(point)
        hash.combine(medium)
        state.withLock { s in
            if s.runs.insert(hash.value).inserted { s.points[point]?.recoveryRuns += 1 }
        }
    }

    /// A Z3 query proved every remaining assignment of crash point `point` right.
    func z3Closed(_ point: UInt64) {
        state.withLock { s in s.points[point]?.z3Closed = true }
    }

    /// A read of undecided sectors told `combinations` fates apart; `sampled` names it (by its
    /// medium and I/O) when it got a sample of its contents.
    func read(combinations: Double, sampled: UInt64?) {
        state.withLock { s in
            s.mostReadCombinations = max(s.mostReadCombinations, combinations)
            if let sampled { s.sampledReads.insert(sampled) }
        }
    }

    /// A contents check found undecided sectors that no fate could make wrong.
    func closedWithoutQuery() {
        state.withLock { s in s.closedWithoutQuery += 1 }
    }
}
