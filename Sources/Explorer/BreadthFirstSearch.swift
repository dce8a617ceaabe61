/// The canonical counterexample: the first violating state in breadth-first order from the
/// start (choices taken in their order, states merged by fingerprint), which is the same
/// whatever the threads, shards or strategy that first showed a violation exists, and is as
/// short as any counterexample can be.
///
/// Run only once a search has found a violation, within `limit` states; nil when the limit or
/// a depth bound is reached first, or `shouldStop` says so (the exploration's time budget or a
/// cancellation): the search's own shrunk counterexample then stands.
struct BreadthFirstSearch<System: Explorable> {
    let start: System
    let limit: Int
    let depthBound: Int?

    /// The first violation in breadth-first order, as a path and its violation.
    func firstViolation(shouldStop: () -> Bool = { false }) -> Counterexample? {
        if let violation = start.violation() { return Counterexample(path: [], steps: [], violation: violation) }
        var seen = VisitedTable()
        seen.insert(start.fingerprint())
        // Every state discovered: its parent's number and the choice index that reached it.
        var parents: [Int32] = [-1]
        var indices: [Int32] = [-1]
        var level: [(state: System, number: Int)] = [(start, 0)]
        var depth = 0
        while !level.isEmpty {
            if let depthBound, depth >= depthBound { return nil }
            var next: [(state: System, number: Int)] = []
            for (state, number) in level {
                if number % 64 == 0 && shouldStop() { return nil }
                for (index, choice) in state.choices().enumerated() {
                    var child = state
                    child.apply(choice)
                    guard seen.insert(child.fingerprint()) else { continue }
                    let childNumber = parents.count
                    parents.append(Int32(number))
                    indices.append(Int32(index))
                    if let violation = child.violation() {
                        return Counterexample(path: path(to: childNumber, parents, indices), steps: [], violation: violation)
                    }
                    if parents.count > limit { return nil }
                    next.append((child, childNumber))
                }
            }
            level = next
            depth += 1
        }
        return nil
    }

    private func path(to number: Int, _ parents: [Int32], _ indices: [Int32]) -> [Int] {
        var result: [Int] = []
        var n = number
        while n > 0 {
            result.append(Int(indices[n]))
            n = Int(parents[n])
        }
        return result.reversed()
    }
}
