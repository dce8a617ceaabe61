import CZ3

/// Happens-before certificates as plain integers, for `Z3Solver.checkSomeGoalFails`: events
/// (a node number and a seq each), cause facts, and goals "`before` happens-before `after`",
/// each with the steps of its certificate.
///
/// Z3 checks every certificate itself: a program step holds when the first of its two events
/// has the lower seq (numerals, which Z3 compares; a step between two node numbers is `false`,
/// since nothing orders them); a cause step holds by its fact; "`a` happens-before `e`" follows
/// from a step into `e` from `a`, or from one whose start `a` happens before (transitivity).
/// Events are told apart by node and seq, so one event may be listed more than once.
///
/// The two seqs of a program step are written as their offsets from the lower of them, 16-bit
/// numerals: offsets keep the seqs' order, and small ones let every query share one table of
/// numerals and comparisons (`Z3OrderTable`). Two seqs further apart than the table holds are
/// written as integers instead. No event is a free integer position: measured on 1M-event
/// traces, Z3's arithmetic over tens of thousands of free positions cost 50 to 250 us a goal;
/// these numerals and Boolean facts cost about 0.3 us a one-step goal and 1.5 us a three-step
/// one (Z3 4.8.12, queries of 256).
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
    /// means some goal does not follow from its steps. The query's assertion lives in a scope of
    /// its own, popped before this returns, so one solver answers many queries (far cheaper
    /// than a fresh solver each); its numerals, comparisons and atoms stay in the solver's
    /// `Z3OrderTable` for the next query, never asserted there. The watchdog alone keeps the
    /// timeout (see `checkWatched`); cancellation as in `check`.
    ///
    /// The query is one assertion: the cause facts the goals use, and "some goal fails", the
    /// disjunction over the goals of the negations of their steps' conditions (a goal holds
    /// when all of its conditions do).
    ///
    /// - Throws: a `Z3Error` remembered from earlier, or a failure to make a term or to check.
    package func checkSomeGoalFails(
        _ query: Z3OrderQuery, goals: Range<Int>? = nil, timeout: Duration? = nil
    ) throws(Z3Error) -> Z3Result {
        let range = goals ?? query.goals.indices
        push()
        defer { pop() }
        var terms = OrderTerms(solver: self, goals: range.count)
        defer { terms.release() }
        var failures: [Z3_ast?] = []
        failures.reserveCapacity(2 * range.count)
        for g in range { try terms.failures(of: query.goals[g], in: query, into: &failures) }
        var all = terms.facts
        all.append(try terms.keep(failures.withUnsafeBufferPointer {
            Z3_mk_or(context.raw, UInt32($0.count), $0.baseAddress)
        }, "Z3_mk_or"))
        let assertion = all.count == 1 ? all[0]! : try terms.keep(all.withUnsafeBufferPointer {
            Z3_mk_and(context.raw, UInt32($0.count), $0.baseAddress)
        }, "Z3_mk_and")
        Z3_solver_assert(context.raw, raw, assertion)
        if let error = context.lastError("Z3_solver_assert") { throw error }
        return try checkWatched(timeout: timeout)
    }
}

/// The terms of one order query, each referenced until `release`; not thread-safe (its
/// solver's context is not).
private struct OrderTerms {
    /// The solver the query is asked of.
    let solver: Z3Solver
    /// Its context, for the C calls.
    let c: Z3_context
    /// The terms every query of the solver shares.
    private let table: Z3OrderTable
    /// Terms made for this query alone, referenced until `release`.
    private var kept: [Z3_ast] = []
    /// Integer numerals, by value, for seqs further apart than the table holds.
    private var integers: [Int: Z3_ast] = [:]
    /// Free atoms made so far.
    private var atoms = 0
    /// The negations of the cause facts made so far, by index.
    private var causeFacts: [Int: Z3_ast] = [:]
    /// The cause facts the goals use, asserted with them.
    private(set) var facts: [Z3_ast?] = []

    /// Terms for a query of about `goals` goals (room made up front: growing the tables
    /// showed in profiles).
    init(solver: Z3Solver, goals: Int) {
        self.solver = solver
        self.c = solver.context.raw
        self.table = solver.orderTable
        kept.reserveCapacity(2 * goals)
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

    /// Appends to `out` the negations of the conditions that prove `goal`: "some goal fails"
    /// is their disjunction. A goal without steps is one program step from `before` to
    /// `after`. Otherwise each step `x -> y` proves "`before` happens-before `y`" from its own
    /// condition and, unless `x` is `before`, the conditions that proved `before` reached `x`
    /// (transitivity); an event that no step reached stands for a free atom, which proves
    /// nothing, so the steps must link up for the query to be UNSAT. The conditions of the
    /// last step, which must end at `after`, are the goal's.
    mutating func failures(
        of goal: Z3OrderQuery.Goal, in query: Z3OrderQuery, into out: inout [Z3_ast?]
    ) throws(Z3Error) {
        let origin = query.events[goal.before], target = query.events[goal.after]
        guard !goal.steps.isEmpty else {
            out.append(try programFails(origin, target))
            return
        }
        // The events reached so far, each with the negated conditions that reached it.
        var reached: [(event: (node: Int, seq: Int), negated: [Z3_ast?])] = []
        func same(_ x: (node: Int, seq: Int), _ y: (node: Int, seq: Int)) -> Bool {
            x.node == y.node && x.seq == y.seq
        }
        for (j, step) in goal.steps.enumerated() {
            let from: (node: Int, seq: Int), to: (node: Int, seq: Int), fails: Z3_ast
            switch step {
            case .program(let f, let t):
                (from, to) = (query.events[f], query.events[t])
                fails = try programFails(from, to)
            case .cause(let k):
                (from, to) = (query.events[query.causes[k].from], query.events[query.causes[k].to])
                fails = try factFails(k)
            }
            let last = j == goal.steps.count - 1
            if last && !same(to, target) { break }
            var negated: [Z3_ast?]
            if same(from, origin) {
                negated = []
            } else if let known = reached.first(where: { same($0.event, from) }) {
                negated = known.negated
            } else {
                negated = [try freeFails()]
            }
            negated.append(fails)
            if last {
                out += negated
                return
            }
            reached.append((to, negated))
        }
        // The steps do not end at `after`: only what reached it proves the goal.
        if let known = reached.first(where: { same($0.event, target) }) { out += known.negated } else {
            out.append(try freeFails())
        }
    }

    /// "A program step from `x` to `y` fails": for two events of one node, their seqs in
    /// numerals for Z3 to compare, `y`'s not above `x`'s: offsets from the lower of the two in
    /// the table's bit-vectors (they compare as the seqs do; one of them is 0), or the seqs
    /// themselves in integers when they are further apart than the table holds. Always, for
    /// events on two nodes, which no program step orders.
    mutating func programFails(_ x: (node: Int, seq: Int), _ y: (node: Int, seq: Int)) throws(Z3Error) -> Z3_ast {
        guard x.node == y.node else { return try keep(Z3_mk_true(c), "Z3_mk_true") }
        let low = min(x.seq, y.seq)
        let (ox, xOverflow) = x.seq.subtractingReportingOverflow(low)
        let (oy, yOverflow) = y.seq.subtractingReportingOverflow(low)
        if !xOverflow && !yOverflow && Z3OrderTable.holds(ox) && Z3OrderTable.holds(oy) {
            if let shared = try table.comparison(oy, ox) { return shared }
            return try keep(Z3OrderTable.lessOrEqual(c, try table.numeral(oy), try table.numeral(ox)), "Z3_mk_bvule")
        }
        let (nx, ny) = (try integer(x.seq), try integer(y.seq))
        return try keep(Z3_mk_le(c, ny, nx), "Z3_mk_le")
    }

    /// The integer numeral `value`, made once per query.
    private mutating func integer(_ value: Int) throws(Z3Error) -> Z3_ast {
        if let known = integers[value] { return known }
        let made = try keep(Z3_mk_int64(c, Int64(value), solver.context.intSort), "Z3_mk_int64")
        integers[value] = made
        return made
    }

    /// "The cause fact `k` fails": the negation of its atom, which the query asserts (made,
    /// and the fact added to `facts`, the first time it is named).
    mutating func factFails(_ k: Int) throws(Z3Error) -> Z3_ast {
        if let known = causeFacts[k] { return known }
        // Named apart from the free atoms: a string symbol per fact.
        var atom = try table.atom(.cause, k)
        if atom == nil { atom = try keep(Z3OrderTable.makeAtom(solver.context, .cause, k), "Z3_mk_const") }
        facts.append(atom)
        let made = try keep(Z3_mk_not(c, atom), "Z3_mk_not")
        causeFacts[k] = made
        return made
    }

    /// The negation of a fresh free atom: an event no step reached.
    mutating func freeFails() throws(Z3Error) -> Z3_ast {
        var atom = try table.atom(.reach, atoms)
        if atom == nil { atom = try keep(Z3OrderTable.makeAtom(solver.context, .reach, atoms), "Z3_mk_const") }
        atoms += 1
        return try keep(Z3_mk_not(c, atom), "Z3_mk_not")
    }
}
