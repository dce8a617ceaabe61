import Trace

/// The name of one invariant of TRACE-FORMAT.md, such as `mirror.stream-order`.
public struct Invariant: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The invariant's name as the format page writes it.
    public var rawValue: String

    /// Wraps a name; the names below are the ones the format defines.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Orders by name, for stable output.
    public static func < (lhs: Invariant, rhs: Invariant) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The name.
    public var description: String { rawValue }

    /// The system the invariant belongs to (the part before the dot).
    public var system: TraceSystem? {
        TraceSystem(rawValue: String(rawValue.prefix { $0 != "." }))
    }
}

extension Invariant {
    // MARK: mirror
    /// Applies of each stream carry sn 1, 2, ..., k in order; each entry and lsn appended once.
    public static let mirrorStreamOrder = Invariant(rawValue: "mirror.stream-order")
    /// Every apply comes after a recv of the same entry at the secondary.
    public static let mirrorApplyAfterRecv = Invariant(rawValue: "mirror.apply-after-recv")
    /// Every dep of an appended entry is applied before the entry.
    public static let mirrorBarrier = Invariant(rawValue: "mirror.barrier")
    /// Every send uses the stream's assigned path while that path is up.
    public static let mirrorAssignedPath = Invariant(rawValue: "mirror.assigned-path")
    /// Every ack comes after the apply of its entry.
    public static let mirrorAckAfterApply = Invariant(rawValue: "mirror.ack-after-apply")
    /// Every commit happens after the apply of its record (cross-node).
    public static let mirrorCommitAfterMirror = Invariant(rawValue: "mirror.commit-after-mirror")
    /// Every committed record is applied before the takeover.
    public static let mirrorNoLoss = Invariant(rawValue: "mirror.no-loss")
    /// No node records anything after its own crash.
    public static let mirrorDeadNode = Invariant(rawValue: "mirror.dead-node")

    // MARK: driver
    /// Per request: submit, stage, then complete and durable; only recovery between crash and online.
    public static let driverLifecycle = Invariant(rawValue: "driver.lifecycle")
    /// Per interface arrival order and deps are honoured by durability.
    public static let driverOrder = Invariant(rawValue: "driver.order")
    /// A sync finishes only after everything submitted before it is durable.
    public static let driverSync = Invariant(rawValue: "driver.sync")
    /// Recovered requests of each interface are a prefix closed under deps.
    public static let driverRecoveredPrefix = Invariant(rawValue: "driver.recovered-prefix")
    /// Every request durable in an epoch is recovered after its crash.
    public static let driverNoLoss = Invariant(rawValue: "driver.no-loss")

    // MARK: recovery
    /// Registrations precede begin, name each consumer once, and form a DAG of known names.
    public static let recoveryAcyclic = Invariant(rawValue: "recovery.acyclic")
    /// Hard deps succeeded and soft deps finished before a consumer starts (cross-node).
    public static let recoveryDepsFirst = Invariant(rawValue: "recovery.deps-first")
    /// A consumer processes a tagged log only after its tagger finished with it.
    public static let recoveryLogsFirst = Invariant(rawValue: "recovery.logs-first")
    /// Each consumer is notified, started and ended at most once, in that order.
    public static let recoveryOnce = Invariant(rawValue: "recovery.once")
    /// Skipped consumers never start, and exactly the dependents of failures are skipped.
    public static let recoverySkip = Invariant(rawValue: "recovery.skip")
    /// A finished run accounts for every consumer, after all of them.
    public static let recoveryComplete = Invariant(rawValue: "recovery.complete")

    /// Every invariant of `system`, in the format page's order.
    public static func all(for system: TraceSystem) -> [Invariant] {
        switch system {
        case .mirror:
            [.mirrorStreamOrder, .mirrorApplyAfterRecv, .mirrorBarrier, .mirrorAssignedPath,
             .mirrorAckAfterApply, .mirrorCommitAfterMirror, .mirrorNoLoss, .mirrorDeadNode]
        case .driver:
            [.driverLifecycle, .driverOrder, .driverSync, .driverRecoveredPrefix, .driverNoLoss]
        case .recovery:
            [.recoveryAcyclic, .recoveryDepsFirst, .recoveryLogsFirst, .recoveryOnce,
             .recoverySkip, .recoveryComplete]
        }
    }
}
