import Recovery
import Trace

extension RecoverySimulation {
    /// A stable hash (`StableHasher`) of: the budgets left, the core's run and phase, each consumer's action state,
    /// and, per node, the node's events of the current run in seq order, with seqs (its own
    /// and its causes') counted from the node's last seq before the run.
    ///
    /// Why equal fingerprints have the same futures and verdicts:
    /// - The core. It is deterministic, and what it holds is written down by the events it
    ///   recorded in the current run (statuses, workers, the `end`, `skip`, `tag` and `untag`
    ///   events it cites later, seq counters) and by the actions' states (which `process`
    ///   requests wait). Earlier runs leave nothing in it but the seq counters, and those only
    ///   shift every later seq of a node by the same amount. The tests check, over whole small
    ///   spaces, that states merged by the fingerprint have the same choices, verdict and
    ///   children's fingerprints (a bisimulation), and without crashes equal cores.
    /// - The verdict. The spec gives every linearization of happens-before the same verdict,
    ///   and happens-before is fixed by each node's sequence of events and their causes, which
    ///   is what is hashed: merged states differ only in how nodes interleave. An earlier run
    ///   ended with a crash: no later event belongs to it (a worker's event belongs to the
    ///   latest run whose `begin` happens-before it, and the abandoned consumers of a crashed
    ///   run record nothing), its obligations were all judged already (`violation()` judges
    ///   the whole trace, end-of-trace rules included, after every step), and no `done` was
    ///   recorded in it. So its part of the verdict is settled, and it is clean, or the path
    ///   would have stopped there. The spec compares seqs only along one node and through
    ///   causes, so shifting a node's seqs changes messages, never the invariant broken.
    package func fingerprint() -> UInt64 {
        var hasher = RecoveryDigest()
        hasher.int(crashesLeft)
        hasher.int(failuresLeft)
        hasher.int(core.run)
        hasher.int(Self.code(of: core.phase))
        for program in programs {
            switch program {
            case .idle: hasher.int(0)
            case let .running(step, waiting): hasher.int(waiting ? 2 : 1); hasher.int(step)
            case .finished: hasher.int(3)
            }
        }
        for digest in runDigest { hasher.uint64(digest) }
        return hasher.value
    }

    /// The fingerprint, and a key for the crash when one is enabled: a crash abandons every
    /// consumer and the next run begins afresh, registering the same graph, and earlier runs
    /// leave nothing in the core but seq counters, which the fingerprint counts from the run's
    /// start (see above). So the state after a crash is decided by the budgets and the run
    /// alone, whatever the run had done. A test checks over whole small spaces that equal keys
    /// lead to equal fingerprints and verdicts.
    package func fingerprint(successorKeys keys: inout [(choice: Choice, key: UInt64)]) -> UInt64 {
        if core.phase == .walking, crashesLeft > 0 {
            var hasher = RecoveryDigest()
            hasher.int(-1)
            hasher.int(crashesLeft)
            hasher.int(failuresLeft)
            hasher.int(core.run)
            keys.append((.crash, hasher.value))
        }
        return fingerprint()
    }

    /// A number for each phase.
    static func code(of phase: RecoveryCore.Phase) -> Int {
        switch phase {
        case .registering: 0
        case .walking: 1
        case .finished: 2
        case .crashed: 3
        }
    }
}

/// The recovery simulation's fingerprint builder over the trace library's `StableHasher` (the
/// same in every process), fed field by field.
struct RecoveryDigest {
    /// The digest of nothing.
    static let basis: UInt64 = StableHasher().value

    private var hasher = StableHasher()

    /// The hash so far.
    var value: UInt64 { hasher.value }

    /// Starts from nothing, or continues the digest `value`.
    init(_ value: UInt64? = nil) {
        if let value { hasher.combine(value) }
    }

    /// Folds in one word.
    mutating func uint64(_ v: UInt64) { hasher.combine(v) }

    /// Folds in a signed integer.
    mutating func int(_ v: Int) { hasher.combine(v) }

    /// Folds in 1 or 0.
    mutating func bool(_ v: Bool) { hasher.combine(v) }

    /// Its UTF-8 length, then its bytes.
    mutating func string(_ s: String) { hasher.combine(s) }

    /// Folds in the count, then each string.
    mutating func strings(_ list: [String]) {
        int(list.count)
        for s in list { string(s) }
    }

    /// One event of the current run: its seq and its causes' relative to `base` (per node,
    /// its last seq before the run).
    mutating func event(_ event: TraceEvent, base: [Int]) {
        int(event.seq - base[RecoverySimulation.nodeIndex(event.node)])
        string(event.kind.name)
        switch event.kind {
        case let .register(consumer, deps, after, logs):
            string(consumer); strings(deps); strings(after); strings(logs)
        case let .reject(consumer, reason):
            string(consumer); string(reason)
        case let .notify(c), let .start(c), let .observe(c), let .skip(c):
            string(c)
        case let .tag(c, log), let .untag(c, log), let .process(c, log):
            string(c); string(log)
        case let .end(c, ok, reason):
            string(c); bool(ok); string(reason ?? ""); bool(reason != nil)
        case let .done(ok):
            bool(ok)
        case .begin, .crash:
            break
        default:
            // Not a recovery event; the core records none, but hash it whole to be safe.
            string(String(describing: event.kind))
        }
        int(event.causes.count)
        for cause in event.causes {
            let node = RecoverySimulation.nodeIndex(cause.node)
            int(node)
            int(cause.seq - (base.indices.contains(node) ? base[node] : 0))
        }
    }
}
