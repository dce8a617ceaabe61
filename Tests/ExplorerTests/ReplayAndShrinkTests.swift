import Explorer
import XCTest

final class ReplayAndShrinkTests: XCTestCase {
    func testOutOfRangeIndexIsADivergenceNamingTheStep() {
        XCTAssertThrowsError(try replay(RaceModel(), path: [0, 1, 5])) { error in
            XCTAssertEqual(error as? ReplayDivergence, ReplayDivergence(step: 2, index: 5, choiceCount: 2))
            XCTAssertTrue("\(error)".contains("step 2"))
        }
        XCTAssertThrowsError(try replay(Counters(k: 1, m: 1), path: [0, 0])) { error in
            XCTAssertEqual(error as? ReplayDivergence, ReplayDivergence(step: 1, index: 0, choiceCount: 0))
        }
    }

    func testReplayReportsTheFirstViolation() throws {
        let outcome = try replay(RaceModel(), path: [0, 1, 0, 0])
        XCTAssertEqual(outcome.steps, ["T0.read", "T1.read", "T0.write", "T1.write"])
        XCTAssertEqual(outcome.violation?.invariant, "race.lostUpdate")
        XCTAssertEqual(outcome.violationStep, 4)
        XCTAssertNil(try replay(RaceModel(), path: [0, 0, 0, 0]).violation)
    }

    func testRandomCounterexampleShrinksToTheMinimalInterleaving() throws {
        let start = RaceModel(noise: 12)
        let budget = ExplorationBudget(executions: 200)
        // A seed whose first counterexample wanders through the noise lane.
        let seed = try XCTUnwrap((UInt64(1)...50).first { seed in
            let report = explore(start, strategy: .random(seed: seed), budget: budget, shrinkAttempts: 0)
            return (report.counterexamples.first?.path.count ?? 0) >= 10
        })
        let raw = explore(start, strategy: .random(seed: seed), budget: budget, shrinkAttempts: 0)
        let found = try XCTUnwrap(raw.counterexamples.first)
        XCTAssertGreaterThanOrEqual(found.path.count, 10)
        let shrunk = Shrinker(start: start, maxAttempts: 500).shrink(found)
        XCTAssertEqual(shrunk.path.count, 4)
        XCTAssertEqual(shrunk.originalLength, found.path.count)
        XCTAssertEqual(shrunk.violation.invariant, "race.lostUpdate")
        let outcome = try replay(start, path: shrunk.path)
        XCTAssertEqual(outcome.violation, shrunk.violation)
        XCTAssertEqual(outcome.steps, shrunk.steps)
        XCTAssertEqual(outcome.violationStep, 4)
        // The explorer shrinks what it reports.
        let reported = explore(start, strategy: .random(seed: seed), budget: budget)
        XCTAssertEqual(reported.counterexamples.first?.path.count, 4)
        XCTAssertEqual(reported.counterexamples.first?.originalLength, found.path.count)
    }

    func testExhaustiveCounterexampleShrinksWithNoise() throws {
        let start = RaceModel(noise: 5)
        let report = explore(start, reduction: false, shrinkAttempts: 0)
        let found = try XCTUnwrap(report.counterexamples.first)
        let shrunk = Shrinker(start: start).shrink(found)
        XCTAssertEqual(shrunk.path.count, 4)
        XCTAssertEqual(shrunk.path, [0, 1, 0, 0])  // lowest indices first
    }

    /// A shrink told to stop (the exploration's time budget ran out, or it was cancelled)
    /// keeps the shortest path found by then: after its first replay, which describes the
    /// steps, it asks before every other, and what it returns still fails the same way.
    func testShrinkerStopsWhenToldAndKeepsWhatItHas() throws {
        let start = RaceModel(noise: 5)
        let found = try XCTUnwrap(explore(start, reduction: false, shrinkAttempts: 0).counterexamples.first)
        var asked = 0
        let stopped = Shrinker(start: start).shrink(found) {
            asked += 1
            return true
        }
        XCTAssertEqual(asked, 1)
        XCTAssertEqual(stopped.path, Array(found.path.prefix(stopped.path.count)))
        XCTAssertEqual(stopped.steps.count, stopped.path.count)
        XCTAssertEqual(try replay(start, path: stopped.path).violation, stopped.violation)
        var left = 3
        let partly = Shrinker(start: start).shrink(found) {
            left -= 1
            return left < 0
        }
        XCTAssertLessThanOrEqual(partly.path.count, stopped.path.count)
        XCTAssertEqual(try replay(start, path: partly.path).violation, partly.violation)
        XCTAssertEqual(Shrinker(start: start).shrink(found).path.count, 4)
    }

    /// Without --keep-going a search stops at its first violation and reports one
    /// counterexample (the canonical, shortest one), whatever its threads found; with it, the
    /// search's own follow.
    func testOneViolationWithoutKeepGoingIsOneCounterexample() throws {
        let start = RaceModel(noise: 5)
        for threads in [1, 2] {
            let report = explore(start, reduction: false, parallelism: threads)
            XCTAssertEqual(report.counterexamples.count, 1, "\(threads) threads")
            XCTAssertEqual(report.counterexamples.first?.path.count, 4)
        }
        XCTAssertGreaterThan(explore(start, reduction: false, keepGoing: true).counterexamples.count, 1)
    }

    func testShrinkerLeavesAPathThatDoesNotFailAlone() {
        let passing = Counterexample(path: [0, 0, 0, 0], steps: [],
                                     violation: ExplorationViolation(invariant: "race.lostUpdate", message: "", kind: .explorerCheck))
        XCTAssertEqual(Shrinker(start: RaceModel()).shrink(passing), passing)
    }
}
