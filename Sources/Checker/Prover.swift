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
    private let timeout: Duration
    /// The goals of the batch being proved that the solver left undecided (the first few).
    private var unproved: [(before: EventID, after: EventID)] = []
    /// How many obligations of the batch being proved the solver left undecided.
    private var unprovedCount = 0
    /// Undecided goals kept per batch, to name in the report.
    private let unprovedKept = 5

    /// Makes a prover whose queries end as unknown once `cancellation` is cancelled.
    init(timeout: Duration, cancellation: CheckCancellation? = nil) {
        self.context = Z3Context(cancellation: cancellation?.solver)
        self.timeout = timeout
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

    /// Proves a window: goals on one node (a single program step) in one query, where each
    /// event's position is pinned to its seq, which is exactly one node's order; goals across
    /// nodes in another, whose positions are free and tied only by happens-before steps.
    /// The two must stay apart: seq pins on two nodes would order them against each other.
    private func proveOrders(
        _ invariant: Invariant, _ obligations: ArraySlice<OrderObligation>, disagreements: inout [String]
    ) -> CheckReport.ProofResult {
        let local = obligations.filter(\.isProgramOrder)
        let crossing = obligations.filter { !$0.isProgramOrder }
        var results = [proveGroup(invariant, local[...], pinned: true, disagreements: &disagreements)]
        // Each cross-node goal costs the solver a conflict on a clause as long as the query's
        // goals; short queries keep that clause short.
        let chunk = 256
        var start = crossing.startIndex
        while start < crossing.endIndex {
            let end = min(start + chunk, crossing.endIndex)
            results.append(proveGroup(invariant, crossing[start..<end], pinned: false, disagreements: &disagreements))
            start = end
        }
        if results.contains(.unknown) { return .unknown }
        return results.contains(.refuted) ? .refuted : .proved
    }

    /// Asserts every step as a fact and asks whether some goal can fail; UNSAT proves them all.
    /// On SAT, halves the batch to name each goal the solver could break.
    private func proveGroup(
        _ invariant: Invariant, _ obligations: ArraySlice<OrderObligation>, pinned: Bool,
        disagreements: inout [String]
    ) -> CheckReport.ProofResult {
        guard !obligations.isEmpty else { return .proved }
        let solver = Z3Solver(context: context, logic: "QF_IDL")
        var terms: [EventID: Z3Term] = [:]
        if pinned {
            // One node's order is its seq order: each position is its seq.
            for ob in obligations {
                for id in [ob.before, ob.after] where terms[id] == nil { terms[id] = context.int(id.seq) }
            }
        } else {
            var asserted = Set<HappensBeforeStep>()
            for ob in obligations {
                for step in ob.facts where asserted.insert(step).inserted {
                    solver.assert(term(step.from, &terms) < term(step.to, &terms))
                }
            }
        }
        solver.assert(context.or(obligations.map { term($0.after, &terms) <= term($0.before, &terms) }))
        let answer: Z3Result
        do { answer = try solver.check(timeout: timeout) } catch {
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
            let left = proveGroup(invariant, obligations[..<mid], pinned: pinned, disagreements: &disagreements)
            let right = proveGroup(invariant, obligations[mid...], pinned: pinned, disagreements: &disagreements)
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
        let solver = Z3Solver(context: context, logic: "QF_IDL")
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
    func refuteRanking(cycle: [Int]) -> CheckReport.ProofResult {
        let solver = Z3Solver(context: context, logic: "QF_IDL")
        let r = cycle.map { context.intConstant("r\($0)") }
        for i in cycle.indices { solver.assert(r[i] < r[(i + 1) % cycle.count]) }
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
        let solver = Z3Solver(context: context, logic: "QF_IDL")
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

    private func term(_ id: EventID, _ terms: inout [EventID: Z3Term]) -> Z3Term {
        if let t = terms[id] { return t }
        let t = context.intConstant(number: terms.count)
        terms[id] = t
        return t
    }
}
