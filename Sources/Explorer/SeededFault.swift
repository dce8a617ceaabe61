import Driver
import Mirror
import Recovery

/// A deliberate bug in one of the shipped cores, there to show that the explorer finds what it
/// claims to find: `plumb explore selftest` turns each on, searches the bounds that show it,
/// and checks the counterexample is found, shrunk and replayed. The cores carry the flags in a
/// `package` type, so no user of the libraries can switch one on.
package enum SeededFault: String, CaseIterable, Sendable {
    // The mirror.
    case commitsBeforeAck, skipsResendAfterPathFailure, appliesOnReceipt, ignoresBarriers, appliesAfterTakeover
    // The driver.
    case durableOutOfOrder, recoveryStopsEarly, acceptsStaleSegments, trustsDataArea
    // The recovery framework.
    case releaseDependentsAtStart, skippedDependentsRun, skipsNotTransitive, doneBeforeEnds, processBeforeUntag

    /// The system whose core it breaks (`mirror`, `driver`, `recovery`).
    package var system: String {
        switch self {
        case .commitsBeforeAck, .skipsResendAfterPathFailure, .appliesOnReceipt, .ignoresBarriers, .appliesAfterTakeover:
            MirrorSimulation.system
        case .durableOutOfOrder, .recoveryStopsEarly, .acceptsStaleSegments, .trustsDataArea:
            DriverSimulation.system
        case .releaseDependentsAtStart, .skippedDependentsRun, .skipsNotTransitive, .doneBeforeEnds, .processBeforeUntag:
            RecoverySimulation.system
        }
    }

    /// What the bug does, in a line.
    package var summary: String {
        switch self {
        case .commitsBeforeAck: "the primary commits a record before the secondary acknowledged it"
        case .skipsResendAfterPathFailure: "the primary does not resend what a failed path carried"
        case .appliesOnReceipt: "the secondary applies entries as they arrive, out of stream order"
        case .ignoresBarriers: "the secondary applies an entry before the entries it depends on"
        case .appliesAfterTakeover: "the secondary goes on applying the old primary's entries after its takeover"
        case .durableOutOfOrder: "a later journal segment is made durable before an earlier one"
        case .recoveryStopsEarly: "recovery stops one segment before the end of the journal"
        case .acceptsStaleSegments: "recovery replays a segment of an earlier image of the device"
        case .trustsDataArea: "recovery trusts the data area instead of patching it from the journal"
        case .releaseDependentsAtStart: "a consumer's dependents start when it starts, not when it succeeds"
        case .skippedDependentsRun: "dependents of a skipped consumer may still start"
        case .skipsNotTransitive: "a failure skips only the direct dependents, so the walk never ends"
        case .doneBeforeEnds: "done is recorded while consumers are still running"
        case .processBeforeUntag: "a log is processed before its taggers released it"
        }
    }

    /// Bounds (a configuration's text, without the fault) whose exhaustive search shows the bug.
    /// Some faults show only at particular bounds: `appliesAfterTakeover` needs a partition (a
    /// path failure, no crash), which the default `--crashes 1` search at 2-3 records passes.
    package var showingBounds: String {
        switch self {
        case .commitsBeforeAck: "streams=1 paths=1 records=1 crashes=0 failures=0"
        case .skipsResendAfterPathFailure: "streams=1 paths=2 records=1 crashes=1 failures=1"
        case .appliesOnReceipt: "streams=2 paths=2 records=3 crashes=0 failures=1 barriers=0"
        case .ignoresBarriers: "streams=2 paths=2 records=3 crashes=0 failures=0"
        case .appliesAfterTakeover: "streams=1 paths=1 records=1 crashes=0 failures=1"
        case .durableOutOfOrder, .recoveryStopsEarly, .acceptsStaleSegments, .trustsDataArea:
            "ifaces=2 requests=2 crashes=1 torn=1"
        case .releaseDependentsAtStart:
            // Without failures: with one, a failed consumer's dependent that started anyway
            // (`recovery.skip`) is the shorter counterexample.
            "consumers=4 workers=2 failures=0 crashes=1 seed=0"
        case .skippedDependentsRun, .skipsNotTransitive, .doneBeforeEnds, .processBeforeUntag:
            "consumers=4 workers=2 failures=1 crashes=1 seed=0"
        }
    }

    /// The invariant of the first (canonical: the shortest) counterexample at `showingBounds`.
    package var expectedInvariant: String {
        switch self {
        case .commitsBeforeAck, .skipsResendAfterPathFailure: "mirror.commit-after-mirror"
        case .appliesOnReceipt: "mirror.stream-order"
        case .ignoresBarriers: "mirror.barrier"
        case .appliesAfterTakeover: "mirror.no-loss"
        case .durableOutOfOrder: "driver.sync"
        case .recoveryStopsEarly: "driver.no-loss"
        case .acceptsStaleSegments: "driver.lifecycle"
        case .trustsDataArea: DriverSimulation.contentsInvariant
        case .releaseDependentsAtStart: "recovery.deps-first"
        case .skippedDependentsRun: "recovery.skip"
        case .skipsNotTransitive: RecoverySimulation.stuckInvariant
        case .doneBeforeEnds: "recovery.complete"
        case .processBeforeUntag: "recovery.logs-first"
        }
    }

    /// The configuration text that turns it on at `showingBounds`.
    package var showingConfiguration: String { showingBounds + " faults=" + rawValue }

    /// Sets its flag in the recovery core's faults (recovery faults only).
    func turnOn(in faults: inout RecoveryCoreFaults) {
        switch self {
        case .releaseDependentsAtStart: faults.releaseDependentsAtStart = true
        case .skippedDependentsRun: faults.skippedDependentsRun = true
        case .skipsNotTransitive: faults.skipsNotTransitive = true
        case .doneBeforeEnds: faults.doneBeforeEnds = true
        case .processBeforeUntag: faults.processBeforeUntag = true
        default: break
        }
    }

    /// Whether its flag is set in the recovery core's faults.
    func isOn(in faults: RecoveryCoreFaults) -> Bool {
        switch self {
        case .releaseDependentsAtStart: faults.releaseDependentsAtStart
        case .skippedDependentsRun: faults.skippedDependentsRun
        case .skipsNotTransitive: faults.skipsNotTransitive
        case .doneBeforeEnds: faults.doneBeforeEnds
        case .processBeforeUntag: faults.processBeforeUntag
        default: false
        }
    }
}
