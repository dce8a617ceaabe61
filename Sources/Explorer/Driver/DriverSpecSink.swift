import Specs
import Trace

/// The sink for the driver spec that `DriverSimulation` runs along with its trace, to know the
/// spec's state (for fingerprints; the verdict itself comes from `SpecRunner`). A driver trace
/// has one node, so happens-before is seq order; violations are dropped.
final class DriverSpecSink: SpecSink {
    func report(_ violation: Violation) {}

    func happensBefore(_ a: EventID, _ b: EventID) -> Bool { a.node == b.node && a.seq < b.seq }

    func require(
        _ invariant: Invariant, _ before: EventStamp, happensBefore after: EventStamp,
        message: @autoclosure () -> String
    ) -> Bool {
        happensBefore(before.id, after.id)
    }

    func requireAcyclic(
        _ invariant: Invariant, vertices: [String], edges: [(from: Int, to: Int)], stamps: [EventStamp]
    ) -> [Int]? {
        nil
    }
}
