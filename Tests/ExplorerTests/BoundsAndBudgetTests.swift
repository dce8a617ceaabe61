import Explorer
import Foundation
import XCTest

final class BoundsAndBudgetTests: XCTestCase {
    func testDepthBoundCutMakesTheSearchNotExhaustive() {
        let cut = explore(Counters(k: 3, m: 3), depthBound: 5)
        XCTAssertFalse(cut.exhaustive)
        XCTAssertGreaterThan(cut.depthCuts, 0)
        XCTAssertEqual(cut.maxDepth, 5)
        XCTAssertEqual(cut.verdict, .pass)
        // A bound the paths never reach cuts nothing.
        let loose = explore(Counters(k: 3, m: 3), depthBound: 9)
        XCTAssertTrue(loose.exhaustive)
        XCTAssertEqual(loose.depthCuts, 0)
    }

    func testExecutionBudgetCutMakesTheSearchNotExhaustive() {
        let report = explore(Counters(k: 3, m: 3), caching: false, reduction: false,
                             budget: ExplorationBudget(executions: 100))
        XCTAssertFalse(report.exhaustive)
        XCTAssertTrue(report.budgetExhausted)
        XCTAssertEqual(report.executions, 100)
        // A budget the search fits in exactly is not a cut.
        let exact = explore(Counters(k: 3, m: 3), caching: false, reduction: false,
                            budget: ExplorationBudget(executions: 1680))
        XCTAssertTrue(exact.exhaustive)
        XCTAssertFalse(exact.budgetExhausted)
    }

    func testTimeBudgetStopsAndProgressIsThrottled() {
        let calls = Calls()
        let report = Exploration(start: Counters(k: 4, m: 6), options: ExplorationOptions(
            stateCaching: false, partialOrderReduction: false, budget: ExplorationBudget(time: .milliseconds(700))
        )).run { calls.add($0) }
        XCTAssertFalse(report.exhaustive)
        XCTAssertTrue(report.budgetExhausted)
        let seen = calls.all
        XCTAssertGreaterThanOrEqual(seen.count, 1)
        XCTAssertLessThanOrEqual(seen.count, 4)
        XCTAssertTrue(zip(seen, seen.dropFirst()).allSatisfy { $0.executions <= $1.executions })
        XCTAssertGreaterThan(seen.last?.executionsPerSecond ?? 0, 0)
    }

    func testReportEncodesAsJSON() throws {
        let report = explore(RaceModel())
        let data = try JSONEncoder().encode(report)
        XCTAssertEqual(try JSONDecoder().decode(ExplorationReport.self, from: data), report)
    }
}

/// Progress snapshots collected from the explorer's threads.
private final class Calls: @unchecked Sendable {
    private let lock = NSLock()
    private var snapshots: [ExplorationProgress] = []

    func add(_ progress: ExplorationProgress) {
        lock.lock()
        snapshots.append(progress)
        lock.unlock()
    }

    var all: [ExplorationProgress] {
        lock.lock()
        defer { lock.unlock() }
        return snapshots
    }
}
