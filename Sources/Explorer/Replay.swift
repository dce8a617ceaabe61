/// Re-applies `path` (an index into `choices()` at each step) from `start`, checking
/// `violation()` at the start and after every step: how counterexamples and replay tokens are
/// reproduced. Throws `ReplayDivergence` naming the first step whose index is out of range.
public func replay<System: Explorable>(
    _ start: System, path: [Int]
) throws(ReplayDivergence) -> ReplayOutcome<System> {
    var state = start
    var steps: [String] = []
    steps.reserveCapacity(path.count)
    var violation = state.violation()
    var violationStep: Int? = violation == nil ? nil : 0
    for (step, index) in path.enumerated() {
        let choices = state.choices()
        guard choices.indices.contains(index) else {
            throw ReplayDivergence(step: step, index: index, choiceCount: choices.count)
        }
        steps.append(state.describe(choices[index]))
        state.apply(choices[index])
        if violation == nil, let found = state.violation() {
            violation = found
            violationStep = step + 1
        }
    }
    return ReplayOutcome(state: state, steps: steps, violation: violation, violationStep: violationStep)
}
