import Explorer
import XCTest

final class WalkSearchTests: XCTestCase {
    func testRandomWalksFindTheRaceDeterministically() throws {
        let start = RaceModel(noise: 6)
        let first = explore(start, strategy: .random(seed: 42), budget: ExplorationBudget(executions: 50))
        XCTAssertEqual(first.verdict, .violation)
        XCTAssertFalse(first.exhaustive)
        XCTAssertLessThanOrEqual(first.executions, 50)
        let again = explore(start, strategy: .random(seed: 42), budget: ExplorationBudget(executions: 50))
        XCTAssertEqual(again.counterexamples, first.counterexamples)
        XCTAssertEqual(again.executions, first.executions)
        XCTAssertEqual(again.transitions, first.transitions)
        let found = try XCTUnwrap(first.counterexamples.first)
        XCTAssertEqual(try replay(start, path: found.path).violation, found.violation)
    }

    func testPCTFindsTheRaceDeterministically() throws {
        let start = RaceModel(noise: 6)
        let strategy = ExplorationStrategy.pct(seed: 7, depth: 2)
        let first = explore(start, strategy: strategy, budget: ExplorationBudget(executions: 100), shrinkAttempts: 0)
        XCTAssertEqual(first.verdict, .violation)
        let again = explore(start, strategy: strategy, budget: ExplorationBudget(executions: 100), shrinkAttempts: 0)
        XCTAssertEqual(again.counterexamples, first.counterexamples)
        XCTAssertEqual(again.executions, first.executions)
        let found = try XCTUnwrap(first.counterexamples.first)
        XCTAssertEqual(try replay(start, path: found.path).violation, found.violation)
    }

    func testPCTWithoutChangePointsRunsLanesOneAfterTheOther() {
        // Depth 1: no priority changes, so each walk runs whole lanes in priority order and the
        // unlocked increments never interleave.
        let report = explore(RaceModel(), strategy: .pct(seed: 1, depth: 1), budget: ExplorationBudget(executions: 64))
        XCTAssertEqual(report.verdict, .pass)
        XCTAssertEqual(report.executions, 64)
        XCTAssertFalse(report.exhaustive)
    }

    func testDifferentSeedsWalkDifferently() {
        let budget = ExplorationBudget(executions: 20)
        let a = explore(Counters(k: 4, m: 4), strategy: .random(seed: 1), budget: budget, fingerprints: true)
        let b = explore(Counters(k: 4, m: 4), strategy: .random(seed: 2), budget: budget, fingerprints: true)
        XCTAssertEqual(a.executions, 20)
        XCTAssertEqual(a.transitions, 20 * 16)
        XCTAssertNotEqual(a.fingerprints, b.fingerprints)
    }

    func testShardedWalksSplitTheWalks() {
        let budget = ExplorationBudget(executions: 30)
        for strategy in [ExplorationStrategy.random(seed: 9), .pct(seed: 9, depth: 3)] {
            let whole = explore(Counters(k: 4, m: 4), strategy: strategy, budget: budget, fingerprints: true)
            var union: Set<UInt64> = []
            var executions = 0
            for i in 0..<3 {
                let part = explore(Counters(k: 4, m: 4), strategy: strategy, budget: budget,
                                   shard: Shard(index: i, count: 3)!, fingerprints: true)
                union.formUnion(part.fingerprints!)
                executions += part.executions
            }
            XCTAssertEqual(executions, 30)
            XCTAssertEqual(union, Set(whole.fingerprints!))
            let parallel = explore(Counters(k: 4, m: 4), strategy: strategy, budget: budget, parallelism: 2,
                                   fingerprints: true)
            XCTAssertEqual(parallel.fingerprints, whole.fingerprints)
        }
    }
}
