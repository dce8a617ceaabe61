import Foundation
import Specs
import Trace
import Z3

/// Turns obligations into Z3 queries and reads the answers back as trace events.
///
/// Owns one Z3 context; not thread-safe (Z3 contexts are not), so each thread makes its own.
final class Prover {
    /// What a refutation query found.
    enum Refutation {
        /// A linearization of the events involved that breaks the obligation.
        case linearization([EventID])
        /// The solver proved the obligation after all: the engines disagree.
        case disagreement
        /// The solver gave up.
        case unknown(String)
    }

    private let context: Z3Context
    /// The solver every order query runs in, each in a scope of its own (a fresh solver per
    /// query costs milliseconds).
    private let orders: Z3Solver
    private let timeout: Duration
    /// Z3's deterministic work bound per query (`rlimit`), if any.
    private let resourceLimit: Int?
    /// The goals of the batch being proved that the solver left undecided (the first few).
    private var unproved: [(before: EventID, after: EventID)] = []
    /// How many obligations of the batch being proved the solver left undecided.
    private var unprovedCount = 0
    /// Undecided goals kept per batch, to name in the report.
    private let unprovedKept = 5

    /// Makes a prover whose queries end as unknown past `timeout`, past `resourceLimit` or once
    /// `cancellation` is cancelled.
    init(timeout: Duration, resourceLimit: Int? = nil, cancellation: CheckCancellation? = nil) {
        self.context = Z3Context(cancellation: cancellation?.solver)
        self.orders = Z3Solver(context: context, logic: "QF_IDL", resourceLimit: resourceLimit)
        self.timeout = timeout
        self.resourceLimit = resourceLimit
    }

    /// Proves one batch.
    func prove(_ batch: ProofBatch) -> BatchOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        var disagreements: [String] = []
        unproved = []
        unprovedCount = 0
        let result: CheckReport.ProofResult
        switch batch {
        case .orders(let invariant, let obligations):
            result = proveOrders(invariant, obligations[...], disagreements: &disagreements)
        case .ranking(let invariant, let ranks, let edges):
            result = proveRanking(invariant, ranks: ranks, edges: edges, disagreements: &disagreements)
        }
        let elapsed = start.duration(to: clock.now)
        return BatchOutcome(
            invariant: batch.invariant, result: result, goals: batch.goalCount,
            ms: elapsed.milliseconds,
            disagreements: disagreements, unproved: unproved, unprovedCount: unprovedCount)
    }

    /// Proves a window: goals on one node (a single program step) in queries of their own,
    /// each a comparison of seqs, which is exactly one node's order; goals across nodes in
    /// others, each with the steps of its certificate (see `Z3OrderQuery`). No query gives
    /// events free positions: Z3's arithmetic over many of them cost tens of microseconds a goal.
    private func proveOrders(
        _ invariant: Invariant, _ obligations: ArraySlice<OrderObligation>, disagreements: inout [String]
    ) -> CheckReport.ProofResult {
        // `CheckSink.compress` lists the goals on one node first: then the two kinds are
        // slices of the batch (copying half a million goals cost more than finding them).
        let local: ArraySlice<OrderObligation>, crossing: ArraySlice<OrderObligation>
        let split = obligations.firstIndex { !$0.isProgramOrder } ?? obligations.endIndex
        if obligations[split...].allSatisfy({ !$0.isProgramOrder }) {
            (local, crossing) = (obligations[..<split], obligations[split...])
        } else {
            (local, crossing) = (obligations.filter(\.isProgramOrder)[...], obligations.filter { !$0.isProgramOrder }[...])
        }
        // Queries of 128 goals cost least in all (measured on 1M events: goals on one node
        // 200 ms CPU at 128, 225 at 256, 255 at 512, 210 at 64; across nodes 115 ms at 128,
        // 130 at 256): the table's numerals and comparisons stay few and warm, and a query
        // costs Z3 about 2 us beyond its goals.
        let chunk = 128
        var results: [CheckReport.ProofResult] = []
        for (goals, onOneNode) in [(local, true), (crossing, false)] {
            var start = goals.startIndex
            while start < goals.endIndex {
                let end = min(start + chunk, goals.endIndex)
                results.append(onOneNode
                    ? provePinned(invariant, goals[start..<end], disagreements: &disagreements)
                    : proveCrossing(invariant, goals[start..<end], disagreements: &disagreements))
                start = end
            }
        }
        if results.contains(.unknown) { return .unknown }
        return results.contains(.refuted) ? .refuted : .proved
    }

    /// Goals on one node: each is its one program step, "same node, lower seq", in numerals.
    private func provePinned(
        _ invariant: Invariant, _ obligations: ArraySlice<OrderObligation>, disagreements: inout [String]
    ) -> CheckReport.ProofResult {
        guard !obligations.isEmpty else { return .proved }
        var nodes = NodeNumbers()
        var events: [(node: Int, seq: Int)] = []
        var goals: [Z3OrderQuery.Goal] = []
        events.reserveCapacity(2 * obligations.count)
        goals.reserveCapacity(obligations.count)
        for ob in obligations {
            let b = events.count, a = b + 1
            events.append((nodes.number(ob.before.node), ob.before.seq))
            events.append((nodes.number(ob.after.node), ob.after.seq))
            goals.append(Z3OrderQuery.Goal(before: b, after: a, steps: []))
        }
        let query = Z3OrderQuery(events: events, goals: goals)
        return proveGroup(invariant, query, obligations, origin: obligations.startIndex, disagreements: &disagreements)
    }

    /// Goals across nodes: each with its steps. Events are listed as the steps name them,
    /// once per mention (the query tells events apart by node and seq), and each cause step
    /// has its fact: hashing events to share them cost more than the solver saved.
    private func proveCrossing(
        _ invariant: Invariant, _ obligations: ArraySlice<OrderObligation>, disagreements: inout [String]
    ) -> CheckReport.ProofResult {
        var nodes = NodeNumbers()
        var events: [(node: Int, seq: Int)] = []
        var causes: [(from: Int, to: Int)] = []
        var goals: [Z3OrderQuery.Goal] = []
        events.reserveCapacity(8 * obligations.count)
        goals.reserveCapacity(obligations.count)
        func event(_ id: EventID) -> Int {
            events.append((nodes.number(id.node), id.seq))
            return events.count - 1
        }
        for ob in obligations {
            var steps: [Z3OrderQuery.Step] = []
            steps.reserveCapacity(ob.facts.count)
            for step in ob.facts {
                let from = event(step.from), to = event(step.to)
                switch step.kind {
                case .program:
                    steps.append(.program(from: from, to: to))
                case .cause:
                    steps.append(.cause(causes.count))
                    causes.append((from, to))
                }
            }
            goals.append(Z3OrderQuery.Goal(before: event(ob.before), after: event(ob.after), steps: steps))
        }
        let query = Z3OrderQuery(events: events, causes: causes, goals: goals)
        return proveGroup(
            invariant, query, obligations, origin: obligations.startIndex, disagreements: &disagreements)
    }

    /// Asks whether some goal of `query` for `obligations` can fail (goal `k` of the query is
    /// the obligation at index `origin + k`); UNSAT proves them all. On SAT, halves the range
    /// to name each goal the solver could break.
    private func proveGroup(
        _ invariant: Invariant, _ query: Z3OrderQuery, _ obligations: ArraySlice<OrderObligation>,
        origin: Int, disagreements: inout [String]
    ) -> CheckReport.ProofResult {
        guard !obligations.isEmpty else { return .proved }
        let goals = (obligations.startIndex - origin)..<(obligations.endIndex - origin)
        let answer: Z3Result
        do { answer = try orders.checkSomeGoalFails(query, goals: goals, timeout: timeout) } catch {
            noteUnproved(obligations)
            return .unknown
        }
        switch answer {
        case .unsat:
            return .proved
        case .unknown:
            noteUnproved(obligations)
            return .unknown
        case .sat:
            if obligations.count == 1 {
                let ob = obligations.first!
                disagreements.append("\(invariant): the graph engine proved \(ob.before) happens-before \(ob.after), but Z3 found an order that breaks it from the same steps")
                return .refuted
            }
            let mid = obligations.startIndex + obligations.count / 2
            let left = proveGroup(invariant, query, obligations[..<mid], origin: origin, disagreements: &disagreements)
            let right = proveGroup(invariant, query, obligations[mid...], origin: origin, disagreements: &disagreements)
            if left == .unknown || right == .unknown { return .unknown }
            return .refuted
        }
    }

    /// Remembers a group the solver left undecided: its first goals, and how many it stood for.
    private func noteUnproved(_ obligations: ArraySlice<OrderObligation>) {
        unprovedCount += obligations.reduce(0) { $0 + $1.covers }
        for ob in obligations.prefix(max(0, unprovedKept - unproved.count)) {
            unproved.append((ob.before, ob.after))
        }
    }

    /// Fixes each vertex's rank and asks whether some edge goes backwards; UNSAT proves the
    /// ranking is a topological order, so the graph is acyclic.
    private func proveRanking(
        _ invariant: Invariant, ranks: [Int], edges: [(from: Int, to: Int)], disagreements: inout [String]
    ) -> CheckReport.ProofResult {
        let solver = Z3Solver(context: context, logic: "QF_IDL", resourceLimit: resourceLimit)
        let r = ranks.indices.map { context.intConstant("r\($0)") }
        for (i, rank) in ranks.enumerated() { solver.assert(r[i] .== context.int(rank)) }
        solver.assert(context.or(edges.map { r[$0.from] >= r[$0.to] }))
        do {
            switch try solver.check(timeout: timeout) {
            case .unsat: return .proved
            case .unknown:
                unprovedCount += 1
                return .unknown
            case .sat:
                disagreements.append("\(invariant): Z3 found an edge against the graph engine's ranking")
                return .refuted
            }
        } catch {
            unprovedCount += 1
            return .unknown
        }
    }

    /// Asks for ranks along `cycle` that respect every edge: UNSAT confirms no ranking exists.
    ///
    /// A long cycle is confirmed in segments of at most `segment` edges: one query per segment
    /// shows that ranks rise from its first vertex to its last, and the segments' first
    /// vertices then form a shorter cycle, confirmed the same way. A whole cycle in one query
    /// makes Z3's difference logic take memory quadratic in its length (some 6 GB at 15,000
    /// edges) and overrun its timeout.
    func refuteRanking(cycle: [Int], segment: Int = 256) -> CheckReport.ProofResult {
        var ring = cycle
        let segment = max(segment, 2)  // each round must shorten the ring
        while ring.count > segment {
            var firsts: [Int] = []
            var start = 0
            while start < ring.count {
                let end = min(start + segment, ring.count)
                let path = (start...end).map { ring[$0 % ring.count] }
                // UNSAT: the ranks cannot fail to rise along the path.
                let rises = refuteRanking(path: path, closing: false)
                guard rises == .refuted else { return rises }
                firsts.append(ring[start])
                start = end
            }
            ring = firsts
        }
        return refuteRanking(path: ring, closing: true)
    }

    /// Ranks rising along `path`, and back to its first vertex (`closing`), or not above the
    /// first at its last vertex (not `closing`): UNSAT (`.refuted`) either way refutes them.
    private func refuteRanking(path: [Int], closing: Bool) -> CheckReport.ProofResult {
        let solver = Z3Solver(context: context, logic: "QF_IDL", resourceLimit: resourceLimit)
        let r = path.map { context.intConstant("r\($0)") }
        for i in 0..<(path.count - 1) { solver.assert(r[i] < r[i + 1]) }
        if closing {
            solver.assert(r[path.count - 1] < r[0])
        } else {
            solver.assert(r[path.count - 1] <= r[0])
        }
        do {
            switch try solver.check(timeout: timeout) {
            case .unsat: return .refuted
            case .unknown: return .unknown
            case .sat: return .proved
            }
        } catch {
            return .unknown
        }
    }

    /// Looks for an order of the events in `facts` (steps of happens-before) in which `after`
    /// comes before `before`: the counterexample to "`before` happens-before `after`".
    func refute(before: EventID, after: EventID, facts: [HappensBeforeStep]) -> Refutation {
        let solver = Z3Solver(context: context, logic: "QF_IDL", resourceLimit: resourceLimit)
        var terms: [EventID: Z3Term] = [:]
        var order: [EventID] = [before, after]
        for step in facts {
            solver.assert(term(step.from, &terms) < term(step.to, &terms))
            order += [step.from, step.to]
        }
        solver.assert(term(after, &terms) < term(before, &terms))
        do {
            switch try solver.check(timeout: timeout) {
            case .unsat:
                return .disagreement
            case .unknown(let reason):
                return .unknown(reason)
            case .sat(let model):
                var seen = Set<EventID>()
                let events = order.filter { seen.insert($0).inserted }
                let positions = events.map { model.int(terms[$0]!) ?? 0 }
                let sorted = zip(events, positions).sorted { $0.1 < $1.1 }.map(\.0)
                return .linearization(sorted)
            }
        } catch {
            return .unknown("\(error)")
        }
    }

    /// Numbers for node names, compared byte for byte; a trace has few nodes, so a scan.
    private struct NodeNumbers {
        private var names: [String] = []

        mutating func number(_ name: String) -> Int {
            if let i = names.firstIndex(where: { $0.exactlyEquals(name) }) { return i }
            names.append(name)
            return names.count - 1
        }
    }

    private func term(_ id: EventID, _ terms: inout [EventID: Z3Term]) -> Z3Term {
        if let t = terms[id] { return t }
        let t = context.intConstant(number: terms.count)
        terms[id] = t
        return t
    }
}
