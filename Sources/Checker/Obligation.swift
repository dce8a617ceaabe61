import Specs
import Trace

/// "`before` happens-before `after`", with the steps of happens-before that the graph engine
/// found: the certificate the solver checks.
struct OrderObligation: Sendable {
    var before: EventID
    var after: EventID
    var facts: [HappensBeforeStep]
    /// The spec's obligations this goal stands for (see `CheckSink.compress`).
    var covers: Int = 1
    /// Made by `programOrder`: both events on one node, the one step between them implied.
    private var sameNode = false

    /// A goal with the steps that prove it.
    init(before: EventID, after: EventID, facts: [HappensBeforeStep], covers: Int = 1) {
        self.before = before
        self.after = after
        self.facts = facts
        self.covers = covers
    }

    /// "`before` happens-before `after`" on one node: its one step, program order, is implied,
    /// so no array of steps is made for the most common goal. The caller compared the nodes'
    /// names (once: a second comparison per goal showed in profiles); were they two nodes,
    /// the solver would still refuse the goal, since no program step joins two nodes.
    static func programOrder(before: EventID, after: EventID) -> OrderObligation {
        var ob = OrderObligation(before: before, after: after, facts: [])
        ob.sameNode = true
        return ob
    }

    /// "`before` happens-before `after`" on one node, linking a member of a group of
    /// obligations to the group's goal (see `CheckSink.compress`): proved like `programOrder`,
    /// it stands for no obligation of its own.
    static func link(_ before: EventID, _ after: EventID) -> OrderObligation {
        var ob = programOrder(before: before, after: after)
        ob.covers = 0
        return ob
    }

    /// Both events on one node: the goal is that node's seq order, nothing else.
    var isProgramOrder: Bool {
        if sameNode { return true }
        return before.node.exactlyEquals(after.node) && facts.count == 1 && facts[0].kind == .program
            && facts[0].from == before && facts[0].to == after
    }
}

/// A unit of work for the solver: one invariant's obligations, checked in one query.
enum ProofBatch: Sendable {
    /// Obligations the graph engine says hold: the query "some goal fails" must be UNSAT.
    case orders(Invariant, [OrderObligation])
    /// A dependency graph with the ranking the graph engine computed: "some edge goes
    /// backwards" must be UNSAT.
    case ranking(Invariant, ranks: [Int], edges: [(from: Int, to: Int)])

    var invariant: Invariant {
        switch self {
        case .orders(let inv, _), .ranking(let inv, _, _): inv
        }
    }

    var goalCount: Int {
        switch self {
        case .orders(_, let obs): obs.reduce(0) { $0 + $1.covers }
        case .ranking: 1
        }
    }
}

/// What the solver made of a batch.
struct BatchOutcome: Sendable {
    var invariant: Invariant
    var result: CheckReport.ProofResult
    var goals: Int
    var ms: Double
    /// Goals the graph engine said hold but the solver could break: a bug in Plumb.
    var disagreements: [String]
    /// The first few goals the solver left undecided ("before happens-before after"); a
    /// ranking left undecided has no events and is counted only.
    var unproved: [(before: EventID, after: EventID)] = []
    /// How many of the batch's obligations the solver left undecided.
    var unprovedCount = 0
}
