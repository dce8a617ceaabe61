import Explorer
import Recovery
import XCTest

/// State caching and partial-order reduction must change how much work a search does, never
/// what it covers: for each system, on small bounds, every combination reaches the same set of
/// states (sleep sets prune transitions, never states; the cache prunes repeated subtrees) and
/// gives the same verdict; with a seeded bug, every combination finds it, with the same
/// invariant. (Past a violation the sets may differ: a violating state ends its path, and a
/// reduced search may have reached a state only through it.)
final class SearchEquivalenceTests: XCTestCase {
    /// Explores `start` every way and checks the state sets and verdicts agree; returns the
    /// executions with and without reduction (caching on).
    @discardableResult
    func assertSameCoverage<S: Explorable>(
        _ start: S, modes: [(caching: Bool, reduction: Bool)] = searchModes,
        file: StaticString = #filePath, line: UInt = #line
    ) -> (reduced: Int, unreduced: Int) {
        let reports = modes.map { explore(start, caching: $0.caching, reduction: $0.reduction, fingerprints: true) }
        let reference = reports[0]
        XCTAssertEqual(reference.verdict, .pass, file: file, line: line)
        XCTAssertTrue(reference.exhaustive, file: file, line: line)
        for (mode, report) in zip(modes, reports).dropFirst() {
            XCTAssertEqual(report.verdict, reference.verdict, "\(mode)", file: file, line: line)
            XCTAssertEqual(report.states, reference.states, "\(mode)", file: file, line: line)
            XCTAssertEqual(report.fingerprints, reference.fingerprints, "\(mode)", file: file, line: line)
        }
        let unreduced = zip(modes, reports).first { $0.0.caching && !$0.0.reduction }?.1.executions ?? reference.executions
        return (reference.executions, unreduced)
    }

    /// Explores the faulty `start` every way; each finds `invariant` first.
    func assertFoundEveryWay<S: Explorable>(
        _ start: S, _ invariant: String, modes: [(caching: Bool, reduction: Bool)] = searchModes,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        for mode in modes {
            let report = explore(start, caching: mode.caching, reduction: mode.reduction, shrinkAttempts: 0)
            XCTAssertEqual(report.verdict, .violation, "\(mode)", file: file, line: line)
            XCTAssertEqual(report.counterexamples.first?.violation.invariant, invariant, "\(mode)", file: file, line: line)
        }
    }

    func testMirrorCoverageIsTheSameEveryWay() throws {
        let start = try XCTUnwrap(MirrorSimulation(parsing: "streams=2 paths=2 records=2 crashes=1 failures=1"))
        let (reduced, unreduced) = assertSameCoverage(start, modes: [(true, true), (true, false)])
        XCTAssertLessThan(reduced, unreduced)
        assertSameCoverage(try XCTUnwrap(MirrorSimulation(parsing: "streams=1 paths=2 records=1 crashes=1 failures=1")))
    }

    func testMirrorSeededBugIsFoundEveryWay() throws {
        assertFoundEveryWay(try XCTUnwrap(MirrorSimulation(
            parsing: "streams=1 paths=2 records=1 crashes=1 failures=1 faults=skipsResendAfterPathFailure")),
            "mirror.commit-after-mirror")
    }

    func testDriverCoverageIsTheSameEveryWay() throws {
        let start = try XCTUnwrap(DriverSimulation(parsing: "ifaces=2 requests=2 crashes=1 torn=0"))
        let (reduced, unreduced) = assertSameCoverage(start)
        XCTAssertLessThan(reduced, unreduced)
    }

    func testDriverSeededBugIsFoundEveryWay() throws {
        assertFoundEveryWay(try XCTUnwrap(DriverSimulation(
            parsing: DriverSimulationTests.small + " faults=durableOutOfOrder")), "driver.sync",
            modes: [(true, true), (true, false)])
    }

    func testRecoveryCoverageIsTheSameEveryWay() {
        let start = RecoverySimulation(RecoverySimulation.Configuration(consumers: 4, workers: 2, failures: 1, crashes: 1))
        let (reduced, unreduced) = assertSameCoverage(start, modes: [(true, true), (true, false)])
        XCTAssertLessThan(reduced, unreduced)
        assertSameCoverage(RecoverySimulation(RecoverySimulation.Configuration(consumers: 3, workers: 2, failures: 1, crashes: 0)))
    }

    /// The first counterexample (and so its token) is the canonical one: the same whatever the
    /// threads, the shard that found a violation, or the strategy.
    func testTheFirstCounterexampleIsTheSameHoweverTheSearchIsSplit() throws {
        let start = try XCTUnwrap(MirrorSimulation(
            parsing: "streams=2 paths=2 records=3 crashes=0 failures=1 barriers=0 faults=appliesOnReceipt"))
        let reference = try XCTUnwrap(explore(start).counterexamples.first)
        var reports = [1, 2, 3].map { explore(start, parallelism: $0) }
        reports += (0..<4).map { explore(start, shard: Shard(index: $0, count: 4)!) }.filter { $0.verdict == .violation }
        reports.append(explore(start, strategy: .random(seed: 9), budget: ExplorationBudget(executions: 2_000)))
        reports.append(explore(start, reduction: false))
        XCTAssertGreaterThan(reports.count, 6)
        for report in reports {
            XCTAssertEqual(report.counterexamples.first?.path, reference.path)
            XCTAssertEqual(report.counterexamples.first?.violation, reference.violation)
        }
    }

    /// A search judges the same events whether or not the states keep their trace.
    func testKeepingTheTraceChangesNoVerdictOrState() throws {
        func same<S: ExplorationTarget>(_ start: S, file: StaticString = #filePath, line: UInt = #line) {
            let kept = explore(start, keepGoing: true, fingerprints: true)
            let judged = explore(start.withoutTrace(), keepGoing: true, fingerprints: true)
            XCTAssertEqual(kept.fingerprints, judged.fingerprints, file: file, line: line)
            XCTAssertEqual(kept.violationsFound, judged.violationsFound, file: file, line: line)
            XCTAssertEqual(kept.counterexamples.map(\.violation), judged.counterexamples.map(\.violation), file: file, line: line)
        }
        same(try XCTUnwrap(MirrorSimulation(parsing: "streams=2 paths=2 records=2 crashes=1 failures=1")))
        same(try XCTUnwrap(MirrorSimulation(parsing: "streams=2 paths=2 records=3 crashes=0 failures=1 barriers=0 faults=appliesOnReceipt")))
        same(try XCTUnwrap(DriverSimulation(parsing: DriverSimulationTests.small)))
        same(try XCTUnwrap(DriverSimulation(parsing: DriverSimulationTests.small + " faults=recoveryStopsEarly")))
        same(RecoverySimulation(RecoverySimulation.Configuration(consumers: 4, workers: 2, failures: 1, crashes: 1)))
        same(try XCTUnwrap(RecoverySimulation(parsing: "consumers=4 faults=processBeforeUntag")))
    }

    func testRecoverySeededBugIsFoundEveryWay() {
        assertFoundEveryWay(RecoverySimulation(RecoverySimulation.Configuration(consumers: 4, workers: 2, failures: 0, crashes: 1),
                                               faults: RecoveryCoreFaults(releaseDependentsAtStart: true)),
                            "recovery.deps-first", modes: [(true, true), (true, false)])
    }
}
