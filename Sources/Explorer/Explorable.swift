/// A system the explorer can drive: a deterministic model of one configuration of a system's
/// core under the simulated runtime, where every nondeterministic choice (which message is
/// delivered, which I/O completes, where power fails, which fate a cached write meets) is made
/// by the explorer.
///
/// A value type: the explorer copies it to branch. It must be deterministic: the same choices
/// from the same start give the same states and events, in any process (no clock, randomness,
/// or iteration order of a `Set` or `Dictionary`).
public protocol Explorable: Sendable {
    /// One nondeterministic choice; counterexamples show it as `describe(_:)` gives it.
    associatedtype Choice: Hashable & Sendable & CustomStringConvertible

    /// The choices enabled now, in a deterministic order. Empty: the execution is over.
    func choices() -> [Choice]

    /// Takes one enabled choice.
    mutating func apply(_ choice: Choice)

    /// A hash of everything that decides the future, and preferably nothing else: states with
    /// equal fingerprints are explored once. Must not depend on hashing seeds (use
    /// `StableHasher` from the trace library).
    func fingerprint() -> UInt64

    /// The fingerprint, and in `keys` a key for each enabled choice (if any) whose successor is
    /// decided by part of this state alone, such as a crash that forgets the crashed node:
    /// two states whose keys for one choice are equal lead by it to states with equal
    /// fingerprints and equal verdicts, and the keys of different choices differ. The
    /// exhaustive search remembers the state each key led to, and where a visit of that state
    /// would be pruned on arrival (it is entered already, with nothing left for this visit to
    /// take) it counts the step without taking it. Defaults to `fingerprint()` and no keys.
    func fingerprint(successorKeys keys: inout [(choice: Choice, key: UInt64)]) -> UInt64

    /// Whether `a` and `b`, both enabled now, commute: neither disables the other, and taking
    /// them in either order leads to states with the same future (the same choices, verdicts
    /// and successors; equal fingerprints are the simplest proof, see `commuteByTrial`). Used
    /// for partial-order reduction; answering false is always safe.
    func independent(_ a: Choice, _ b: Choice) -> Bool

    /// The revision of the system's model of choices: bumped when a build changes which
    /// execution a choice index names (the order of `choices()`, say) while the start state's
    /// fingerprint stays the same, so that replay tokens made before are refused (their model
    /// stamp, `ReplayToken.model(of:)`, differs) rather than replayed into another execution.
    /// Defaults to 0.
    static var modelRevision: UInt32 { get }

    /// Whether partial-order reduction pays where states are cached: false where
    /// `independent(_:_:)` mostly tries both orders (`commuteByTrial`, four steps a pair),
    /// which then costs more than the steps its sleep sets prune (the cache already skips the
    /// states they lead to). The command line then reduces only without caching
    /// (`ExplorationOptions.suited(to:)`). Defaults to true.
    static var reductionPaysWithCaching: Bool { get }

    /// The verdict on the execution so far: nil when no invariant is broken.
    func violation() -> ExplorationViolation?

    /// The lane (actor) `choice` belongs to: a path, a worker, the device. PCT search gives each
    /// lane a priority and runs the highest-priority lane's choice. Defaults to 0 (one lane).
    func lane(of choice: Choice) -> Int

    /// How `choice`, enabled now, reads in a counterexample: its `description` by default. A
    /// system whose choices would cost work to describe at every state (what an I/O is for,
    /// say) leaves that out of `choices()` and adds it here, when a path is replayed.
    func describe(_ choice: Choice) -> String

    /// This start state built again from nothing, sharing no storage with it; nil when the
    /// system cannot (the default). A search on several threads gives each its own, and each
    /// thread replays its subtrees' paths from it: threads that retain and release one shared
    /// buffer at every branch slow each other down.
    func rebuilt() -> Self?

    /// This state tallying nothing into the statistics its copies share (crash points and
    /// recoveries, for the report): what runs after the search (shrinking a counterexample,
    /// the canonical one's search) goes over states the search counted already. Defaults to
    /// the state itself.
    func untallied() -> Self
}

extension Explorable {
    /// One lane for every choice (PCT then always takes the first enabled choice).
    public func lane(of choice: Choice) -> Int { 0 }

    /// The choice's `description`.
    public func describe(_ choice: Choice) -> String { choice.description }

    /// None: every thread shares the start state's storage.
    public func rebuilt() -> Self? { nil }

    /// The state itself: it tallies nothing.
    public func untallied() -> Self { self }

    /// `fingerprint()`, and no keys.
    public func fingerprint(successorKeys keys: inout [(choice: Choice, key: UInt64)]) -> UInt64 { fingerprint() }

    /// True: `independent(_:_:)` is cheap enough to pay with caching too.
    public static var reductionPaysWithCaching: Bool { true }

    /// 0: no revision since the model stamp came in.
    public static var modelRevision: UInt32 { 0 }
}

/// An invariant an execution broke, found by the explorer.
public struct ExplorationViolation: Sendable, Equatable, Error, CustomStringConvertible {
    /// What kind of rule was broken, which says what a user can do with the execution's trace.
    public enum Kind: String, Sendable, Equatable, Codable {
        /// An invariant of the trace format: `plumb check` rejects the execution's trace with it.
        case traceInvariant
        /// A check of the explorer's own, beyond what a trace records (the device's bytes, a run
        /// that can never finish): `plumb check` passes the trace, the replay shows the failure.
        case explorerCheck
    }

    /// The invariant's name (a name from the trace format, such as `driver.order`).
    public var invariant: String
    /// What went wrong, for people.
    public var message: String
    /// Whether the trace shows it, or only the explorer.
    public var kind: Kind

    /// Makes a violation.
    public init(invariant: String, message: String, kind: Kind) {
        self.invariant = invariant
        self.message = message
        self.kind = kind
    }

    /// `invariant: message`.
    public var description: String { "\(invariant): \(message)" }
}
