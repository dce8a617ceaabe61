/// Shortens a failing path (delta debugging, Zeller): a shorter path that breaks the same
/// invariant is easier to read and replays faster. A candidate counts only if every index is
/// in range when applied and the first violation it meets is of the same invariant; it is then
/// cut right after that violation. Bounded by a number of attempts (replays), and stopped
/// early by `shouldStop` (the exploration's time budget or a cancellation): the shortest path
/// found by then stands.
package struct Shrinker<System: Explorable>: Sendable {
    /// The state every path starts from.
    package var start: System
    /// The most candidate replays.
    package var maxAttempts: Int

    /// Makes a shrinker.
    package init(start: System, maxAttempts: Int = 1_000) {
        self.start = start
        self.maxAttempts = maxAttempts
    }

    /// A counterexample at most as long as `counterexample` that breaks the same invariant,
    /// with its steps and violation as replayed; `counterexample` itself when its path does not
    /// fail that way. `originalLength` keeps the length it was found with. The first replay
    /// (which describes the steps) is always made; `shouldStop` is asked before each other.
    package func shrink(_ counterexample: Counterexample, shouldStop: () -> Bool = { false }) -> Counterexample {
        var attempts = 0
        let invariant = counterexample.violation.invariant
        guard var best = attempt(counterexample.path, invariant: invariant, attempts: &attempts) else {
            return counterexample
        }
        var stopped = false
        func goOn() -> Bool {
            if !stopped && (attempts >= maxAttempts || shouldStop()) { stopped = true }
            return !stopped
        }
        var changed = true
        while changed, goOn() {
            changed = false
            // Remove chunks, halving their size down to single steps.
            var chunk = max(1, best.path.count / 2)
            while goOn() {
                var start = 0
                while start < best.path.count, goOn() {
                    var candidate = best.path
                    candidate.removeSubrange(start..<min(start + chunk, candidate.count))
                    if let shorter = attempt(candidate, invariant: invariant, attempts: &attempts) {
                        best = shorter
                        changed = true
                    } else {
                        start += chunk
                    }
                }
                if chunk == 1 { break }
                chunk /= 2
            }
            // Lower each index, smallest first.
            var position = 0
            while position < best.path.count, goOn() {
                for lower in 0..<best.path[position] where goOn() {
                    var candidate = best.path
                    candidate[position] = lower
                    if let found = attempt(candidate, invariant: invariant, attempts: &attempts) {
                        best = found
                        changed = true
                        break
                    }
                }
                position += 1
            }
        }
        var result = best
        result.originalLength = counterexample.originalLength ?? counterexample.path.count
        return result
    }

    /// Replays `path`; the counterexample up to its first violation if that is of `invariant`.
    private func attempt(_ path: [Int], invariant: String, attempts: inout Int) -> Counterexample? {
        attempts += 1
        var state = start
        var steps: [String] = []
        if let violation = state.violation() {
            return violation.invariant == invariant ? Counterexample(path: [], steps: [], violation: violation) : nil
        }
        for (step, index) in path.enumerated() {
            let choices = state.choices()
            guard choices.indices.contains(index) else { return nil }
            steps.append(state.describe(choices[index]))
            state.apply(choices[index])
            if let violation = state.violation() {
                guard violation.invariant == invariant else { return nil }
                return Counterexample(path: Array(path[...step]), steps: steps, violation: violation)
            }
        }
        return nil
    }
}
