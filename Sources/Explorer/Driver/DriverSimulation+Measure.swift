import Driver

// Measuring one crash point: how many recoveries lazy and eager crash states run from it, and
// finding crash points with a given number of cached writes (for `plumb bench explore`).
extension DriverSimulation {
    /// The recoveries run from one power loss.
    package struct RecoveryCount: Sendable, Equatable {
        /// Recovery runs: with eager crash states one per fate assignment; with lazy ones one
        /// per distinct sequence of contents the recovery's reads returned.
        package var runs: Int
        /// With eager crash states, the distinct images the assignments left (a search's
        /// cache runs recovery once per image); with lazy ones, `runs`.
        package var images: Int
        /// False when `limit` stopped the count.
        package var complete: Bool
        /// Whether some read got a sample of its contents (`CrashFates.outcomes`), so that
        /// lazy runs did not cover every crash state.
        package var sampled = false
    }

    /// Power fails here (the first power loss: no fate undecided yet) with `mode` crash states:
    /// every recovery from it, each to its end (online, failed, or a violation), no further
    /// power loss and no caching, counted up to `limit` runs. Nil when power cannot fail here.
    package func recoveriesAfterPowerLoss(_ mode: Configuration.CrashStates, limit: Int = 1 << 16) -> RecoveryCount? {
        guard crashesLeft > 0, [.online, .recovering, .stopping].contains(core.phase), disk.lazy.fates.isEmpty else {
            return nil
        }
        var start = self
        let tally = CrashStatistics()
        start.statistics = tally
        start.keepsTrace = false
        start.configuration.crashStates = mode
        start.apply(.powerLoss)
        var stack = [start]
        var runs = 0
        var images: Set<UInt64> = []
        while let state = stack.popLast() {
            let cutDone = state.fates == nil
            if cutDone, state.recoverySteps == 0 { images.insert(state.mediumDigest) }
            let next = state.choices().filter { $0 != .powerLoss }
            if (cutDone && state.core.phase != .recovering) || state.verdict != nil || next.isEmpty {
                runs += 1
                if runs >= limit {
                    return RecoveryCount(runs: runs, images: images.count, complete: false,
                                         sampled: tally.summary.sampledReads > 0)
                }
                continue
            }
            for choice in next.reversed() {
                var child = state
                child.apply(choice)
                stack.append(child)
            }
        }
        return RecoveryCount(runs: runs, images: mode == .eager ? images.count : runs, complete: true,
                             sampled: tally.summary.sampledReads > 0)
    }

    /// The writes in the cache now.
    package var cachedWrites: Int { disk.cache.pendingWrites }

    /// A state of `configuration` (before any power loss) with at least `cachedWrites`
    /// writes in the cache, found by a depth-first search without power losses that tries a
    /// caller's step first and a flush's completion last (so writes gather in the cache), and
    /// the oldest I/O first among completions (so the cached writes are the journal's next
    /// ones, not later ones behind writes still in flight, which a power loss drops and
    /// recovery stops at), over at most `limit` distinct states. Nil when none of them has
    /// that many.
    package static func crashPoint(cachedWrites: Int, _ configuration: Configuration, limit: Int = 200_000) -> DriverSimulation? {
        func rank(_ choice: Choice) -> Int {
            switch choice {
            case .submit: 0
            case .complete(_, .flush, _): 9
            case .complete, .completeReading: 1
            case .sync: 2
            case .idle: 3
            default: 5
            }
        }
        var seen: Set<UInt64> = []
        var stack = [DriverSimulation(configuration).withoutTrace()]
        while let state = stack.popLast(), seen.count < limit {
            guard seen.insert(state.fingerprint()).inserted else { continue }
            if state.cachedWrites >= cachedWrites { return state }
            guard state.verdict == nil else { continue }
            let next = state.choices().filter { $0 != .powerLoss }.enumerated()
            // Pushed last, taken first: the lowest rank, then the earliest in `choices()` order.
            for (_, choice) in next.sorted(by: { (rank($0.element), $0.offset) > (rank($1.element), $1.offset) }) {
                var child = state
                child.apply(choice)
                stack.append(child)
            }
        }
        return nil
    }
}
