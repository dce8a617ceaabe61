/// Counterexamples that are one: the same invariant broken by the same (shrunk) path. With
/// `keepGoing` a search reaches one fault along many paths, which shrinking often brings to
/// the same short path; a report shows each distinct one once, with how many were found.
package struct CounterexampleGroup: Sendable, Equatable {
    /// The counterexample (the first found of the group).
    package var counterexample: Counterexample
    /// How many of the counterexamples grouped had this invariant and path (1 or more).
    package var count: Int

    /// Makes a group.
    package init(counterexample: Counterexample, count: Int = 1) {
        self.counterexample = counterexample
        self.count = count
    }

    /// `counterexamples` grouped by invariant and path, in the order each group was first
    /// found; the counts add up to `counterexamples.count`.
    package static func grouping(_ counterexamples: [Counterexample]) -> [CounterexampleGroup] {
        var groups: [CounterexampleGroup] = []
        var index: [Key: Int] = [:]
        for example in counterexamples {
            let key = Key(invariant: example.violation.invariant, path: example.path)
            if let i = index[key] {
                groups[i].count += 1
            } else {
                index[key] = groups.count
                groups.append(CounterexampleGroup(counterexample: example))
            }
        }
        return groups
    }

    /// What makes two counterexamples one.
    private struct Key: Hashable {
        var invariant: String
        var path: [Int]
    }
}
