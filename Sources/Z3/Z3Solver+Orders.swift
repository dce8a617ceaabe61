import CZ3

/// Happens-before certificates as plain integers, for `Z3Solver.checkSomeGoalFails`: events
/// (a node number and a seq each), cause facts, and goals "`before` happens-before `after`",
/// each with the steps of its certificate.
///
/// Z3 checks every certificate itself: a program step holds when the first of its two events
/// has the lower seq (numerals, which Z3 compares; a step between two node numbers is `false`,
/// since nothing orders them; each seq is written as its offset from the lowest seq of its node
/// in the query, which keeps their order and lets every query share one table of numerals);
/// a cause step holds by its fact; "`a` happens-before `e`" follows from a step into `e` from
/// `a`, or from one whose start `a` happens before (transitivity).
/// No event is a free integer position: measured on 1M-event traces, Z3's arithmetic over tens
/// of thousands of free positions cost 50 to 250 us a goal; these numerals and Boolean chains
/// cost 2 to 3 us a one-step goal and 10 to 25 us a three-step one.
package struct Z3OrderQuery: Sendable {
    /// One step of a certificate.
    package enum Step: Sendable, Equatable {
        /// Events `from` and `to` (indices into `events`) on one node, `from`'s seq lower.
        case program(from: Int, to: Int)
        /// The cause fact `causes[k]`.
        case cause(Int)
    }

    /// One goal: `before` happens-before `after` (indices into `events`), by `steps`, from
    /// `before` to `after` in order; no steps means one program step from `before` to `after`
    /// (the common goal, made without an array).
    package struct Goal: Sendable {
        /// The earlier event.
        package var before: Int
        /// The later event.
        package var after: Int
        /// The certificate.
        package var steps: [Step]

        /// A goal with its certificate.
        package init(before: Int, after: Int, steps: [Step]) {
            self.before = before
            self.after = after
            self.steps = steps
        }
    }

    /// The events named: each one's node (a number standing for its name) and seq.
    package var events: [(node: Int, seq: Int)]
    /// Cause facts, asserted: event `from` is named in the cause of event `to`.
    package var causes: [(from: Int, to: Int)]
    /// The goals.
    package var goals: [Goal]

    /// A query over `events` with `causes` and `goals`.
    package init(events: [(node: Int, seq: Int)], causes: [(from: Int, to: Int)] = [], goals: [Goal] = []) {
        self.events = events
        self.causes = causes
        self.goals = goals
    }
}

extension Z3Solver {
    /// Asks whether the certificates of `query` leave some goal in `goals` (indices into
    /// `query.goals`, all of them by default) unproved: `.unsat` proves every goal; `.sat`
    /// means some goal does not follow from its steps. The query's terms live in a scope of
    /// their own, popped before this returns, so one solver answers many queries (far cheaper
    /// than a fresh solver each). Timeout, watchdog and cancellation as in `check`.
    ///
    /// - Throws: a `Z3Error` remembered from earlier, or a failure to make a term or to check.
    package func checkSomeGoalFails(
        _ query: Z3OrderQuery, goals: Range<Int>? = nil, timeout: Duration? = nil
    ) throws(Z3Error) -> Z3Result {
        let range = goals ?? query.goals.indices
        push()
        defer { pop() }
        var terms = OrderTerms(solver: self, query: query, goals: range.count)
        defer { terms.release() }
        // "Some goal fails": the disjunction of their negations.
        var failures: [Z3_ast?] = []
        failures.reserveCapacity(range.count)
        for g in range {
            let goal = query.goals[g]
            if goal.steps.isEmpty {
                // One program step: the goal fails when the seqs are not in order (numerals Z3
                // compares), or always when the events are on two nodes (nothing orders them).
                let (x, y) = (query.events[goal.before], query.events[goal.after])
                failures.append(x.node == y.node
                    ? try terms.compare(.lessOrEqual, y, x)
                    : try terms.keep(Z3_mk_true(context.raw), "Z3_mk_true"))
            } else {
                failures.append(try terms.not(try terms.proof(of: goal, in: query)))
            }
        }
        // One assertion for the query: the rules and facts, and that some goal fails.
        terms.rules.append(try terms.keep(failures.withUnsafeBufferPointer {
            Z3_mk_or(context.raw, UInt32($0.count), $0.baseAddress)
        }, "Z3_mk_or"))
        let all = terms.rules.count == 1 ? terms.rules[0]! : try terms.keep(terms.rules.withUnsafeBufferPointer {
            Z3_mk_and(context.raw, UInt32($0.count), $0.baseAddress)
        }, "Z3_mk_and")
        Z3_solver_assert(context.raw, raw, all)
        if let error = context.lastError("Z3_solver_assert") { throw error }
        return try check(timeout: timeout)
    }
}

/// The terms of one order query, each referenced until `release`; not thread-safe (its
/// solver's context is not).
private struct OrderTerms {
    let solver: Z3Solver
    let c: Z3_context
    /// The terms every query of the solver shares.
    private let table: Z3OrderTable
    private var kept: [Z3_ast] = []
    /// Integer numerals, by value, for the seqs of nodes too wide for the table.
    private var integers: [Int: Z3_ast] = [:]
    /// Per node number (below `baseNodes`): what its seqs are written as offsets from, the
    /// lowest of its seqs in the query; nil when its seqs span more than the table holds,
    /// and are written as they are, in integers.
    private var bases: [Int?] = []
    /// Nodes numbered from `baseNodes` on write their seqs in integers.
    private static let baseNodes = 64
    /// "a happens-before e" terms, by `a * eventCount + e`.
    private var reach: [Int: Z3_ast] = [:]
    /// Free atoms made so far.
    private var atoms = 0
    /// Cause facts made so far, by index.
    private var causeFacts: [Int: Z3_ast] = [:]
    /// The rules and cause facts, asserted with the goals in one conjunction (an assertion
    /// each cost Z3 more than the term).
    var rules: [Z3_ast?] = []
    /// The keys of `reach` whose term is a free atom (named before any step derived it).
    private var free: Set<Int> = []

    /// Terms for a query of about `goals` goals (room made up front: growing the tables
    /// showed in profiles).
    init(solver: Z3Solver, query: Z3OrderQuery, goals: Int) {
        self.solver = solver
        self.c = solver.context.raw
        self.table = solver.orderTable
        kept.reserveCapacity(4 * goals)
        var low: [Int] = [], high: [Int] = []
        for e in query.events where e.node >= 0 && e.node < Self.baseNodes {
            if low.count <= e.node {
                low += repeatElement(Int.max, count: e.node + 1 - low.count)
                high += repeatElement(Int.min, count: e.node + 1 - high.count)
            }
            low[e.node] = min(low[e.node], e.seq)
            high[e.node] = max(high[e.node], e.seq)
        }
        bases = low.indices.map { n in
            guard low[n] <= high[n] else { return nil }
            let (span, overflow) = high[n].subtractingReportingOverflow(low[n])
            return overflow || !Z3OrderTable.holds(span) ? nil : low[n]
        }
    }

    /// Drops every reference taken.
    func release() {
        for ast in kept { Z3_dec_ref(c, ast) }
    }

    /// References `ast`, throwing the error of the call that made it.
    mutating func keep(_ ast: Z3_ast?, _ call: String) throws(Z3Error) -> Z3_ast {
        if let error = solver.context.lastError(call) { throw error }
        guard let ast else { throw Z3Error(code: .exception, message: "no result", call: call) }
        Z3_inc_ref(c, ast)
        kept.append(ast)
        return ast
    }

    mutating func not(_ t: Z3_ast) throws(Z3Error) -> Z3_ast {
        try keep(Z3_mk_not(c, t), "Z3_mk_not")
    }

    /// The comparison of the seqs of two events of one node, in numerals for Z3 to compare:
    /// offsets from the node's base in the table's bit-vectors (one base for both, so they
    /// compare as the seqs do, and no offset overflows: the span was checked), or the seqs
    /// themselves in integers for a node too wide for the table.
    mutating func compare(
        _ op: Z3OrderTable.Comparison, _ x: (node: Int, seq: Int), _ y: (node: Int, seq: Int)
    ) throws(Z3Error) -> Z3_ast {
        if x.node >= 0 && x.node < bases.count, let base = bases[x.node] {
            let (ox, oy) = (x.seq - base, y.seq - base)
            if let shared = try table.comparison(op, ox, oy) { return shared }
            return try keep(Z3OrderTable.compare(c, op, try table.numeral(ox), try table.numeral(oy)), "Z3_mk_bvult")
        }
        let (nx, ny) = (try integer(x.seq), try integer(y.seq))
        return try keep(op == .less ? Z3_mk_lt(c, nx, ny) : Z3_mk_le(c, nx, ny), "Z3_mk_lt")
    }

    /// The integer numeral `value`, made once per query.
    private mutating func integer(_ value: Int) throws(Z3Error) -> Z3_ast {
        if let known = integers[value] { return known }
        let made = try keep(Z3_mk_int64(c, Int64(value), solver.context.intSort), "Z3_mk_int64")
        integers[value] = made
        return made
    }

    /// "Lower seq", in numerals for Z3 to compare, for two events on one node; `false` for
    /// events on two nodes, which no program step orders.
    mutating func program(_ x: (node: Int, seq: Int), _ y: (node: Int, seq: Int)) throws(Z3Error) -> Z3_ast {
        guard x.node == y.node else { return try keep(Z3_mk_false(c), "Z3_mk_false") }
        return try compare(.less, x, y)
    }

    /// The term "event `a` happens-before event `e`": what the steps derived, else a free atom.
    mutating func reaches(_ a: Int, _ e: Int, eventCount: Int) throws(Z3Error) -> Z3_ast {
        let key = a * eventCount + e
        if let known = reach[key] { return known }
        var made = try table.atom(.reach, atoms)
        if made == nil { made = try keep(Z3OrderTable.makeAtom(solver.context, .reach, atoms), "Z3_mk_const") }
        atoms += 1
        reach[key] = made!
        free.insert(key)
        return made!
    }

    /// Adds `premises` as a way to derive "event `a` happens-before event `e`": the first
    /// becomes its term, a later one a disjunct of it; where a goal already named its free
    /// atom, the rule "`premises` implies the atom" (as if the atom were the term all along).
    mutating func derive(_ a: Int, _ e: Int, eventCount: Int, by premises: Z3_ast) throws(Z3Error) {
        let key = a * eventCount + e
        guard let known = reach[key] else {
            reach[key] = premises
            return
        }
        if known == premises { return }
        if free.contains(key) {
            rules.append(try keep(Z3_mk_implies(c, premises, known), "Z3_mk_implies"))
            return
        }
        let either: [Z3_ast?] = [known, premises]
        reach[key] = try keep(either.withUnsafeBufferPointer { Z3_mk_or(c, 2, $0.baseAddress) }, "Z3_mk_or")
    }

    /// The term "`goal.before` happens-before `goal.after`" by the goal's steps. A goal
    /// without steps is one program step from `before` to `after`. Otherwise each step
    /// `x -> y` gives "`before` happens-before `y`" the term "the step holds, and `x` is
    /// `before` or `before` happens-before it" (transitivity, written out); an event no step
    /// reached has a free atom, which proves nothing, so the steps must link up for the
    /// query to be UNSAT. The last step's term is the goal's.
    mutating func proof(of goal: Z3OrderQuery.Goal, in query: Z3OrderQuery) throws(Z3Error) -> Z3_ast {
        let a = goal.before, n = query.events.count
        guard !goal.steps.isEmpty else { return try program(query.events[a], query.events[goal.after]) }
        for (j, step) in goal.steps.enumerated() {
            let from: Int, to: Int, cause: Int
            switch step {
            case .program(let f, let t): (from, to, cause) = (f, t, -1)
            case .cause(let k): (from, to, cause) = (query.causes[k].from, query.causes[k].to, k)
            }
            let last = j == goal.steps.count - 1
            if last && to != goal.after { break }
            let holds = cause >= 0 ? try fact(cause) : try program(query.events[from], query.events[to])
            let premises: Z3_ast
            if from == a {
                premises = holds
            } else {
                let both: [Z3_ast?] = [holds, try reaches(a, from, eventCount: n)]
                premises = try keep(both.withUnsafeBufferPointer { Z3_mk_and(c, 2, $0.baseAddress) }, "Z3_mk_and")
            }
            if last { return premises }
            try derive(a, to, eventCount: n, by: premises)
        }
        // The steps do not end at `after`: nothing proves the goal.
        return try reaches(a, goal.after, eventCount: n)
    }

    /// The cause fact `k`, added to the rules the first time it is named.
    mutating func fact(_ k: Int) throws(Z3Error) -> Z3_ast {
        if let known = causeFacts[k] { return known }
        // Named apart from the reach atoms: a string symbol per fact.
        var shared = try table.atom(.cause, k)
        if shared == nil { shared = try keep(Z3OrderTable.makeAtom(solver.context, .cause, k), "Z3_mk_const") }
        let made = shared!
        rules.append(made)
        causeFacts[k] = made
        return made
    }
}
