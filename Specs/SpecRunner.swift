import Trace

/// Replays a trace held in memory through a spec, with happens-before decided by the graph
/// engine alone (no solver): for tests and for the explorer's per-execution checks.
package enum SpecRunner {
    /// What a replay found.
    package struct Outcome: Sendable {
        /// Every violation, in the order found.
        package var violations: [Violation]
        /// The invariants broken at least once.
        package var brokenInvariants: Set<Invariant> { Set(violations.map(\.invariant)) }
        /// The number of happens-before obligations made.
        package var obligations: Int
    }

    /// Replays `events` through a fresh `spec`, or throws when they are not a valid trace.
    package static func run<S: Spec>(_ spec: S.Type, events: [TraceEvent]) throws(TraceInputError) -> Outcome {
        let graph = try HappensBeforeGraph(events: events)
        let sink = GraphSink(clocks: graph.clocks)
        var state = S()
        for event in graph.linearized { state.observe(event, sink: sink) }
        state.finish(sink: sink)
        return Outcome(violations: sink.violations, obligations: sink.obligations)
    }
}

/// A sink that answers from a complete vector-clock index. Not thread-safe.
final class GraphSink: SpecSink {
    let clocks: VectorClockIndex
    var violations: [Violation] = []
    var obligations = 0

    init(clocks: VectorClockIndex) { self.clocks = clocks }

    func report(_ violation: Violation) { violations.append(violation) }

    func happensBefore(_ a: EventID, _ b: EventID) -> Bool { clocks.happensBefore(a, b) }

    func require(
        _ invariant: Invariant, _ before: EventStamp, happensBefore after: EventStamp,
        message: @autoclosure () -> String
    ) -> Bool {
        obligations += 1
        if clocks.happensBefore(before.id, after.id) { return true }
        violations.append(Violation(invariant, message(), events: [before, after]))
        return false
    }

    func requireAcyclic(
        _ invariant: Invariant, vertices: [String], edges: [(from: Int, to: Int)], stamps: [EventStamp]
    ) -> [Int]? {
        obligations += 1
        guard let cycle = Ranking.cycle(vertexCount: vertices.count, edges: edges) else { return nil }
        let names = (cycle + [cycle[0]]).map { vertices[$0] }.joined(separator: " -> ")
        violations.append(Violation(invariant, "dependency cycle: \(names)", events: cycle.map { stamps[$0] }))
        return cycle
    }
}
