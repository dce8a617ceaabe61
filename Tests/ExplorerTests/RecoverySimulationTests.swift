import Explorer
import Recovery
import Specs
import Trace
import XCTest

/// The recovery framework under the explorer: configuration, coverage of a small bound, replay,
/// and the soundness of the fingerprint and of the independence relation.
final class RecoverySimulationTests: XCTestCase {
    typealias Simulation = RecoverySimulation
    typealias Configuration = RecoverySimulation.Configuration

    /// The small configuration the coverage tests exhaust.
    let small = Configuration(consumers: 4, workers: 2, failures: 1, crashes: 1)

    func testConfigurationRoundTripsThroughItsDescription() throws {
        let config = Configuration(consumers: 5, workers: 2, failures: 1, crashes: 1, seed: 7)
        XCTAssertEqual(config.description, "consumers=5 workers=2 failures=1 crashes=1 seed=7")
        XCTAssertEqual(Configuration(parsing: config.description), config)
        XCTAssertEqual(Configuration(parsing: "seed=7 crashes=1 failures=1 workers=2 consumers=5"), config)
        XCTAssertEqual(Configuration(parsing: "consumers=3"), Configuration(consumers: 3))
        for bad in ["consumers=0", "workers=0", "failures=-1", "consumers=2 consumers=3", "color=red", "consumers",
                    "consumers=x", "seed=-1"] {
            XCTAssertNil(Configuration(parsing: bad), bad)
        }
        XCTAssertNotNil(Configuration(consumers: 0).problem)
    }

    func testGraphHasEveryKindOfEdgeAndIsFixedBySeed() {
        let graph = Configuration(consumers: 5).registrations
        XCTAssertEqual(graph.map(\.name), ["c0", "c1", "c2", "c3", "c4"])
        XCTAssertEqual(graph.map(\.deps), [[], [], ["c0"], ["c2"], []])
        XCTAssertEqual(graph.map(\.after), [[], [], [], [], ["c3"]])
        XCTAssertEqual(graph.map(\.logs), [[], ["c0"], [], [], []])
        XCTAssertEqual(graph.map { $0.timeout != nil }, [true, false, false, false, false])
        XCTAssertEqual(Configuration(consumers: 9, seed: 3).registrations, Configuration(consumers: 9, seed: 3).registrations)
        XCTAssertNotEqual(Configuration(consumers: 9, seed: 3).registrations, Configuration(consumers: 9, seed: 4).registrations)
        // The graph is valid: the core accepts every registration.
        let start = Simulation(Configuration(consumers: 40, workers: 3, seed: 11))
        XCTAssertFalse(start.events.contains { if case .reject = $0.kind { true } else { false } })
    }

    func testStartStateHasBegunAndOffersEachRunningConsumersChoices() {
        let start = Simulation(small)
        XCTAssertEqual(start.core.phase, .walking)
        XCTAssertEqual(start.events.filter { $0.kind == .begin }.count, 1)
        // c0 and c1 (logs: c0) run; c2 and c3 (the one with a timeout) wait for c0.
        XCTAssertEqual(start.choices().map(\.description), [
            "c0 tags c0.log", "c0 fails", "c1 tags c1.log", "c1 fails", "the framework crashes",
        ])
        var timed = start
        for choice in [Simulation.Choice.tag(consumer: 0), .untag(consumer: 0), .end(consumer: 0, .ok)] {
            timed.apply(choice)
        }
        XCTAssertEqual(timed.choices().map(\.description), [
            "c1 tags c1.log", "c1 fails", "c2 tags c2.log", "c2 fails", "the framework crashes",
        ])
        XCTAssertNil(start.violation())
        XCTAssertEqual(start.lane(of: .crash), 0)
        XCTAssertEqual(start.lane(of: .tag(consumer: 1)), 2)
    }

    func testSmallConfigurationIsExhaustedWithTheExpectedStateCount() {
        let start = Simulation(small)
        let first = explore(start)
        XCTAssertEqual(first.verdict, .pass)
        XCTAssertTrue(first.exhaustive)
        XCTAssertEqual(first.states, Self.smallStates)
        XCTAssertEqual(first.executions, Self.smallExecutions)
        let again = explore(start, fingerprints: true)
        XCTAssertEqual(again.states, first.states)
        XCTAssertEqual(again.executions, first.executions)
        // Without partial-order reduction: the same states, more executions, the same verdict.
        let full = explore(start, reduction: false, fingerprints: true)
        XCTAssertTrue(full.exhaustive)
        XCTAssertEqual(full.verdict, .pass)
        XCTAssertEqual(full.fingerprints, again.fingerprints)
        XCTAssertGreaterThan(full.executions, first.executions)
    }

    /// The distinct states and executions (with reduction) of `small`; a change in coverage
    /// shows here.
    static let smallStates = 522
    static let smallExecutions = 396

    func testReplayingAPathTwiceGivesIdenticalEvents() throws {
        let start = Simulation(small)
        let path = walk(start, seed: 5)
        XCTAssertGreaterThan(path.count, 10)
        let one = try replay(start, path: path)
        let two = try replay(Simulation(try XCTUnwrap(Configuration(parsing: small.description))), path: path)
        XCTAssertEqual(one.state.events, two.state.events)
        XCTAssertEqual(one.steps, two.steps)
        XCTAssertEqual(one.state.fingerprint(), two.state.fingerprint())
        // A token carries it.
        let token = try ReplayToken(decoding: ReplayToken(system: Simulation.system, configuration: small.description,
                                                          path: path).encoded)
        let three = try replay(Simulation(try XCTUnwrap(Configuration(parsing: token.configuration))), path: token.path)
        XCTAssertEqual(three.state.events, one.state.events)
        // The trace is valid and passes the spec, crash and all.
        XCTAssertTrue(one.state.events.contains { $0.kind == .crash })
        let outcome = try SpecRunner.run(RecoverySpec.self, events: one.state.events)
        XCTAssertEqual(outcome.violations.map(\.message), [])
    }

    /// The path of a seeded random walk to its end that does not crash in its first 8 steps.
    private func walk(_ start: Simulation, seed: UInt64) -> [Int] {
        var rng = SplitMix64(seed: seed)
        var state = start
        var path: [Int] = []
        while case let choices = state.choices(), !choices.isEmpty {
            var index = Int(rng.next() % UInt64(choices.count))
            if choices[index] == .crash, path.count < 8 { index = 0 }
            state.apply(choices[index])
            path.append(index)
        }
        return path
    }

    /// Every pair of states with one fingerprint: the same choices, the same verdict, and
    /// children with equal fingerprints for each choice (so the fingerprint is a bisimulation,
    /// and merging states is sound); without crashes, equal cores too.
    func testStatesWithEqualFingerprintsAreInterchangeable() {
        for config in [Configuration(consumers: 4, workers: 2, failures: 1, crashes: 0),
                       Configuration(consumers: 4, workers: 2, failures: 1, crashes: 1)] {
            var seen: [UInt64: (signature: [String], core: RecoveryCore)] = [:]
            var merges = 0
            var stack = [Simulation(config)]
            while let state = stack.popLast() {
                let choices = state.choices()
                var children: [Simulation] = []
                var signature = [state.violation()?.invariant ?? "-"]
                for choice in choices {
                    var child = state
                    child.apply(choice)
                    children.append(child)
                    signature.append("\(choice) -> \(child.fingerprint())")
                }
                if let old = seen[state.fingerprint()] {
                    merges += 1
                    XCTAssertEqual(old.signature, signature, "\(config)")
                    if config.crashes == 0 { XCTAssertEqual(old.core, state.core, "\(config)") }
                    continue
                }
                seen[state.fingerprint()] = (signature, state.core)
                stack += children
            }
            XCTAssertGreaterThan(merges, 0, "\(config): no state was reached twice")
        }
    }

    /// Every pair of enabled choices declared independent commutes: both orders are possible
    /// and reach states with equal fingerprints.
    func testIndependentChoicesCommute() {
        var checked = 0
        forEachReachableState(from: Simulation(Configuration(consumers: 5, workers: 3, failures: 1, crashes: 0))) { state in
            let choices = state.choices()
            for (i, a) in choices.enumerated() {
                for b in choices[(i + 1)...] where state.independent(a, b) {
                    XCTAssertTrue(state.independent(b, a))
                    var ab = state
                    ab.apply(a)
                    var ba = state
                    ba.apply(b)
                    XCTAssertTrue(ab.choices().contains(b) && ba.choices().contains(a), "\(a) disables \(b) or back")
                    ab.apply(b)
                    ba.apply(a)
                    XCTAssertEqual(ab.fingerprint(), ba.fingerprint(), "\(a) and \(b) do not commute")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 100)
    }
}
