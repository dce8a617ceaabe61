/// Where replaying a path led: the final state, the steps taken, and the first violation.
public struct ReplayOutcome<System: Explorable>: Sendable {
    /// The state after the whole path.
    public var state: System
    /// The `description` of each choice taken.
    public var steps: [String]
    /// The first violation seen (checked at the start and after every step); nil if none.
    public var violation: ExplorationViolation?
    /// The number of steps taken when `violation` was first seen (0: at the start).
    public var violationStep: Int?
}
