/// An execution that breaks an invariant: the choices to take from the start state, and what
/// broke. The path alone reproduces it (`replay(_:path:)`), and a `ReplayToken` carries it.
public struct Counterexample: Sendable, Equatable, Codable {
    /// At each step, the index of the choice taken in `choices()` of the state then.
    public var path: [Int]
    /// The `description` of each choice taken, for people.
    public var steps: [String]
    /// The invariant broken at the end of the path.
    public var violation: ExplorationViolation
    /// The path's length as found, before shrinking; nil when it was not shrunk.
    package var originalLength: Int?

    /// Makes a counterexample.
    package init(path: [Int], steps: [String], violation: ExplorationViolation, originalLength: Int? = nil) {
        self.path = path
        self.steps = steps
        self.violation = violation
        self.originalLength = originalLength
    }

    /// A token that reproduces this counterexample on `system` in `configuration`, stamped
    /// with the model of `start` when given (see `ReplayToken.model`).
    public func token<S: Explorable>(system: String, configuration: String, start: S) -> ReplayToken {
        ReplayToken(system: system, configuration: configuration, path: path, model: ReplayToken.model(of: start))
    }

    /// An unstamped token that reproduces this counterexample on `system` in `configuration`.
    package func token(system: String, configuration: String) -> ReplayToken {
        ReplayToken(system: system, configuration: configuration, path: path)
    }
}
