@testable import Explorer
import Mirror
import Specs
import Trace
import XCTest

/// The mirror's simulated runtime and its `Explorable` adapter: configuration strings, the
/// runtime on fixed schedules, exhaustive coverage, determinism.
final class MirrorSimulationTests: XCTestCase {
    /// Takes the enabled choice described as `description`; fails the test if none is.
    func take(_ description: String, in state: inout MirrorSimulation,
              file: StaticString = #filePath, line: UInt = #line) {
        guard let choice = state.choices().first(where: { $0.description == description }) else {
            return XCTFail("not enabled: \(description); enabled: \(state.choices())", file: file, line: line)
        }
        state.apply(choice)
    }

    func testConfigurationRoundTripsThroughItsDescription() throws {
        let standard = MirrorSimulation.Configuration()
        XCTAssertEqual(standard.description, "streams=2 paths=2 records=3 crashes=1 failures=1 barriers=2")
        XCTAssertEqual(MirrorSimulation.Configuration(parsing: standard.description), standard)
        XCTAssertEqual(MirrorSimulation.Configuration(parsing: "records=5 streams=3"),
                       MirrorSimulation.Configuration(streams: 3, records: 5))
        var faulty = MirrorSimulation.Configuration(streams: 1, paths: 1)
        faulty.primaryFaults.commitsBeforeAck = true
        faulty.secondaryFaults.ignoresBarriers = true
        XCTAssertEqual(faulty.description,
                       "streams=1 paths=1 records=3 crashes=1 failures=1 barriers=2 faults=commitsBeforeAck+ignoresBarriers")
        XCTAssertEqual(MirrorSimulation.Configuration(parsing: faulty.description), faulty)
        for bad in ["streams=0", "paths=x", "records=1 records=2", "colour=2", "crashes=3", "faults=typo", "streams"] {
            XCTAssertNil(MirrorSimulation.Configuration(parsing: bad), bad)
        }
    }

    func testAWriteIsMirroredAppliedAndCommitted() throws {
        var state = try XCTUnwrap(MirrorSimulation(parsing: "streams=2 paths=2 records=1 crashes=0 failures=0"))
        XCTAssertEqual(state.choices().map(\.description), ["the client writes lsn 1"])
        take("the client writes lsn 1", in: &state)
        take("deliver entry (1,1) on path 1 to the secondary", in: &state)
        take("deliver ack (1,1) on path 1 to the primary", in: &state)
        XCTAssertEqual(state.commits, [1])
        XCTAssertEqual(state.persisted.map(\.lsn), [1])
        XCTAssertEqual(state.choices(), [])
        XCTAssertNil(state.violation())
        XCTAssertEqual(state.events.map(\.kind.name), [
            "path", "path", "assign", "assign", "path", "path", "assign",
            "append", "send", "recv", "apply", "ack", "acked", "commit",
        ])
    }

    func testAFailedPathIsNoticedByEachNodeAndItsEntriesAreResent() throws {
        var state = try XCTUnwrap(MirrorSimulation(parsing: "streams=2 paths=2 records=1 crashes=0 failures=1"))
        take("the client writes lsn 1", in: &state)
        take("path 1 fails", in: &state)
        XCTAssertFalse(state.choices().contains { if case .deliverToSecondary = $0 { true } else { false } },
                       "the entry in flight is lost with the connection")
        take("the primary sees path 1 down", in: &state)
        take("deliver entry (1,1) on path 0 to the secondary", in: &state)
        take("deliver ack (1,1) on path 0 to the primary", in: &state)
        XCTAssertEqual(state.commits, [1])
        take("path 1 comes back", in: &state)
        XCTAssertEqual(state.primary.assignments, [0, 1], "the path takes stream 1 again")
        let secondaryPathEvents = state.events.filter { $0.node == MirrorNode.secondary && $0.kind.name == "path" }
        XCTAssertEqual(secondaryPathEvents.map(\.kind), [
            .path(path: 0, up: true), .path(path: 1, up: true), .path(path: 1, up: false), .path(path: 1, up: true),
        ], "the secondary dropped the old connection it still held when the new one came")
        XCTAssertEqual(state.choices(), [])
        XCTAssertNil(state.violation())
    }

    func testTheSecondaryTakesOverOnlyOnceEveryPathIsDownAtIt() throws {
        var state = try XCTUnwrap(MirrorSimulation(parsing: "streams=1 paths=2 records=1 crashes=1 failures=0"))
        take("the client writes lsn 1", in: &state)
        take("deliver entry (0,1) on path 0 to the secondary", in: &state)
        take("deliver ack (0,1) on path 0 to the primary", in: &state)
        take("the primary crashes", in: &state)
        XCTAssertFalse(state.choices().contains(.takeover))
        take("the secondary sees path 0 down", in: &state)
        XCTAssertFalse(state.choices().contains(.takeover))
        take("the secondary sees path 1 down", in: &state)
        take("the secondary takes over", in: &state)
        XCTAssertEqual(state.choices(), [])
        XCTAssertEqual(state.events.last?.kind, .takeover)
        XCTAssertNil(state.violation())
    }

    func testTheTraceFileParsesBackToTheSameEvents() throws {
        var state = try XCTUnwrap(MirrorSimulation(parsing: "streams=1 paths=1 records=1 crashes=0 failures=1"))
        for step in ["the client writes lsn 1", "path 0 fails", "the secondary sees path 0 down",
                     "the secondary takes over", "the primary sees path 0 down", "path 0 comes back",
                     "deliver entry (0,1) on path 0 to the secondary", "deliver fenced on path 0 to the primary"] {
            take(step, in: &state)
        }
        XCTAssertEqual(state.primary.mode, .fenced)
        XCTAssertEqual(state.notes.map(\.name), ["x-fence", "x-fenced"])
        let lines = String(decoding: state.encodedTrace(), as: UTF8.self).split(separator: "\n")
        XCTAssertTrue(lines[0].hasPrefix("{\"format\":\"plumb-trace\",\"version\":1,\"system\":\"mirror\""))
        let parser = EventParser(system: .mirror)
        var parsed: [TraceEvent] = []
        for line in lines.dropFirst() {
            if case .event(let event) = try parser.parse(String(line)) { parsed.append(event) }
        }
        XCTAssertEqual(parsed, state.events)
        XCTAssertEqual(lines.count, 1 + state.events.count + state.notes.count)
        XCTAssertEqual(try SpecRunner.run(MirrorSpec.self, events: parsed).violations, [])
    }

    /// One stream, two paths: 181 distinct states (with path failures, comebacks and a crash;
    /// 237 while the summary ranked each clock entry among all the values in play, not only
    /// against the held stamps' seqs of its node, and kept what a message's sender knew of its
    /// receiver; 279 while the fingerprint still counted failures after a crash and records
    /// written after the primary's; 297 while the summary still ranked a crashed node's current
    /// clock; 357 while the fingerprint still hashed what a crashed core held; 538 while it
    /// hashed the clocks of stamps only ever cited in messages; 1,207 when states were told
    /// apart by their history), the same with and without partial-order reduction and on every
    /// run.
    func testASmallConfigurationIsExhaustedWithAKnownNumberOfStates() throws {
        let start = try XCTUnwrap(MirrorSimulation(parsing: "streams=1 paths=2 records=1 crashes=1 failures=1"))
        let first = explore(start)
        let again = explore(start)
        let unreduced = explore(start, reduction: false)
        for report in [first, again, unreduced] {
            XCTAssertEqual(report.verdict, .pass)
            XCTAssertTrue(report.exhaustive)
            XCTAssertEqual(report.states, 181)
        }
        XCTAssertEqual(first.executions, 138)
        XCTAssertEqual(again.executions, 138)
        XCTAssertEqual(unreduced.executions, 178)
        XCTAssertEqual(explore(start, fingerprints: true).fingerprints,
                       explore(start, reduction: false, fingerprints: true).fingerprints)
    }

    /// Two streams with a barrier, one path: 320 distinct states (383 with every clock entry
    /// ranked among all the values in play, 439 with failures and records written counted after
    /// a crash, 462 with a crashed node's current clock ranked, 517 with what a crashed core held
    /// hashed, 811 with the clocks of stamps only cited in messages hashed, 1,414 told apart by
    /// history).
    func testABarrierConfigurationIsExhaustedWithAKnownNumberOfStates() throws {
        let start = try XCTUnwrap(MirrorSimulation(parsing: "streams=2 paths=1 records=2 crashes=1 failures=1"))
        for reduction in [true, false] {
            let report = explore(start, reduction: reduction)
            XCTAssertEqual(report.verdict, .pass)
            XCTAssertTrue(report.exhaustive)
            XCTAssertEqual(report.states, 320)
        }
    }

    func testReplayingAPathTwiceGivesIdenticalTraces() throws {
        let start = try XCTUnwrap(MirrorSimulation(parsing: "streams=2 paths=2 records=2 crashes=1 failures=1"))
        // A long path: a seeded random walk to its end.
        var walk = start
        var path: [Int] = []
        var seed: UInt64 = 0x5EED
        while !walk.choices().isEmpty {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let index = Int((seed >> 33) % UInt64(walk.choices().count))
            walk.apply(walk.choices()[index])
            path.append(index)
        }
        let one = try replay(start, path: path)
        let two = try replay(start, path: path)
        XCTAssertEqual(one.state.events, two.state.events)
        XCTAssertEqual(one.state.events, walk.events)
        XCTAssertEqual(one.state.encodedTrace(), two.state.encodedTrace())
        XCTAssertEqual(one.state.fingerprint(), walk.fingerprint())
        XCTAssertEqual(one.steps, two.steps)
        XCTAssertNil(one.violation)
    }

    /// Every pair of choices declared independent commutes, at every state of whole small
    /// spaces (seeded faults included): both orders are possible and end in states with one
    /// fingerprint and one verdict (what sleep sets need, see `Explorable.independent`). A
    /// pair of steps of two nodes commutes as traces too: both orders leave the same cores,
    /// runtime and per-node traces (the spec's state may differ, having seen the nodes' events
    /// interleaved differently, but not its verdicts). A pair of steps of one node (two acks of
    /// different streams or of one stream's different sns, two paths the secondary sees down)
    /// records its node's events in another order, so it commutes as states only. Along the
    /// way, each core's kept hash is checked against one computed afresh.
    func testIndependentChoicesCommute() throws {
        var acks = 0
        var oneStreamAcks = 0
        var paths = 0
        var ackWrites = 0
        var twoNodes = 0
        // Each seeded fault at bounds where it shows (the space holds a violation).
        for text in ["streams=2 paths=2 records=3 crashes=1 failures=1",
                     "streams=3 paths=3 records=2 crashes=1 failures=1",
                     "streams=2 paths=2 records=3 crashes=0 failures=1 faults=commitsBeforeAck",
                     "streams=2 paths=2 records=3 crashes=0 failures=1 faults=skipsResendAfterPathFailure",
                     "streams=2 paths=2 records=3 crashes=0 failures=1 barriers=0 faults=appliesOnReceipt",
                     "streams=2 paths=2 records=3 crashes=0 failures=0 faults=ignoresBarriers",
                     "streams=2 paths=2 records=2 crashes=0 failures=2 faults=appliesAfterTakeover"] {
            let start = try XCTUnwrap(MirrorSimulation(parsing: text), text)
            var violations = 0
            forEachReachableState(from: start) { state in
                if state.violation() != nil { violations += 1 }
                XCTAssertEqual(state.primaryDigest, MirrorSimulation.digest(of: state.primary), text)
                XCTAssertEqual(state.secondaryDigest, MirrorSimulation.digest(of: state.secondary), text)
                let choices = state.choices()
                for (i, a) in choices.enumerated() {
                    for b in choices[(i + 1)...] where state.independent(a, b) {
                        XCTAssertTrue(state.independent(b, a), "\(text): \(a), \(b)")
                        var ab = state, ba = state
                        ab.apply(a)
                        ba.apply(b)
                        XCTAssertTrue(ab.choices().contains(b) && ba.choices().contains(a), "\(text): \(a) or \(b) disables the other")
                        ab.apply(b)
                        ba.apply(a)
                        XCTAssertEqual(ab.fingerprint(), ba.fingerprint(), "\(text): \(a) and \(b) do not commute")
                        // The seqs a message names may differ (see `MirrorSimulation.fingerprint`).
                        XCTAssertEqual(ab.violation()?.invariant, ba.violation()?.invariant, "\(text): \(a) and \(b)")
                        switch (a, b) {
                        case let (.deliverToPrimary(_, .ack(x)), .deliverToPrimary(_, .ack(y))):
                            acks += 1
                            if x.stream == y.stream { oneStreamAcks += 1 }
                        case (.secondaryNoticesDown, .secondaryNoticesDown): paths += 1
                        case (.deliverToPrimary(_, .ack), .write), (.write, .deliverToPrimary(_, .ack)):
                            // The cores and what is in flight end alike too, whatever the summary.
                            XCTAssertEqual(Self.cores(ab), Self.cores(ba), "\(text): \(a) and \(b) do not commute")
                            ackWrites += 1
                        default:
                            XCTAssertNotEqual(Self.node(of: a), Self.node(of: b), "\(text): \(a) and \(b)")
                            XCTAssertEqual(Self.cores(ab), Self.cores(ba), "\(text): \(a) and \(b) do not commute")
                            XCTAssertEqual(Self.perNode(ab), Self.perNode(ba), "\(text): \(a) and \(b) do not commute")
                            // The written traces get one verdict, message and all, from the
                            // checker (the explorer's monitor saw the nodes' events in another
                            // order, so its message may tell the same violation from the other side).
                            XCTAssertEqual(Self.checked(ab), Self.checked(ba), "\(text): \(a) and \(b)")
                            XCTAssertEqual(ab.violation()?.kind, ba.violation()?.kind, "\(text): \(a) and \(b)")
                            twoNodes += 1
                        }
                    }
                }
            }
            if text.contains("faults=") { XCTAssertGreaterThan(violations, 0, "\(text): the fault never shows") }
        }
        XCTAssertGreaterThan(acks, 100)
        XCTAssertGreaterThan(oneStreamAcks, 20)
        XCTAssertGreaterThan(paths, 100)
        XCTAssertGreaterThan(ackWrites, 100)
        XCTAssertGreaterThan(twoNodes, 1_000)
    }

    /// The node whose core a step feeds (nil: a path's failure, which feeds none, or its
    /// comeback, which feeds both).
    private static func node(of choice: MirrorSimulation.Choice) -> String? {
        switch choice {
        case .deliverToPrimary, .write, .primaryNoticesDown, .crashPrimary: MirrorNode.primary
        case .deliverToSecondary, .secondaryNoticesDown, .takeover, .crashSecondary: MirrorNode.secondary
        case .fail, .comeBack: nil
        }
    }

    /// Each node's events, in the order it recorded them.
    private static func perNode(_ state: MirrorSimulation) -> [String: [TraceEvent]] {
        Dictionary(grouping: state.events, by: \.node)
    }

    /// What the checker finds in the state's trace, read node by node as `plumb check` reads
    /// one file per node: every violation with its message.
    private static func checked(_ state: MirrorSimulation) -> [String] {
        let events = state.events.sorted { ($0.node, $0.seq) < ($1.node, $1.seq) }
        guard let outcome = try? SpecRunner.run(MirrorSpec.self, events: events) else { return ["not a valid trace"] }
        return outcome.violations.map { "\($0.invariant.rawValue): \($0.message)" }
    }

    /// The cores and the runtime, without the judge.
    private static func cores(_ state: MirrorSimulation) -> [UInt64] {
        var p = StableHasher(), q = StableHasher(), r = StableHasher()
        state.primary.hash(into: &p)
        state.secondary.hash(into: &q)
        var sources: [InFlight] = []
        for path in state.paths {
            r.combine((path.connected ? 1 : 0) | (path.primarySeesUp ? 2 : 0) | (path.secondarySeesUp ? 4 : 0))
            for message in path.toSecondary + path.toPrimary { MirrorSimulation.hash(message, into: &r, sources: &sources) }
        }
        return [p.value, q.value, r.value, StableHasher.hash(UInt64(state.written))]
    }
}
