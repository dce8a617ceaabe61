/// Answers "does some fate assignment allowed by the domains and constraints of a
/// `CrashFates` give each of these writes a value in its mask?", many times over one state of
/// the fates: a read's enumeration asks once per branch (`CrashFates.outcomes`).
///
/// Made once per read (and for the contents check's fallback): the writes are grouped by the constraints that link them
/// (`CrashFates.linkedGroups()`), so a question searches only the groups its writes are in,
/// each on its own. The constraints are satisfiable together, so an untouched group can be met
/// whatever the others choose, and groups share no write, so searching them one by one is
/// exact; searching them as one would multiply the backtracking of a failing question by
/// every group it passes.
///
/// Backtracking narrows one scratch array of domains and undoes its changes from a trail, so
/// a question that restricts some writes allocates nothing once the scratch has grown. A value
/// type; `satisfiable` is `mutating`, so each thread asks its own copy.
package struct FateSolver {
    /// The constraints, as in the fates.
    private let constraints: [CrashFates.Constraint]
    /// Per write: its group (an index into `groups`), or -1 when no constraint names it.
    private let groupOf: [Int]
    /// Per group: its constraints (indices into `constraints`), in their order.
    private let groups: [[Int]]
    /// The domains, narrowed while a question is asked and restored after.
    private var domains: [UInt64]
    /// Changes to undo: (write, its domain before).
    private var trail: [(write: Int, domain: UInt64)] = []
    /// The groups a question touches (scratch).
    private var touched: [Int] = []
    /// Per group: the question that last touched it (scratch; 0 for none).
    private var mark: [Int]
    /// The number of questions asked, to tell marks apart.
    private var asked = 0

    /// A solver over the domains and constraints of `fates` as they are now.
    package init(_ fates: CrashFates) {
        constraints = fates.constraints
        domains = fates.writes.map(\.domain)
        let root = fates.linkedGroups()
        var groupOfRoot = [Int](repeating: -1, count: fates.writes.count)
        var groups: [[Int]] = []
        for (c, constraint) in constraints.enumerated() {
            let r = root[constraint.writes[0]]
            if groupOfRoot[r] < 0 {
                groupOfRoot[r] = groups.count
                groups.append([])
            }
            groups[groupOfRoot[r]].append(c)
        }
        groupOf = fates.writes.indices.map { groupOfRoot[root[$0]] }
        self.groups = groups
        mark = [Int](repeating: 0, count: groups.count)
    }

    /// Whether some assignment the domains and constraints allow gives each of `restricted`
    /// (write indices) a value in its mask of `masks`; with none restricted, whether the
    /// constraints can be met at all.
    package mutating func satisfiable<W: Collection<Int>, M: Collection<UInt64>>(restricting restricted: W, to masks: M) -> Bool {
        asked += 1
        touched.removeAll(keepingCapacity: true)
        trail.removeAll(keepingCapacity: true)
        defer { undo(to: 0) }
        for (w, mask) in zip(restricted, masks) {
            let narrowed = domains[w] & mask
            if narrowed == 0 { return false }
            if narrowed != domains[w] {
                trail.append((w, domains[w]))
                domains[w] = narrowed
            }
            let g = groupOf[w]
            if g >= 0, mark[g] != asked {
                mark[g] = asked
                touched.append(g)
            }
        }
        if restricted.isEmpty { touched = Array(groups.indices) }
        for g in touched where !search(groups[g], from: 0) { return false }
        return true
    }

    /// Backtracking over the constraints `group[k...]`: some box of each fits the domains left.
    /// Leaves the domains as it found them.
    private mutating func search(_ group: [Int], from k: Int) -> Bool {
        guard k < group.count else { return true }
        let constraint = constraints[group[k]]
        for box in constraint.boxes {
            let saved = trail.count
            var fits = true
            for (j, w) in constraint.writes.enumerated() {
                let narrowed = domains[w] & box[j]
                if narrowed == 0 { fits = false; break }
                if narrowed != domains[w] {
                    trail.append((w, domains[w]))
                    domains[w] = narrowed
                }
            }
            let found = fits && search(group, from: k + 1)
            undo(to: saved)
            if found { return true }
        }
        return false
    }

    /// Restores the domains changed since the trail held `count` entries.
    private mutating func undo(to count: Int) {
        while trail.count > count {
            let last = trail.removeLast()
            domains[last.write] = last.domain
        }
    }
}
