import Recovery
import Trace

extension RecoverySimulation {
    /// The bounds of one recovery exploration: how many consumers register (their graph is
    /// generated from `seed`, see `registrations`), how many workers run them, how many of them
    /// may fail (throw or time out) in one execution, and how often the framework may crash.
    ///
    /// Its `description` (`consumers=5 workers=2 failures=1 crashes=1 seed=0`) is what replay
    /// tokens carry, and `init?(parsing:)` reads it back.
    package struct Configuration: Sendable, Hashable, CustomStringConvertible {
        /// Consumers registered in every run (`c0`, `c1`, ...), at least 1.
        package var consumers: Int
        /// Workers consumers run on, at least 1.
        package var workers: Int
        /// How many consumers may fail (throw, or time out if they have a timeout) over the
        /// whole execution, across runs; at least 0.
        package var failures: Int
        /// How many times the framework may crash; after each crash a new run registers the
        /// same consumers and begins again. At least 0.
        package var crashes: Int
        /// Picks the dependency graph (see `registrations`) and which consumer has a timeout.
        package var seed: UInt64
        /// Seeded bugs of the core (tests and `plumb explore selftest`).
        package var faults = RecoveryCoreFaults.none
        /// The consumers every run registers when given explicitly (`plumb explore recovery
        /// --from`, taken from a trace), instead of the graph drawn from `seed`; never in the
        /// configuration's text (a recorded exploration's token names the trace instead).
        package var explicitRegistrations: RegistrationList?

        /// Makes a configuration; check `problem` before exploring it.
        package init(consumers: Int = 5, workers: Int = 2, failures: Int = 1, crashes: Int = 1, seed: UInt64 = 0) {
            self.consumers = consumers
            self.workers = workers
            self.failures = failures
            self.crashes = crashes
            self.seed = seed
        }

        /// Reads `consumers=5 workers=2 failures=1 crashes=1 seed=0`: keys in any order, each at
        /// most once, separated by spaces; a missing key keeps its default. Nil when malformed
        /// or out of range.
        package init?(parsing text: String) {
            self.init()
            guard let pairs = ConfigurationText.pairs(text) else { return nil }
            for (key, value) in pairs {
                switch key {
                case "consumers": guard let n = Int(value) else { return nil }; consumers = n
                case "workers": guard let n = Int(value) else { return nil }; workers = n
                case "failures": guard let n = Int(value) else { return nil }; failures = n
                case "crashes": guard let n = Int(value) else { return nil }; crashes = n
                case "seed": guard let n = UInt64(value) else { return nil }; seed = n
                case "faults":
                    for name in value.split(separator: "+") {
                        guard let fault = SeededFault(rawValue: String(name)), fault.system == RecoverySimulation.system else {
                            return nil
                        }
                        fault.turnOn(in: &faults)
                    }
                default: return nil
                }
            }
            if problem != nil { return nil }
        }

        /// What is out of range, for the CLI to report; nil when the configuration is valid.
        package var problem: String? {
            if consumers < 1 || consumers > 1_000 { return "consumers must be between 1 and 1000" }
            if workers < 1 || workers > 64 { return "workers must be between 1 and 64" }
            if failures < 0 { return "failures must be at least 0" }
            if crashes < 0 { return "crashes must be at least 0" }
            return nil
        }

        /// `consumers=5 workers=2 failures=1 crashes=1 seed=0`, and ` faults=a+b` when seeded
        /// bugs are on.
        package var description: String {
            let on = SeededFault.allCases.filter { $0.system == RecoverySimulation.system && $0.isOn(in: faults) }
            return "consumers=\(consumers) workers=\(workers) failures=\(failures) crashes=\(crashes) seed=\(seed)"
                + (on.isEmpty ? "" : " faults=" + on.map(\.rawValue).joined(separator: "+"))
        }
    }
}
