@testable import Explorer
import Foundation
import Recovery
import Trace
import XCTest

/// Threads of one exhaustive search share the states they entered (`ClaimedStates`) and hand
/// untaken choices to a thread that waits (`SearchQueue`): less duplicate work, never less
/// coverage. Whatever the threads and however their timing falls, the search reaches exactly
/// the states one thread reaches, with the same verdict and the same first counterexample.
final class ParallelSearchTests: XCTestCase {
    /// Explores `start` on one thread, then several times on 2, 3 and 4; the state sets agree.
    func assertSameStatesOnEveryThreadCount<S: Explorable>(
        _ start: S, file: StaticString = #filePath, line: UInt = #line
    ) {
        let single = explore(start, fingerprints: true)
        XCTAssertTrue(single.exhaustive, file: file, line: line)
        for threads in [2, 2, 3, 4] {
            let parallel = explore(start, parallelism: threads, fingerprints: true)
            XCTAssertTrue(parallel.exhaustive, "\(threads) threads", file: file, line: line)
            XCTAssertEqual(parallel.verdict, single.verdict, "\(threads) threads", file: file, line: line)
            XCTAssertEqual(parallel.fingerprints, single.fingerprints, "\(threads) threads", file: file, line: line)
        }
    }

    func testEverySystemReachesTheSameStatesOnAnyNumberOfThreads() throws {
        assertSameStatesOnEveryThreadCount(try XCTUnwrap(MirrorSimulation(
            parsing: "streams=2 paths=2 records=2 crashes=1 failures=1")))
        assertSameStatesOnEveryThreadCount(try XCTUnwrap(DriverSimulation(parsing: DriverSimulationTests.small)))
        assertSameStatesOnEveryThreadCount(RecoverySimulation(
            RecoverySimulation.Configuration(consumers: 4, workers: 2, failures: 1, crashes: 1)))
        assertSameStatesOnEveryThreadCount(RandomProgram(seed: 5, threads: 3, length: 4, variables: 2))
    }

    func testABugIsFoundWithTheSameCounterexampleOnAnyNumberOfThreads() throws {
        let start = try XCTUnwrap(DriverSimulation(parsing: DriverSimulationTests.small + " faults=durableOutOfOrder"))
        let single = try XCTUnwrap(explore(start).counterexamples.first)
        for threads in [2, 3] {
            let found = try XCTUnwrap(explore(start, parallelism: threads).counterexamples.first)
            XCTAssertEqual(found.path, single.path, "\(threads) threads")
            XCTAssertEqual(found.violation, single.violation, "\(threads) threads")
        }
    }

    func testEachSystemRebuildsItsStartAndANodeIsReplayedOntoIt() throws {
        func check<S: ExplorationTarget>(_ start: S, file: StaticString = #filePath, line: UInt = #line) throws {
            let rebuilt = try XCTUnwrap(start.rebuilt(), file: file, line: line)
            XCTAssertEqual(rebuilt.fingerprint(), start.fingerprint(), file: file, line: line)
            XCTAssertTrue(rebuilt.encodedTrace() == start.encodedTrace(), file: file, line: line)
            var state = start
            var path: [Int] = []
            while path.count < 8, !state.choices().isEmpty {
                let choices = state.choices()
                path.append(choices.count / 2)
                state.apply(choices[choices.count / 2])
            }
            let node = SearchNode(state: state, depth: path.count, sleep: [], path: path).replayed(from: rebuilt)
            XCTAssertEqual(node.state.fingerprint(), state.fingerprint(), file: file, line: line)
            XCTAssertTrue(node.state.encodedTrace() == state.encodedTrace(), file: file, line: line)
        }
        let mirror = try XCTUnwrap(MirrorSimulation(parsing: "streams=2 paths=2 records=2 crashes=1 failures=1"))
        try check(mirror)
        try check(mirror.withoutTrace())
        let driver = try XCTUnwrap(DriverSimulation(parsing: DriverSimulationTests.small))
        try check(driver)
        try check(driver.withoutTrace())
        let recovery = RecoverySimulation(RecoverySimulation.Configuration(consumers: 4, workers: 2, failures: 1, crashes: 1))
        try check(recovery)
        try check(recovery.withoutTrace())
    }

    func testTheDriversCrashTallyIsTheSameOnAnyNumberOfThreads() throws {
        // Each thread replays its subtrees from a start of its own, which must tally into the
        // same place: crash points and recoveries are sets of states, so the counts agree.
        let bounds = "ifaces=1 requests=3 crashes=1 torn=1"
        let one = CrashStatistics(), three = CrashStatistics()
        XCTAssertTrue(explore(try XCTUnwrap(DriverSimulation(parsing: bounds)).collecting(one)).exhaustive)
        XCTAssertTrue(explore(try XCTUnwrap(DriverSimulation(parsing: bounds)).collecting(three), parallelism: 3).exhaustive)
        XCTAssertGreaterThan(one.summary.crashPoints, 0)
        XCTAssertEqual(three.summary.crashPoints, one.summary.crashPoints)
        XCTAssertEqual(three.summary.maxCachedWrites, one.summary.maxCachedWrites)
        XCTAssertEqual(three.summary.recoveryRuns, one.summary.recoveryRuns)
    }

    func testAQueueEndsOnceEveryThreadThatStartedWaits() {
        let queue = SearchQueue([SearchNode(state: Counters(k: 1, m: 1), depth: 0, sleep: [], path: [])])
        queue.begin()
        queue.begin()
        XCTAssertNotNil(queue.take(isOver: { false }))
        XCTAssertFalse(queue.isHungry)
        // The second thread waits while the first works; the first hands two nodes over.
        let taken = Locked([Int]())
        let second = Thread {
            while let node = queue.take(isOver: { false }) { taken.withLock { $0.append(node.depth) } }
        }
        second.start()
        while !queue.isHungry { usleep(100) }
        queue.donate([SearchNode(state: Counters(k: 1, m: 1), depth: 1, sleep: [], path: [0]),
                      SearchNode(state: Counters(k: 1, m: 1), depth: 2, sleep: [], path: [0, 0])])
        while taken.withLock({ $0.count }) < 2 { usleep(100) }
        // The first thread waits too: nothing is left, so the search is over for both.
        XCTAssertNil(queue.take(isOver: { false }))
        while !second.isFinished { usleep(100) }
        XCTAssertEqual(taken.withLock { $0 }, [1, 2])
    }

    func testAStoppedSearchStopsAWaitingThread() {
        let queue = SearchQueue([SearchNode<Counters>]())
        queue.begin()
        queue.begin()
        XCTAssertNil(queue.take(isOver: { true }))
    }
}
