// Equality of cores, so that a test can check that two states the explorer merges (equal
// fingerprints) hold equal cores. Two cores are equal when they answer every future input with
// the same actions, up to the order of actions for different consumers within one step: the
// ready heap is compared as a set (its layout depends on insertion order, `popMin` does not),
// and so are the waiting `process` requests (each is granted on its own, by its own worker).

extension RecoveryCore: Equatable {
    /// Whether `lhs` and `rhs` behave alike (see the file's comment).
    public static func == (lhs: RecoveryCore, rhs: RecoveryCore) -> Bool {
        lhs.workerCount == rhs.workerCount && lhs.run == rhs.run && lhs.phase == rhs.phase
            && lhs.faults == rhs.faults && lhs.pending == rhs.pending && lhs.pendingNames == rhs.pendingNames
            && lhs.earlyRejections == rhs.earlyRejections && lhs.graph == rhs.graph && lhs.states == rhs.states
            && lhs.workers == rhs.workers && lhs.ready == rhs.ready && lhs.unfinished == rhs.unfinished
            && Self.sorted(lhs.waitingProcesses) == Self.sorted(rhs.waitingProcesses)
            && lhs.frameworkSeq == rhs.frameworkSeq && lhs.workerSeqs == rhs.workerSeqs
    }

    /// The waiting requests in a fixed order, as strings for comparison.
    private static func sorted(_ requests: [(consumer: Int, log: String)]) -> [String] {
        requests.map { "\($0.consumer) \($0.log)" }.sorted()
    }
}

extension RecoveryGraph: Equatable {
    /// The same consumers, edges and refusals, in the same order.
    package static func == (lhs: RecoveryGraph, rhs: RecoveryGraph) -> Bool {
        lhs.consumers == rhs.consumers && lhs.rejected == rhs.rejected
            && lhs.verdicts.count == rhs.verdicts.count
            && zip(lhs.verdicts, rhs.verdicts).allSatisfy { $0.registration == $1.registration && $0.verdict == $1.verdict }
    }
}
