import Driver

extension DriverSimulation {
    /// The bounds of one driver exploration: how many interfaces and requests the workload has,
    /// how often power may fail, and whether cached writes may tear.
    ///
    /// Its `description` is also its replay-token form: `ifaces=2 requests=4 crashes=1 torn=1`,
    /// followed by ` regions=8` and ` workload=region-sized` only when not the defaults,
    /// ` states=eager` only when crash states are enumerated eagerly, and
    /// ` faults=a+b` only when a seeded bug is on. `init?(parsing:)` reads that form
    /// back; keys may come in any order and missing ones take their defaults.
    package struct Configuration: Sendable, Hashable, CustomStringConvertible {
        /// How a power loss decides what survives of the cached writes.
        package enum CrashStates: String, Sendable, Hashable, CaseIterable {
            /// Every fate of every cached write is a choice at the power loss (lost, durable,
            /// torn after each sector): one recovery per fate assignment. The reference.
            case eager
            /// The fates stay undecided (`CrashFates`); a read during or after recovery
            /// branches once per distinct content it can return, and the contents check asks
            /// whether any remaining assignment breaks it. The default.
            case lazy
        }


        /// Interfaces (callers), each submitting its share of the requests in order (>= 1).
        package var ifaces: Int
        /// Write requests in all, dealt round-robin over the interfaces (see `Workload`).
        package var requests: Int
        /// Power losses in all, at any step (also during a recovery).
        package var crashes: Int
        /// Whether a cached write may also tear at a power loss, keeping only its first k
        /// sectors (for each k); otherwise each pending write is only lost or durable.
        package var torn: Bool
        /// Whether power losses decide the cached writes' fates eagerly or lazily.
        package var crashStates: CrashStates
        /// Staging regions of the simulated device (2 ... 16; each one block): more regions let
        /// more journal segments wait for one flush, so more writes sit in the cache. The
        /// device grows by 6 blocks a region (`DriverSimulation.blockCount(regions:)`).
        package var regions = 2
        /// What the workload's requests write (see `Workload`).
        package var workload = Workload.Kind.mixed
        /// Seeded bugs of the core (tests only).
        package var faults: DriverCoreFaults

        /// Makes a configuration; the defaults are the CLI's `--ifaces 2 --requests 4
        /// --crashes 1 --torn`.
        package init(ifaces: Int = 2, requests: Int = 4, crashes: Int = 1, torn: Bool = true,
                    crashStates: CrashStates = .lazy) {
            self.init(ifaces: ifaces, requests: requests, crashes: crashes, torn: torn, crashStates: crashStates,
                      faults: .none)
        }

        /// Makes a configuration with seeded bugs on (tests and `plumb explore selftest`).
        package init(ifaces: Int = 2, requests: Int = 4, crashes: Int = 1, torn: Bool = true,
                     crashStates: CrashStates = .lazy, faults: DriverCoreFaults) {
            self.crashStates = crashStates
            self.ifaces = ifaces
            self.requests = requests
            self.crashes = crashes
            self.torn = torn
            self.faults = faults
        }

        /// Whether every bound is in range: 1 to 8 interfaces, 0 to 16 requests (the data area
        /// of the tiny device holds the workload's offsets), 0 to 4 crashes, 2 to 16 regions.
        package var isValid: Bool {
            (1...8).contains(ifaces) && (0...16).contains(requests) && (0...4).contains(crashes) && (2...16).contains(regions)
        }

        /// The seeded-bug names, as the `faults=` key writes them.
        static let faultNames = SeededFault.allCases.filter { $0.system == DriverSimulation.system }.map(\.rawValue)

        /// The names of the faults that are on, in `faultNames` order.
        var faultsOn: [String] {
            let on = [faults.durableOutOfOrder, faults.recoveryStopsEarly, faults.acceptsStaleSegments, faults.trustsDataArea]
            return zip(Self.faultNames, on).filter(\.1).map(\.0)
        }

        /// Turns on the fault named `name`; false for an unknown name.
        mutating func turnOn(_ name: String) -> Bool {
            switch name {
            case "durableOutOfOrder": faults.durableOutOfOrder = true
            case "recoveryStopsEarly": faults.recoveryStopsEarly = true
            case "acceptsStaleSegments": faults.acceptsStaleSegments = true
            case "trustsDataArea": faults.trustsDataArea = true
            default: return false
            }
            return true
        }

        /// `ifaces=2 requests=4 crashes=1 torn=1`, then the keys not at their defaults (see the
        /// type's doc).
        package var description: String {
            var text = "ifaces=\(ifaces) requests=\(requests) crashes=\(crashes) torn=\(torn ? 1 : 0)"
            if regions != 2 { text += " regions=\(regions)" }
            if workload != .mixed { text += " workload=\(workload.rawValue)" }
            if crashStates == .eager { text += " states=eager" }
            let faults = faultsOn
            if !faults.isEmpty { text += " faults=" + faults.joined(separator: "+") }
            return text
        }

        /// Reads the `description` form; nil for an unknown or repeated key, a value that is not
        /// a number (`torn` also takes `true`, `false`, `yes`, `no`; `states` takes `lazy` or
        /// `eager`; `workload` takes `mixed` or `region-sized`), or bounds out of range.
        package init?(parsing text: String) {
            self.init()
            guard let pairs = ConfigurationText.pairs(text) else { return nil }
            for (key, value) in pairs {
                switch key {
                case "faults":
                    for name in value.split(separator: "+") where !turnOn(String(name)) { return nil }
                case "states":
                    guard let states = CrashStates(rawValue: value) else { return nil }
                    crashStates = states
                case "workload":
                    guard let kind = Workload.Kind(rawValue: value) else { return nil }
                    workload = kind
                case "torn":
                    switch value {
                    case "1", "true", "yes": torn = true
                    case "0", "false", "no": torn = false
                    default: return nil
                    }
                default:
                    guard let number = Int(value) else { return nil }
                    switch key {
                    case "ifaces": ifaces = number
                    case "requests": requests = number
                    case "crashes": crashes = number
                    case "regions": regions = number
                    default: return nil
                    }
                }
            }
            guard isValid else { return nil }
        }
    }
}
