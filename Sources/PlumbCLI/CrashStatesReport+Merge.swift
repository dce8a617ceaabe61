extension CrashStatesReport {
    /// The section of a merged exploration: counts summed over the shards (each explored its
    /// own part of the space), the most cached writes and the largest crash point of any shard.
    /// Nil when no shard has the section (another system).
    static func merged(_ shards: [CrashStatesReport]) -> CrashStatesReport? {
        guard var total = shards.first else { return nil }
        for shard in shards.dropFirst() {
            total.crashPoints += shard.crashPoints
            total.recoveryRuns += shard.recoveryRuns
            total.eagerRecoveryRuns += shard.eagerRecoveryRuns
            total.eagerEstimated = total.eagerEstimated || shard.eagerEstimated
            total.fateAssignments += shard.fateAssignments
            total.z3ClosedCrashPoints += shard.z3ClosedCrashPoints
            total.z3Queries += shard.z3Queries
            total.z3Unsat += shard.z3Unsat
            total.z3Sat += shard.z3Sat
            total.z3Seconds += shard.z3Seconds
            total.checksClosedWithoutQuery += shard.checksClosedWithoutQuery
            if let sampled = shard.sampledReads { total.sampledReads = (total.sampledReads ?? 0) + sampled }
            if let most = shard.mostReadCombinations {
                total.mostReadCombinations = max(total.mostReadCombinations ?? 0, most)
            }
            total.maxCachedWrites = max(total.maxCachedWrites, shard.maxCachedWrites)
            if let point = shard.largestCrashPoint,
               point.cachedWrites > (total.largestCrashPoint?.cachedWrites ?? -1) {
                total.largestCrashPoint = point
            }
        }
        return total
    }
}
