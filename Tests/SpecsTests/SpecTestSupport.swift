import Specs
import Trace

/// What the spec tests' trace builders share: events in call order, each node's seq counting up.
protocol TraceBuilding {
    /// The events, in the order written (the "line order" the runner keeps where HB allows).
    var events: [TraceEvent] { get set }
}

extension TraceBuilding {
    /// Appends an event on `node` caused by `causes` and returns its id: the node's next seq.
    @discardableResult
    mutating func add(_ node: String, _ kind: EventKind, causes: [EventID] = []) -> EventID {
        let seq = (events.last { $0.node == node }?.seq ?? 0) + 1
        events.append(TraceEvent(node: node, seq: seq, kind: kind, causes: causes))
        return EventID(node: node, seq: seq)
    }
}

/// A sink that believes every obligation, for replaying long traces quickly.
final class TrustingSink: SpecSink {
    var violations: [Violation] = []
    func report(_ violation: Violation) { violations.append(violation) }
    func happensBefore(_ a: EventID, _ b: EventID) -> Bool { true }
    func require(
        _ invariant: Invariant, _ before: EventStamp, happensBefore after: EventStamp,
        message: @autoclosure () -> String
    ) -> Bool { true }
    func requireAcyclic(
        _ invariant: Invariant, vertices: [String], edges: [(from: Int, to: Int)], stamps: [EventStamp]
    ) -> [Int]? { nil }
}
