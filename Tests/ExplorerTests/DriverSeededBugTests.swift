import Driver
import Explorer
import Specs
import XCTest

/// Each seeded bug of the driver's core is found by exhaustive search of the small
/// configuration, with a counterexample whose shrunk path replays to the same invariant (and,
/// for a trace invariant, whose trace the spec rejects the same way); the correct core passes
/// the same bounds exhaustively (`DriverSimulationTests`).
final class DriverSeededBugTests: XCTestCase {
    /// Explores the small configuration with `fault` on and expects `invariant`. Returns the
    /// shrunk counterexample's steps.
    @discardableResult
    func find(_ fault: String, expect invariant: String, in bounds: String = DriverSimulationTests.small,
              file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let faulty = try XCTUnwrap(DriverSimulation(parsing: bounds + " faults=" + fault), file: file, line: line)
        let report = explore(faulty)
        XCTAssertEqual(report.verdict, .violation, file: file, line: line)
        let found = try XCTUnwrap(report.counterexamples.first, file: file, line: line)
        XCTAssertEqual(found.violation.invariant, invariant, "\(found.violation)", file: file, line: line)
        XCTAssertLessThanOrEqual(found.path.count, found.originalLength ?? found.path.count, file: file, line: line)

        // The shrunk path replays to the same invariant at its last step...
        let replayed = try replay(faulty, path: found.path)
        XCTAssertEqual(replayed.violation?.invariant, invariant, file: file, line: line)
        XCTAssertEqual(replayed.violationStep, found.path.count, file: file, line: line)
        XCTAssertEqual(replayed.steps, found.steps, file: file, line: line)
        // ...through a replay token...
        let token = found.token(system: DriverSimulation.system, configuration: faulty.configuration.description)
        let decoded = try ReplayToken(decoding: token.encoded)
        let rebuilt = try XCTUnwrap(DriverSimulation(parsing: decoded.configuration), file: file, line: line)
        XCTAssertEqual(try replay(rebuilt, path: decoded.path).state.events, replayed.state.events, file: file, line: line)
        // ...and a trace invariant is the first the spec `plumb check` runs finds in the trace.
        let verdict = try SpecRunner.run(DriverSpec.self, events: replayed.state.events)
        if invariant == DriverSimulation.contentsInvariant {
            XCTAssertEqual(verdict.violations.count, 0, "the trace itself is fine", file: file, line: line)
        } else {
            XCTAssertEqual(verdict.violations.first?.invariant.rawValue, invariant, file: file, line: line)
        }
        return found.steps
    }

    func testALaterSegmentMadeDurableFirstBreaksOrderOrSync() throws {
        // Request 1 seals alone (the sync); request 2 (which depends on it) seals at the
        // shutdown; the second write completes and is flushed while the first is still out.
        let steps = try find("durableOutOfOrder", expect: "driver.sync")
        XCTAssertFalse(steps.contains("power loss"), "\(steps)")
    }

    func testARecoveryThatStopsOneSegmentEarlyLosesADurableRequest() throws {
        let steps = try find("recoveryStopsEarly", expect: "driver.no-loss")
        XCTAssertTrue(steps.contains("power loss"), "\(steps)")
    }

    func testARecoveryThatAcceptsStaleSegmentsReplaysTheEarlierImage() throws {
        // The device held an earlier image: the segment after the explored image's journal is
        // one of its, intact but of another chain.
        try find("acceptsStaleSegments", expect: "driver.lifecycle")
    }

    func testARecoveryThatTrustsTheDataAreaIsCaughtByTheByteCheck() throws {
        // A checkpoint patch the power cut lost is not redone: the trace is right, the bytes
        // are not.
        let steps = try find("trustsDataArea", expect: DriverSimulation.contentsInvariant)
        XCTAssertTrue(steps.contains("power loss"), "\(steps)")
    }

    func testSeededWalksFindEveryBugOnTheCLIConfiguration() throws {
        // The CLI's bounds take about ten seconds to exhaust in release, too long for a debug
        // test run; seeded random and PCT walks find each bug there within a few dozen walks.
        let expected = ["durableOutOfOrder": ["driver.order", "driver.sync"], "recoveryStopsEarly": ["driver.no-loss"],
                        "acceptsStaleSegments": ["driver.lifecycle"], "trustsDataArea": [DriverSimulation.contentsInvariant]]
        for (fault, invariants) in expected.sorted(by: { $0.key < $1.key }) {
            let start = try XCTUnwrap(DriverSimulation(parsing: "ifaces=2 requests=4 crashes=1 torn=1 faults=" + fault))
            for strategy in [ExplorationStrategy.random(seed: 1), .pct(seed: 1, depth: 3)] {
                let report = explore(start, strategy: strategy, budget: ExplorationBudget(executions: 100), shrinkAttempts: 200)
                let found = try XCTUnwrap(report.counterexamples.first, "\(fault) not found by \(strategy)")
                XCTAssertTrue(invariants.contains(found.violation.invariant), "\(fault), \(strategy): \(found.violation)")
                XCTAssertEqual(try replay(start, path: found.path).violation?.invariant, found.violation.invariant)
            }
        }
    }
}
