import Explorer
import XCTest

final class ExhaustiveSearchTests: XCTestCase {
    func testIndependentCountersReachEveryStateAndReductionPrunesExecutions() {
        let start = Counters(k: 3, m: 3)
        var executions: [String: Int] = [:]
        for mode in searchModes {
            let report = explore(start, caching: mode.caching, reduction: mode.reduction)
            XCTAssertEqual(report.verdict, .pass)
            XCTAssertTrue(report.exhaustive, "\(mode)")
            XCTAssertEqual(report.states, 64, "\(mode)")  // (m+1)^k
            XCTAssertEqual(report.maxDepth, 9)
            executions["\(mode.caching)/\(mode.reduction)"] = report.executions
        }
        XCTAssertEqual(executions["false/false"], 1680)  // 9! / (3!)^3 interleavings
        // With sleep sets every state is entered once (63 transitions); the paths that end with
        // every choice asleep are the executions.
        XCTAssertEqual(executions["false/true"], 16)
        XCTAssertEqual(executions["true/true"], 16)
        XCTAssertLessThan(executions["true/true"]! * 4, executions["true/false"]!)  // 82: one per edge to a seen state
        XCTAssertLessThan(executions["false/true"]! * 100, executions["false/false"]!)
    }

    func testLostUpdateIsFoundInEveryModeAndReplays() throws {
        for mode in searchModes {
            let start = RaceModel()
            let report = explore(start, caching: mode.caching, reduction: mode.reduction)
            XCTAssertEqual(report.verdict, .violation, "\(mode)")
            XCTAssertFalse(report.exhaustive)
            let found = try XCTUnwrap(report.counterexamples.first)
            XCTAssertEqual(found.violation.invariant, "race.lostUpdate")
            XCTAssertEqual(found.path.count, 4)
            let outcome = try replay(start, path: found.path)
            XCTAssertEqual(outcome.violation, found.violation)
            XCTAssertEqual(outcome.violationStep, found.path.count)
            XCTAssertEqual(outcome.steps, found.steps)
        }
    }

    func testLockedIncrementPassesExhaustively() {
        for mode in searchModes {
            let report = explore(RaceModel(locked: true, noise: 2), caching: mode.caching, reduction: mode.reduction)
            XCTAssertEqual(report.verdict, .pass, "\(mode)")
            XCTAssertTrue(report.exhaustive, "\(mode)")
            XCTAssertEqual(report.states, reachable(RaceModel(locked: true, noise: 2)).count, "\(mode)")
        }
    }

    func testKeepGoingCountsEveryViolatingState() {
        let stopping = explore(RaceModel(), caching: false, reduction: false)
        XCTAssertEqual(stopping.violationsFound, 1)
        let going = explore(RaceModel(), caching: false, reduction: false, keepGoing: true)
        XCTAssertEqual(going.verdict, .violation)
        XCTAssertTrue(going.exhaustive)
        XCTAssertEqual(going.executions, 6)  // 4! / (2! 2!) interleavings
        XCTAssertEqual(going.violationsFound, 4)  // all but the two serial ones
        XCTAssertEqual(going.counterexamples.count, 4)
    }

    func testCounterexamplesOfTheSameInvariantAndPathAreGroupedWithACount() {
        let going = explore(RaceModel(), caching: false, reduction: false, keepGoing: true)
        let groups = CounterexampleGroup.grouping(going.counterexamples)
        // Every count adds up to what was kept, and no two groups are the same.
        XCTAssertEqual(groups.reduce(0) { $0 + $1.count }, going.counterexamples.count)
        let keys = groups.map { "\($0.counterexample.violation.invariant) \($0.counterexample.path)" }
        XCTAssertEqual(Set(keys).count, groups.count)
        for group in groups {
            XCTAssertEqual(going.counterexamples.filter {
                $0.path == group.counterexample.path && $0.violation.invariant == group.counterexample.violation.invariant
            }.count, group.count)
        }
        // In the order first found.
        XCTAssertEqual(groups.first?.counterexample, going.counterexamples.first)
        let broken = ExplorationViolation(invariant: "a", message: "", kind: .traceInvariant)
        let other = ExplorationViolation(invariant: "b", message: "", kind: .traceInvariant)
        let grouped = CounterexampleGroup.grouping([
            Counterexample(path: [1, 0], steps: [], violation: broken),
            Counterexample(path: [1, 0], steps: [], violation: other),
            Counterexample(path: [1, 0], steps: [], violation: broken, originalLength: 7),
            Counterexample(path: [0], steps: [], violation: broken),
        ])
        XCTAssertEqual(grouped.map(\.count), [2, 1, 1])
        XCTAssertEqual(grouped.map(\.counterexample.violation.invariant), ["a", "b", "a"])
    }

    func testRandomProgramsReachExactlyTheReachableStates() {
        for seed in UInt64(1)...10 {
            for cyclic in [false, true] {
                var start = RandomProgram(seed: seed, threads: 3, length: cyclic ? 2 : 3, variables: 2)
                start.cyclic = cyclic
                for bound in [nil, 2, 5] as [Int?] {
                    let expected = reachable(start, bound: bound ?? .max)
                    // Without caching or a bound, a cyclic program runs forever.
                    for mode in searchModes where mode.caching || bound != nil || !cyclic {
                        let report = explore(start, depthBound: bound, caching: mode.caching,
                                             reduction: mode.reduction, fingerprints: true)
                        XCTAssertEqual(Set(report.fingerprints!), expected,
                                       "seed \(seed) cyclic \(cyclic) bound \(String(describing: bound)) \(mode)")
                        XCTAssertEqual(report.exhaustive, bound == nil || report.depthCuts == 0)
                    }
                }
            }
        }
    }

    func testCyclesTerminateWithCachingAndDepthBoundsStaySound() {
        for commuting in [false, true] {
            let ring = Ring(size: 40, commuting: commuting)
            let all = explore(ring, fingerprints: true)
            XCTAssertTrue(all.exhaustive)
            XCTAssertEqual(all.states, 40)
            for bound in [1, 3, 4, 7, 12] {
                let report = explore(ring, depthBound: bound, fingerprints: true)
                XCTAssertEqual(Set(report.fingerprints!), reachable(ring, bound: bound), "bound \(bound) \(commuting)")
                XCTAssertFalse(report.exhaustive)
                XCTAssertGreaterThan(report.depthCuts, 0)
            }
        }
    }

    func testReportsTheOptionsUsed() {
        let report = explore(Counters(k: 2, m: 2), caching: false)
        XCTAssertFalse(report.options.stateCaching)
        XCTAssertTrue(report.options.partialOrderReduction)
        XCTAssertEqual(report.options.strategy, .exhaustive)
    }
}
