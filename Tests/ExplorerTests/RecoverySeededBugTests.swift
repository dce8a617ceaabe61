import Explorer
import Recovery
import Specs
import XCTest

/// Each deliberate bug of the recovery core (`RecoveryCoreFaults`) is found by the exhaustive
/// search with a counterexample that replays to the same invariant, while the correct core
/// passes the same bounds.
final class RecoverySeededBugTests: XCTestCase {
    /// The bounds every bug is searched in: c0; c1 logs c0; c2 deps c0; c3 deps c2.
    let bounds = RecoverySimulation.Configuration(consumers: 4, workers: 2, failures: 1, crashes: 1)

    func testCorrectCorePassesTheBounds() {
        let report = explore(RecoverySimulation(bounds))
        XCTAssertEqual(report.verdict, .pass)
        XCTAssertTrue(report.exhaustive)
    }

    func testDependentStartedBeforeItsDependencyEndedIsFound() throws {
        // With failures allowed, the shortest counterexample is a dependent of a failed (so
        // skipped) consumer that started anyway (`recovery.skip`); without, a dependent that
        // started before its dependency ended.
        try assertFound(RecoveryCoreFaults(releaseDependentsAtStart: true), "recovery.skip")
        try assertFound(RecoveryCoreFaults(releaseDependentsAtStart: true), "recovery.deps-first",
                        in: RecoverySimulation.Configuration(consumers: 4, workers: 2, failures: 0, crashes: 1))
    }

    func testSkippedConsumersDependentThatRunsIsFound() throws {
        try assertFound(RecoveryCoreFaults(skippedDependentsRun: true), "recovery.skip")
    }

    func testSkipsThatAreNotTransitiveLeaveTheWalkStuck() throws {
        let found = try assertFound(RecoveryCoreFaults(skipsNotTransitive: true), RecoverySimulation.stuckInvariant)
        // The trace itself is clean: only the explorer sees that the run can never finish.
        let outcome = try replay(RecoverySimulation(bounds, faults: RecoveryCoreFaults(skipsNotTransitive: true)),
                                 path: found.path)
        XCTAssertEqual(try SpecRunner.run(RecoverySpec.self, events: outcome.state.events).violations.count, 0)
    }

    func testDoneBeforeEveryStartedConsumerEndedIsFound() throws {
        try assertFound(RecoveryCoreFaults(doneBeforeEnds: true), "recovery.complete")
    }

    func testLogProcessedBeforeItsUntagIsFound() throws {
        try assertFound(RecoveryCoreFaults(processBeforeUntag: true), "recovery.logs-first")
    }

    func testPCTFindsTheLogBugWithAFixedSeed() {
        let start = RecoverySimulation(bounds, faults: RecoveryCoreFaults(processBeforeUntag: true))
        let report = explore(start, strategy: .pct(seed: 1, depth: 3), budget: ExplorationBudget(executions: 200))
        XCTAssertEqual(report.verdict, .violation)
        XCTAssertEqual(report.counterexamples.first?.violation.invariant, "recovery.logs-first")
    }

    /// Explores `bounds` with `faults`; checks the first counterexample breaks `invariant`, was
    /// shrunk, and replays (twice, identically) to the same violation at its last step.
    @discardableResult
    private func assertFound(
        _ faults: RecoveryCoreFaults, _ invariant: String, in bounds: RecoverySimulation.Configuration? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> Counterexample {
        let start = RecoverySimulation(bounds ?? self.bounds, faults: faults)
        let report = explore(start)
        XCTAssertEqual(report.verdict, .violation, file: file, line: line)
        XCTAssertFalse(report.exhaustive, "a search stopped at a violation is not exhaustive", file: file, line: line)
        let found = try XCTUnwrap(report.counterexamples.first, file: file, line: line)
        XCTAssertEqual(found.violation.invariant, invariant, found.violation.message, file: file, line: line)
        XCTAssertLessThanOrEqual(found.path.count, found.originalLength ?? found.path.count, file: file, line: line)
        let outcome = try replay(start, path: found.path)
        XCTAssertEqual(outcome.violation, found.violation, file: file, line: line)
        XCTAssertEqual(outcome.violationStep, found.path.count, file: file, line: line)
        XCTAssertEqual(outcome.steps, found.steps, file: file, line: line)
        XCTAssertEqual(try replay(start, path: found.path).state.events, outcome.state.events, file: file, line: line)
        return found
    }
}
