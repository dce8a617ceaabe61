/// A path that does not fit the system: at some step its index is past the end of the choices
/// enabled there (the token was made for another build, system or configuration).
public struct ReplayDivergence: Error, Sendable, Equatable, CustomStringConvertible {
    /// The step (0 for the first) whose index is out of range.
    public var step: Int
    /// The index the path gives at that step.
    public var index: Int
    /// How many choices were enabled at that step.
    public var choiceCount: Int

    /// Makes a divergence.
    package init(step: Int, index: Int, choiceCount: Int) {
        self.step = step
        self.index = index
        self.choiceCount = choiceCount
    }

    /// `replay diverged at step 3: choice index 5, but only 2 choices were enabled`.
    public var description: String {
        "replay diverged at step \(step): choice index \(index), but only \(choiceCount) "
            + (choiceCount == 1 ? "choice was" : "choices were") + " enabled"
    }
}
