/// Deliberate bugs for the explorer's tests: each flag makes the core break one invariant of the
/// `recovery` system in some schedules, so that a test can show the explorer finds it. All off by
/// default; never set outside tests.
package struct RecoveryCoreFaults: Sendable, Hashable {
    /// Releases a consumer's hard dependents when it starts instead of when it succeeds, so a
    /// dependent may start before its dependency ended (`recovery.deps-first`).
    package var releaseDependentsAtStart: Bool
    /// Releases the hard dependents of a skipped consumer as if it had finished: they are
    /// skipped too, but may already be ready, and then start anyway (`recovery.skip`).
    package var skippedDependentsRun: Bool
    /// Skips only the direct hard dependents of a failed consumer: theirs wait forever, and the
    /// run never reaches `done` (the explorer's `recovery.stuck`; no trace invariant sees a
    /// trace that stops).
    package var skipsNotTransitive: Bool
    /// Records `done` once no consumer waits to start, forgetting those still running
    /// (`recovery.complete`).
    package var doneBeforeEnds: Bool
    /// Grants a `process` of a log without waiting for the taggers to release it
    /// (`recovery.logs-first`).
    package var processBeforeUntag: Bool

    /// No fault: the core as shipped.
    package static let none = RecoveryCoreFaults()

    /// Makes a set of faults; every flag defaults to off.
    package init(
        releaseDependentsAtStart: Bool = false, skippedDependentsRun: Bool = false,
        skipsNotTransitive: Bool = false, doneBeforeEnds: Bool = false, processBeforeUntag: Bool = false
    ) {
        self.releaseDependentsAtStart = releaseDependentsAtStart
        self.skippedDependentsRun = skippedDependentsRun
        self.skipsNotTransitive = skipsNotTransitive
        self.doneBeforeEnds = doneBeforeEnds
        self.processBeforeUntag = processBeforeUntag
    }
}
