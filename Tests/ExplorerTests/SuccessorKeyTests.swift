@testable import Explorer
import Foundation
import XCTest

/// Successor keys (`Explorable.fingerprint(successorKeys:)`) let the search count a crash as a
/// step without taking it, where the key led before to a state whose visit would be pruned on
/// arrival. That is sound only if a key decides the state it leads to, and it must change
/// nothing a search reports.
final class SuccessorKeyTests: XCTestCase {
    func testAMirrorCrashKeyDecidesTheStateTheCrashLeadsTo() throws {
        for bounds in ["streams=2 paths=2 records=3 crashes=1 failures=1",
                       "streams=2 paths=2 records=2 crashes=2 failures=1 barriers=1",
                       "streams=2 paths=1 records=2 crashes=1 failures=1 faults=commitsBeforeAck",
                       "streams=1 paths=2 records=2 crashes=1 failures=1 faults=appliesAfterTakeover"] {
            let start = try XCTUnwrap(MirrorSimulation(parsing: bounds)).withoutTrace()
            assertKeysDecideSuccessors(start, keyed: [.crashPrimary, .crashSecondary], bounds)
        }
    }

    func testARecoveryCrashKeyDecidesTheStateTheCrashLeadsTo() throws {
        for bounds in ["consumers=4 workers=2 failures=1 crashes=1 seed=0",
                       "consumers=4 workers=2 failures=1 crashes=2 seed=3",
                       "consumers=4 workers=2 failures=0 crashes=1 seed=0 faults=releaseDependentsAtStart",
                       "consumers=4 workers=2 failures=1 crashes=1 seed=0 faults=skippedDependentsRun+doneBeforeEnds",
                       "consumers=4 workers=2 failures=1 crashes=1 seed=0 faults=processBeforeUntag"] {
            let configuration = try XCTUnwrap(RecoverySimulation.Configuration(parsing: bounds), bounds)
            assertKeysDecideSuccessors(RecoverySimulation(configuration).withoutTrace(), keyed: [.crash], bounds)
        }
    }

    /// Skipping steps by their keys changes nothing a search reports: the same states,
    /// transitions, executions, verdicts and counterexamples as a search that takes them all.
    func testSearchesWithAndWithoutSuccessorKeysReportAlike() throws {
        for bounds in ["streams=2 paths=2 records=3 crashes=1 failures=1",
                       "streams=2 paths=1 records=2 crashes=2 failures=1 barriers=1",
                       "streams=2 paths=1 records=2 crashes=1 failures=1 faults=commitsBeforeAck",
                       "streams=1 paths=2 records=2 crashes=1 failures=1 faults=skipsResendAfterPathFailure"] {
            assertKeysChangeNothing(try XCTUnwrap(MirrorSimulation(parsing: bounds)), bounds)
        }
        for bounds in ["consumers=5 workers=2 failures=1 crashes=1 seed=0",
                       "consumers=4 workers=2 failures=1 crashes=2 seed=3",
                       "consumers=4 workers=2 failures=1 crashes=1 seed=0 faults=doneBeforeEnds"] {
            let configuration = try XCTUnwrap(RecoverySimulation.Configuration(parsing: bounds), bounds)
            assertKeysChangeNothing(RecoverySimulation(configuration), bounds)
        }
    }

    /// Over every state reachable from `start`: the keyed choices are exactly those of `keyed`
    /// that are enabled, and two states with one key for a choice lead by it to states with
    /// one fingerprint and one verdict; some key is met twice, so the check is not vacuous.
    private func assertKeysDecideSuccessors<S: Explorable>(
        _ start: S, keyed: [S.Choice], _ label: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        var led: [UInt64: (fingerprint: UInt64, verdict: String)] = [:]
        var seen: Set<UInt64> = []
        var shared = 0
        var stack = [start]
        while let state = stack.popLast() {
            var keys: [(choice: S.Choice, key: UInt64)] = []
            let fingerprint = state.fingerprint(successorKeys: &keys)
            XCTAssertEqual(fingerprint, state.fingerprint(), label, file: file, line: line)
            guard seen.insert(fingerprint).inserted, state.violation() == nil else { continue }
            let choices = state.choices()
            XCTAssertEqual(keys.map(\.choice), choices.filter(keyed.contains), label, file: file, line: line)
            for choice in choices {
                var child = state
                child.apply(choice)
                if let key = keys.first(where: { $0.choice == choice })?.key {
                    let outcome = (child.fingerprint(), child.violation()?.invariant ?? "-")
                    if let old = led[key] {
                        shared += 1
                        XCTAssertEqual(old.fingerprint, outcome.0, "\(label): \(choice)", file: file, line: line)
                        XCTAssertEqual(old.verdict, outcome.1, "\(label): \(choice)", file: file, line: line)
                    }
                    led[key] = outcome
                }
                stack.append(child)
            }
        }
        XCTAssertGreaterThan(shared, 0, "\(label): no key met twice", file: file, line: line)
    }

    /// Searches with keys and without report alike, on one thread and on two (there going on
    /// past violations); on one thread and a passing space, the search with keys applies fewer
    /// steps (it skips some).
    private func assertKeysChangeNothing<S: Explorable>(
        _ start: S, _ label: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        for keepGoing in [false, true] {
            for reduction in [true, false] {
                let taken = (with: StepCounter(), without: StepCounter())
                let with = explore(Counted(system: start, counter: taken.with), reduction: reduction,
                                   keepGoing: keepGoing)
                let without = explore(WithoutSuccessorKeys(system: Counted(system: start, counter: taken.without)),
                                      reduction: reduction, keepGoing: keepGoing)
                let mode = "\(label) keepGoing=\(keepGoing) reduction=\(reduction)"
                XCTAssertEqual(with.states, without.states, mode, file: file, line: line)
                XCTAssertEqual(with.transitions, without.transitions, mode, file: file, line: line)
                XCTAssertEqual(with.executions, without.executions, mode, file: file, line: line)
                XCTAssertEqual(with.verdict, without.verdict, mode, file: file, line: line)
                XCTAssertEqual(with.violationsFound, without.violationsFound, mode, file: file, line: line)
                XCTAssertEqual(with.maxDepth, without.maxDepth, mode, file: file, line: line)
                XCTAssertEqual(with.counterexamples.map(\.path), without.counterexamples.map(\.path), mode,
                               file: file, line: line)
                if with.verdict == .pass {
                    XCTAssertLessThan(taken.with.count, taken.without.count, "\(mode): no step skipped",
                                      file: file, line: line)
                }
            }
        }
        // Past every violation (`keepGoing`): a search that stops at the first one stops at a
        // point that depends on how the two threads ran, and so does its count of states.
        let with = explore(start, keepGoing: true, parallelism: 2)
        let without = explore(WithoutSuccessorKeys(system: start), keepGoing: true, parallelism: 2)
        XCTAssertEqual(with.states, without.states, "\(label) on two threads", file: file, line: line)
        XCTAssertEqual(with.verdict, without.verdict, "\(label) on two threads", file: file, line: line)
        XCTAssertEqual(with.counterexamples.first?.path, without.counterexamples.first?.path,
                       "\(label) on two threads", file: file, line: line)
    }
}

/// Counts the steps applied through `Counted` systems. Thread-safe (behind a lock).
private final class StepCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var steps = 0

    /// The steps applied so far.
    var count: Int { lock.withLock { steps } }

    /// Counts one step.
    func add() { lock.withLock { steps += 1 } }
}

/// `system`, counting every step it applies in `counter`; its successor keys are its own.
private struct Counted<System: Explorable>: Explorable {
    var system: System
    let counter: StepCounter
    func choices() -> [System.Choice] { system.choices() }
    mutating func apply(_ choice: System.Choice) {
        counter.add()
        system.apply(choice)
    }
    func fingerprint() -> UInt64 { system.fingerprint() }
    func fingerprint(successorKeys keys: inout [(choice: System.Choice, key: UInt64)]) -> UInt64 {
        system.fingerprint(successorKeys: &keys)
    }
    func independent(_ a: System.Choice, _ b: System.Choice) -> Bool { system.independent(a, b) }
    func violation() -> ExplorationViolation? { system.violation() }
}

/// `system` without successor keys: every step is taken.
private struct WithoutSuccessorKeys<System: Explorable>: Explorable {
    var system: System
    func choices() -> [System.Choice] { system.choices() }
    mutating func apply(_ choice: System.Choice) { system.apply(choice) }
    func fingerprint() -> UInt64 { system.fingerprint() }
    func independent(_ a: System.Choice, _ b: System.Choice) -> Bool { system.independent(a, b) }
    func violation() -> ExplorationViolation? { system.violation() }
}
