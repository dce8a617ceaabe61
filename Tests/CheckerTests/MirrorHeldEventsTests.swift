import Foundation
@testable import Specs
import Trace
import XCTest
@testable import Checker

/// `MirrorSpec.forEachHeldEvent` must name every event the spec's state holds: one it missed
/// could lose the clock history a later question about it needs. Reflection finds every
/// stamp, in whatever field a later change puts it.
final class MirrorHeldEventsTests: XCTestCase {
    /// Every `Stamp` anywhere in `value`.
    private func stamps(in value: Any, into found: inout [MirrorSpec.Stamp]) {
        if let stamp = value as? MirrorSpec.Stamp { return found.append(stamp) }
        for child in Mirror(reflecting: value).children { stamps(in: child.value, into: &found) }
    }

    /// Replays `events` (in a happens-before order) and, after every `every`-th event, checks
    /// that what the spec names covers every stamp it holds.
    private func assertHeldEventsCovered(_ events: [TraceEvent], every: Int = 1, _ what: String) {
        var spec = MirrorSpec()
        let sink = ClockSink()
        for (k, event) in events.enumerated() {
            sink.clocks.add(node: event.node, seq: event.seq, causes: event.causes)
            spec.observe(event, sink: sink)
            guard k % every == 0 || k == events.count - 1 else { continue }
            var named = Set<EventID>()
            XCTAssertTrue(spec.forEachHeldEvent { named.insert($0) })
            var found: [MirrorSpec.Stamp] = []
            stamps(in: spec, into: &found)
            for stamp in found where !named.contains(spec.id(stamp)) {
                XCTFail("\(what), after \(event.id): the state holds \(spec.id(stamp)) but does not name it")
                return
            }
        }
    }

    /// The events of `files` in happens-before order, read as `plumb check` reads them: again
    /// with a prescan when a node's seqs interleave across files.
    private static func read(_ files: [String], truncated: Bool) throws -> [TraceEvent] {
        for prescan in [false, true] {
            do {
                var order = try CausalOrder(paths: files, allowTruncated: truncated, prescan: prescan)
                var events: [TraceEvent] = []
                while let event = try order.next() { events.append(event) }
                return events
            } catch {
                if case .needsPrescan = error, !prescan { continue }
                throw error
            }
        }
        return []
    }

    func testEveryStampOfEveryGoldenMirrorTraceIsNamed() throws {
        var traces = 0
        for entry in try GoldenTraceTests.manifest() where entry.path.hasPrefix("mirror/") && entry.verdict != "error" {
            let path = GoldenTraceTests.tracesDirectory.appendingPathComponent(entry.path).path
            let events = try Self.read(try TraceInputs.files(for: [path]), truncated: entry.flags.contains("--truncated"))
            assertHeldEventsCovered(events, entry.path)
            traces += 1
        }
        XCTAssertGreaterThan(traces, 20)
    }

    func testEveryStampOfALongTraceWithViolationsIsNamed() {
        assertHeldEventsCovered(TraceFixtures.mirrorWithCutAcks(events: 6_000, every: 25), every: 50, "synthetic trace")
    }
}

/// A sink that answers from vector clocks fed every event, and keeps nothing else: the
/// spec's state is all these tests look at.
private final class ClockSink: SpecSink {
    var clocks = VectorClockIndex()
    func report(_ violation: Violation) {}
    func happensBefore(_ a: EventID, _ b: EventID) -> Bool { clocks.happensBefore(a, b) }
    func require(
        _ invariant: Invariant, _ before: EventStamp, happensBefore after: EventStamp, message: @autoclosure () -> String
    ) -> Bool { clocks.happensBefore(before.id, after.id) }
    func requireAcyclic(
        _ invariant: Invariant, vertices: [String], edges: [(from: Int, to: Int)], stamps: [EventStamp]
    ) -> [Int]? { nil }
}
