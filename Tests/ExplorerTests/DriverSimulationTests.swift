import Driver
@testable import Explorer
import Specs
import Trace
import XCTest

/// The driver under the simulated runtime: its configuration, the exhaustive coverage of a
/// small configuration (state counts asserted, so that a change in coverage shows), and
/// determinism.
final class DriverSimulationTests: XCTestCase {
    /// The small configuration the tests exhaust: two interfaces, two requests (the second
    /// depends on the first, across interfaces), one crash, torn writes (lazy crash states).
    static let small = "ifaces=2 requests=2 crashes=1 torn=1"
    /// The same with eager crash states: every fate of every cached write a choice.
    static let smallEager = small + " states=eager"

    func testConfigurationReadsBackItsDescription() throws {
        let configuration = DriverSimulation.Configuration(
            ifaces: 3, requests: 5, crashes: 2, torn: false,
            faults: DriverCoreFaults(durableOutOfOrder: true, trustsDataArea: true))
        XCTAssertEqual(configuration.description,
                       "ifaces=3 requests=5 crashes=2 torn=0 faults=durableOutOfOrder+trustsDataArea")
        XCTAssertEqual(DriverSimulation.Configuration(parsing: configuration.description), configuration)
        XCTAssertEqual(DriverSimulation.Configuration().description, "ifaces=2 requests=4 crashes=1 torn=1")
        XCTAssertEqual(DriverSimulation.Configuration(parsing: "torn=yes requests=1")?.description,
                       "ifaces=2 requests=1 crashes=1 torn=1")
        XCTAssertEqual(DriverSimulation.Configuration(parsing: "requests=1 states=eager")?.crashStates, .eager)
        XCTAssertEqual(DriverSimulation.Configuration(parsing: "requests=1 states=eager")?.description,
                       "ifaces=2 requests=1 crashes=1 torn=1 states=eager")
        XCTAssertEqual(DriverSimulation.Configuration(parsing: "requests=1 states=lazy")?.description,
                       "ifaces=2 requests=1 crashes=1 torn=1")
        XCTAssertEqual(DriverSimulation.Configuration().crashStates, .lazy)
        let deep = DriverSimulation.Configuration(parsing: "workload=region-sized regions=8 requests=3")
        XCTAssertEqual(deep?.workload, .regionSized)
        XCTAssertEqual(deep?.description, "ifaces=2 requests=3 crashes=1 torn=1 regions=8 workload=region-sized")
        XCTAssertEqual(DriverSimulation.Configuration(parsing: "workload=mixed")?.description,
                       "ifaces=2 requests=4 crashes=1 torn=1")
        for bad in ["ifaces=0", "requests=x", "crashes=1 crashes=2", "torn=maybe", "faults=nonsense", "width=3", "ifaces",
                    "states=sometimes", "workload=huge", "regions=17"] {
            XCTAssertNil(DriverSimulation.Configuration(parsing: bad), bad)
        }
    }

    func testTheWorkloadOverlapsAndDependsAcrossInterfaces() {
        let workload = DriverSimulation.Workload(ifaces: 2, requests: 4)
        XCTAssertEqual(workload.requests.map(\.id), [1, 2, 3, 4])
        XCTAssertEqual(workload.requests.map(\.iface), [0, 1, 0, 1])
        XCTAssertEqual(workload.requests.map(\.deps), [[], [1], [], [3]])
        XCTAssertEqual(workload.programs, [[.submit(index: 0), .submit(index: 2), .sync], [.submit(index: 1), .submit(index: 3)]])
        for (a, b) in zip(workload.requests, workload.requests.dropFirst()) {
            XCTAssertLessThan(b.offset, a.offset + a.bytes.count, "request \(b.id) overlaps request \(a.id)")
        }
    }

    func testRegionSizedRequestsEachFillOneRegionInsideTheDataArea() throws {
        let workload = DriverSimulation.Workload(ifaces: 1, requests: 16, kind: .regionSized)
        let start = try XCTUnwrap(DriverSimulation(parsing: "ifaces=1 requests=16 regions=16 workload=region-sized"))
        let layout = try XCTUnwrap(start.core.layout)
        for request in workload.requests {
            // Staged inline (not whole chunks), alone in a region: two never fit one.
            XCTAssertLessThanOrEqual(request.bytes.count, layout.maxRequestBytes(deps: request.deps.count), "\(request.id)")
            XCTAssertGreaterThan(2 * request.bytes.count, layout.maxRequestBytes(deps: 0), "\(request.id)")
            XCTAssertNotEqual(request.bytes.count % DriverSimulation.blockSize, 0)
            XCTAssertLessThanOrEqual(request.offset + request.bytes.count, layout.logicalChunks * layout.chunkBytes, "\(request.id)")
        }
    }

    /// The counts: 1,191 states, 283 executions (304 unreduced) until fingerprints read the
    /// core's counters only as the core does (event seqs, ticket numbers, completion indices
    /// against the flush marks); 678, 254 (273) then; 662, 252 (271) once they left out, when
    /// no power loss can come, the bytes before the data area; 632, 246 (264) since they leave
    /// out the spec's survivors and an interface's last survivor, which no verdict reads again
    /// (a crash after some requests' `durable` and one before it merge once they are recovered).
    func testTheSmallConfigurationIsExhaustedWithTheSameStatesEveryWay() throws {
        let start = try XCTUnwrap(DriverSimulation(parsing: Self.smallEager))
        let first = explore(start)
        XCTAssertEqual(first.verdict, .pass, "\(first.counterexamples)")
        XCTAssertTrue(first.exhaustive)
        XCTAssertEqual(first.states, 632)
        XCTAssertEqual(first.executions, 246)
        // Stable across runs, with or without partial-order reduction (pairs of steps that
        // commute, found by trial, are taken in one order only: fewer executions, the same
        // states), and split over threads.
        XCTAssertEqual(explore(start).states, first.states)
        let unreduced = explore(start, reduction: false)
        XCTAssertEqual(unreduced.states, first.states)
        XCTAssertEqual(unreduced.executions, 264)
        let threaded = explore(start, parallelism: 3)
        XCTAssertTrue(threaded.exhaustive)
        XCTAssertEqual(threaded.states, first.states)
    }

    /// The count: 14,544 states until fingerprints read the core's counters only as the core
    /// does; 8,696 then; 8,169 once they left out, when no power loss can come, the bytes
    /// before the data area; 8,165 once they left out the recovery's I/O count when the core
    /// is online (recoveries of different lengths that left the same state merge); 7,539 since
    /// they leave out the spec's survivors and an interface's last survivor.
    func testAThirdRequestSharingARegionIsExhausted() throws {
        // Three requests: two fill a region, so a segment seals when full and takes two blocks;
        // the third covers a whole chunk, so it is written out of place and remaps the chunk.
        // (The CLI's `--ifaces 2 --requests 4 --crashes 1 --torn`, which does not reduce the
        // driver, takes a tenth of a second in release: 19,607 states, 12,681 executions.)
        let report = explore(try XCTUnwrap(DriverSimulation(parsing: "ifaces=2 requests=3 crashes=1 torn=1 states=eager")))
        XCTAssertEqual(report.verdict, .pass, "\(report.counterexamples)")
        XCTAssertTrue(report.exhaustive)
        XCTAssertEqual(report.states, 7539)
    }

    /// The counts: 92, 1,114 and 1,191 states until fingerprints read the core's counters only
    /// as the core does; 87, 619 and 678 then; 80, 606 and 662 once they left out, when no
    /// power loss can come, the bytes before the data area; 80, 576 and 632 since they leave
    /// out the spec's survivors and an interface's last survivor.
    func testCoverageGrowsWithTornWritesAndCrashes() throws {
        let counts = try ["ifaces=2 requests=2 crashes=0 torn=0", "ifaces=2 requests=2 crashes=1 torn=0 states=eager",
                          Self.smallEager]
            .map { bounds -> Int in
                let report = explore(try XCTUnwrap(DriverSimulation(parsing: bounds)))
                XCTAssertEqual(report.verdict, .pass, bounds)
                XCTAssertTrue(report.exhaustive, bounds)
                return report.states
            }
        XCTAssertEqual(counts, [80, 576, 632])
    }

    /// The driver's trials cost more than the steps they prune once states are cached: the
    /// command line's options for it (`suited(to:)`) reduce only without caching; the other
    /// systems' reduce either way. Reduced or not, the states and verdict are the same (see the
    /// tests above), so this only changes the time.
    func testTheCommandLineReducesTheDriverOnlyWithoutCaching() {
        XCTAssertFalse(ExplorationOptions().suited(to: DriverSimulation.self).partialOrderReduction)
        XCTAssertFalse(ExplorationOptions().suited(to: Recorded<DriverPlan>.self).partialOrderReduction)
        XCTAssertTrue(ExplorationOptions(stateCaching: false).suited(to: DriverSimulation.self).partialOrderReduction)
        XCTAssertTrue(ExplorationOptions().suited(to: MirrorSimulation.self).partialOrderReduction)
        XCTAssertTrue(ExplorationOptions().suited(to: RecoverySimulation.self).partialOrderReduction)
        XCTAssertFalse(ExplorationOptions(partialOrderReduction: false).suited(to: MirrorSimulation.self).partialOrderReduction)
    }

    func testReplayingAPathTwiceGivesTheSameTrace() throws {
        let start = try XCTUnwrap(DriverSimulation(parsing: Self.small))
        // A path that crashes with a write pending and tears it: take the last choice (the power
        // loss, while one remains) after a few steps, then the last fate (a torn one).
        var state = start
        var path: [Int] = []
        while path.count < 40, !state.choices().isEmpty {
            let choices = state.choices()
            let index = path.count == 9 || choices.allSatisfy({ if case .fate = $0 { true } else { false } })
                ? choices.count - 1 : 0
            path.append(index)
            state.apply(choices[index])
        }
        let once = try replay(start, path: path)
        let twice = try replay(start, path: path)
        XCTAssertNil(once.violation)
        XCTAssertEqual(once.state.events, twice.state.events)
        XCTAssertEqual(once.state.fingerprint(), twice.state.fingerprint())
        XCTAssertEqual(once.steps, twice.steps)
        XCTAssertTrue(once.steps.contains("power loss"), "\(once.steps)")
        XCTAssertEqual(once.state.core.phase, .stopped)
        // The trace is a valid driver trace that the spec passes.
        XCTAssertEqual(try SpecRunner.run(DriverSpec.self, events: once.state.events).violations.count, 0)
        XCTAssertEqual(once.state.events.map(\.seq), Array(1...once.state.events.count))
    }

    func testAPowerLossOffersEveryFateOfEachPendingWrite() throws {
        // Submit, let the sync seal the region, write its segment (two blocks: both requests),
        // then cut the power with that write pending.
        var state = try XCTUnwrap(DriverSimulation(parsing: "ifaces=1 requests=2 crashes=1 torn=1 states=eager"))
        for step in ["iface 0 submits request 1", "iface 0 submits request 2", "iface 0 syncs"] {
            try take(step, in: &state)
        }
        let write = try XCTUnwrap(state.choices().first { $0.description.hasPrefix("io#") })
        XCTAssertEqual(state.describe(write), "io#4 completes (requests 1, 2 on iface 0: journal write of 2 blocks at 20)")
        state.apply(write)
        try take("power loss", in: &state)
        XCTAssertEqual(state.choices().map(\.description), [
            "cached write 1 of 1 (2 sectors): lost",
            "cached write 1 of 1 (2 sectors): durable",
            "cached write 1 of 1 (2 sectors): torn after 1 sector",
        ])
        // Torn, the segment fails its checksum: nothing is recovered, and the data area is
        // checked against the model that says so.
        state.apply(state.choices()[2])
        while state.core.phase == .recovering, let next = state.choices().first { state.apply(next) }
        XCTAssertNil(state.violation())
        XCTAssertEqual(state.core.phase, .online)
        XCTAssertFalse(state.events.contains { if case .recovered = $0.kind { true } else { false } })
    }

    func testEachIOStepNamesItsRequestsAndRole() throws {
        // Two interfaces: requests 1 and 2 fill a region (sealed, its segment written to the
        // journal), request 3, a whole block, is written out of place.
        var state = try XCTUnwrap(DriverSimulation(parsing: "ifaces=2 requests=3 crashes=0"))
        for step in ["iface 0 submits request 1", "iface 1 submits request 2", "iface 0 submits request 3"] {
            try take(step, in: &state)
        }
        XCTAssertEqual(state.choices().map(state.describe).filter { $0.hasPrefix("io#") }, [
            "io#4 completes (request 3 on iface 0: data write of 1 block at 38)",
            "io#5 completes (requests 1, 2 on ifaces 0, 1: journal write of 2 blocks at 20)",
        ])
        try take("io#4 completes (request 3 on iface 0: data write of 1 block at 38)", in: &state)
        XCTAssertEqual(state.choices().map(state.describe).filter { $0.hasPrefix("io#") }, [
            "io#5 completes (requests 1, 2 on ifaces 0, 1: journal write of 2 blocks at 20)",
            "io#6 completes (flush)",
        ])
        // `choices()` leaves the purpose out (`describe` adds it), and it is no part of a
        // choice's identity: sleep sets and state counts ignore it.
        let plain = try XCTUnwrap(state.choices().first { $0.description.hasPrefix("io#5") })
        guard case let .complete(io, operation, purpose) = plain else { return XCTFail("\(plain)") }
        XCTAssertNil(purpose.account)
        XCTAssertEqual(plain.description, "io#5 completes (write 2 blocks at 20)")
        let account = try XCTUnwrap(state.core.account(of: IOTicket(io)))
        let described = DriverSimulation.Choice.complete(io: io, operation, .init(account))
        XCTAssertEqual(described.description, state.describe(plain))
        XCTAssertEqual(described, plain)
        XCTAssertEqual(described.hashValue, plain.hashValue)
    }

    /// Applies the enabled choice described as `description`.
    func take(_ description: String, in state: inout DriverSimulation,
              file: StaticString = #filePath, line: UInt = #line) throws {
        let choice = try XCTUnwrap(state.choices().first { state.describe($0) == description },
                                   "\(description) not in \(state.choices())", file: file, line: line)
        state.apply(choice)
    }

    /// The judge's stuck check asks `hasNoChoices`, which must answer as `choices().isEmpty`
    /// does, at every state of random walks with and without power losses left, in eager
    /// power cuts, and past the shutdown.
    func testHasNoChoicesAnswersAsChoicesDo() throws {
        var rng = SplitMix64(seed: 0x1D1E)
        var checked = 0, idleStates = 0, fateStates = 0, ended = 0
        for configuration in [
            "ifaces=2 requests=3 crashes=1 torn=1", "ifaces=1 requests=4 crashes=0", "ifaces=2 requests=2 crashes=2",
            "ifaces=1 requests=3 crashes=1 torn=1 states=eager",
        ] {
            let start = try XCTUnwrap(DriverSimulation(parsing: configuration))
            for _ in 0..<100 {
                var state = start
                while true {
                    let choices = state.choices()
                    XCTAssertEqual(state.hasNoChoices, choices.isEmpty, "\(configuration): \(choices)")
                    checked += 1
                    if choices.contains(where: { if case .idle = $0 { true } else { false } }) { idleStates += 1 }
                    if choices.contains(where: { if case .fate = $0 { true } else { false } }) { fateStates += 1 }
                    if choices.isEmpty { break }
                    state.apply(choices[Int(rng.next() % UInt64(choices.count))])
                }
                ended += 1
            }
        }
        XCTAssertGreaterThan(checked, 3_000)
        XCTAssertGreaterThan(idleStates, 10, "the walks must reach states where only a trial of idle decides")
        XCTAssertGreaterThan(fateStates, 0, "and states in an eager power cut, fates still to choose")
        XCTAssertEqual(ended, 400)
    }
}
