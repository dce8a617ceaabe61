import Recovery
import Trace

// The workload the simulation runs: a dependency graph fixed by the configuration, and what
// each consumer's action does between its start and its end.

extension RecoverySimulation.Configuration {
    /// The consumers every run registers, in order: a fixed graph with each kind of edge.
    ///
    /// - `c0` has no dependency;
    /// - `c1` has `logs: [c0]` (it starts alongside `c0` and processes `c0.log` once released);
    /// - `c2` has `deps: [c0]`, and `c3` has `deps: [c2]`: a chain, so a failure of `c0` skips
    ///   `c2` and, transitively, `c3`;
    /// - `c4` has `after: [x]`, `x` drawn from `seed` among `c0`...`c3`;
    /// - `c5` and later ones get one edge drawn from `seed` (`deps`, `after` or `logs`) to an
    ///   earlier consumer, and sometimes an extra `deps` edge;
    /// - one consumer, drawn from `seed`, has a timeout (its length does not matter here: the
    ///   simulation decides when it fires).
    ///
    /// `explicitRegistrations`, when set, are taken instead.
    package var registrations: [ConsumerRegistration] {
        if let explicitRegistrations { return explicitRegistrations.items }
        var rng = SplitMix64(seed: seed)
        let name = { (i: Int) in "c\(i)" }
        var result: [ConsumerRegistration] = []
        for i in 0..<consumers {
            var r = ConsumerRegistration(name(i))
            switch i {
            case 0: break
            case 1: r.logs = [name(0)]
            case 2: r.deps = [name(0)]
            case 3: r.deps = [name(2)]
            case 4: r.after = [name(Int(rng.next() % 4))]
            default:
                let target = name(Int(rng.next() % UInt64(i)))
                switch rng.next() % 3 {
                case 0: r.deps = [target]
                case 1: r.after = [target]
                default: r.logs = [target]
                }
                let extra = name(Int(rng.next() % UInt64(i)))
                if rng.next() % 2 == 0, !(r.deps + r.after + r.logs).contains(extra) { r.deps.append(extra) }
            }
            result.append(r)
        }
        let timed = Int(rng.next() % UInt64(consumers))
        result[timed].timeout = .seconds(1)
        return result
    }
}

extension RecoverySimulation {
    /// One step of a consumer's action that the simulation schedules (besides its end).
    enum Step: Sendable, Hashable {
        /// Tags its own log.
        case tag
        /// Untags its own log.
        case untag
        /// Asks to process the log of consumer `log` (one it has in `logs`), and waits.
        case process(log: Int)
    }

    /// Each consumer's action, as in `RecoveryWorkload`: it tags its own log `cN.log`, later
    /// untags it, then processes the log of each consumer in its `logs`, in order, and returns.
    /// Safe to repeat in a later run.
    static func scripts(_ registrations: [ConsumerRegistration]) -> [[Step]] {
        let names = registrations.map(\.name)
        return registrations.map { r in
            var steps: [Step] = [.tag, .untag]
            for a in r.logs { if let index = names.firstIndex(of: a) { steps.append(.process(log: index)) } }
            return steps
        }
    }

    /// The log consumer `c` tags: `cN.log`.
    static func logName(of c: Int) -> String { "c\(c).log" }
}
