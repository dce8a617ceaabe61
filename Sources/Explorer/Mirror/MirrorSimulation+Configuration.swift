import Mirror

extension MirrorSimulation {
    /// The bounds of one mirror exploration, and the workload the simulated client writes.
    ///
    /// Its `description` is also its replay-token form: `streams=2 paths=2 records=3 crashes=1
    /// failures=1 barriers=2`, followed by ` faults=a+b` only when a seeded bug is on.
    /// `init?(parsing:)` reads that form back; keys may come in any order and missing ones
    /// take their defaults, so `streams=1 records=2` is a configuration too.
    package struct Configuration: Sendable, Hashable, CustomStringConvertible {
        /// Streams the primary parses its log into (>= 1).
        package var streams: Int
        /// Interconnect paths, each its own connection (>= 1).
        package var paths: Int
        /// Client writes, in all. Record `lsn` (1, 2, ...) has key `lsn`, so it goes to stream
        /// `lsn % streams`, and payload `[lsn]`.
        package var records: Int
        /// Power losses, in all (0, 1 or 2): a crash of the primary (after which the secondary
        /// may take over), of the secondary, or with 2, both.
        package var crashes: Int
        /// Path failures, in all. A failed path may come back (redialed by the primary) as long
        /// as the primary runs; it may then fail again while failures are left.
        package var pathFailures: Int
        /// Barriers, as the live workload makes them: write `i` (from 0), when `i` is a multiple
        /// of `barrierEvery` and some record was written before, depends on the previous
        /// record. 0: no barriers.
        package var barrierEvery: Int
        /// Seeded bugs of the primary (tests only).
        package var primaryFaults: MirrorPrimaryFaults
        /// Seeded bugs of the secondary (tests only).
        package var secondaryFaults: MirrorSecondaryFaults

        /// Makes a configuration; the defaults are the CLI's.
        package init(
            streams: Int = 2, paths: Int = 2, records: Int = 3, crashes: Int = 1, pathFailures: Int = 1,
            barrierEvery: Int = 2
        ) {
            self.init(streams: streams, paths: paths, records: records, crashes: crashes, pathFailures: pathFailures,
                      barrierEvery: barrierEvery, primaryFaults: MirrorPrimaryFaults(),
                      secondaryFaults: MirrorSecondaryFaults())
        }

        /// Makes a configuration with seeded bugs on (tests and `plumb explore selftest`).
        package init(
            streams: Int = 2, paths: Int = 2, records: Int = 3, crashes: Int = 1, pathFailures: Int = 1,
            barrierEvery: Int = 2, primaryFaults: MirrorPrimaryFaults, secondaryFaults: MirrorSecondaryFaults
        ) {
            self.streams = streams
            self.paths = paths
            self.records = records
            self.crashes = crashes
            self.pathFailures = pathFailures
            self.barrierEvery = barrierEvery
            self.primaryFaults = primaryFaults
            self.secondaryFaults = secondaryFaults
        }

        /// Whether every bound is in range: one to 64 streams and paths (a sanity bound), at
        /// most two crashes (each node crashes at most once), nothing negative.
        package var isValid: Bool {
            streams >= 1 && paths >= 1 && records >= 0 && (0...2).contains(crashes) && pathFailures >= 0
                && barrierEvery >= 0 && streams <= 64 && paths <= 64
        }

        /// The seeded-bug names, as the `faults=` key writes them.
        static let faultNames = SeededFault.allCases.filter { $0.system == MirrorSimulation.system }.map(\.rawValue)

        /// The names of the faults that are on, in `faultNames` order.
        var faultsOn: [String] {
            let on = [
                primaryFaults.commitsBeforeAck, primaryFaults.skipsResendAfterPathFailure,
                secondaryFaults.appliesOnReceipt, secondaryFaults.ignoresBarriers,
                secondaryFaults.appliesAfterTakeover,
            ]
            return zip(Self.faultNames, on).filter(\.1).map(\.0)
        }

        /// Turns on the fault named `name`; false for an unknown name.
        mutating func turnOn(_ name: String) -> Bool {
            switch name {
            case "commitsBeforeAck": primaryFaults.commitsBeforeAck = true
            case "skipsResendAfterPathFailure": primaryFaults.skipsResendAfterPathFailure = true
            case "appliesOnReceipt": secondaryFaults.appliesOnReceipt = true
            case "ignoresBarriers": secondaryFaults.ignoresBarriers = true
            case "appliesAfterTakeover": secondaryFaults.appliesAfterTakeover = true
            default: return false
            }
            return true
        }

        /// `streams=2 paths=2 records=3 crashes=1 failures=1 barriers=2` (and ` faults=...`).
        package var description: String {
            var text = "streams=\(streams) paths=\(paths) records=\(records) crashes=\(crashes) "
                + "failures=\(pathFailures) barriers=\(barrierEvery)"
            let faults = faultsOn
            if !faults.isEmpty { text += " faults=" + faults.joined(separator: "+") }
            return text
        }

        /// Reads the `description` form; nil for an unknown or repeated key, a value that is not
        /// a number, or bounds out of range.
        package init?(parsing text: String) {
            self.init()
            guard let pairs = ConfigurationText.pairs(text) else { return nil }
            for (key, text) in pairs {
                if key == "faults" {
                    for name in text.split(separator: "+") where !turnOn(String(name)) { return nil }
                    continue
                }
                guard let value = Int(text) else { return nil }
                switch key {
                case "streams": streams = value
                case "paths": paths = value
                case "records": records = value
                case "crashes": crashes = value
                case "failures": pathFailures = value
                case "barriers": barrierEvery = value
                default: return nil
                }
            }
            guard isValid else { return nil }
        }
    }
}
