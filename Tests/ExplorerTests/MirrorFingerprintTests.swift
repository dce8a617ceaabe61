@testable import Explorer
import XCTest

/// The mirror's fingerprint is its state, not its history: states reached by different
/// histories merge, and merging is sound: merged states have the same choices, verdicts and
/// successors, and a search with caching finds every invariant a search without caching does.
final class MirrorFingerprintTests: XCTestCase {
    func testStatesWithEqualFingerprintsAreInterchangeable() throws {
        for bounds in ["streams=2 paths=2 records=2 crashes=1 failures=1",
                       "streams=2 paths=2 records=3 crashes=0 failures=1 barriers=2",
                       "streams=1 paths=2 records=2 crashes=1 failures=1 faults=skipsResendAfterPathFailure",
                       "streams=2 paths=2 records=3 crashes=0 failures=1 barriers=0 faults=appliesOnReceipt",
                       "streams=2 paths=1 records=3 crashes=1 failures=1 barriers=1",
                       "streams=2 paths=2 records=2 crashes=1 failures=1 barriers=1 faults=ignoresBarriers"] {
            let start = try XCTUnwrap(MirrorSimulation(parsing: bounds)).withoutTrace()
            var seen: [UInt64: [String]] = [:]
            var merges = 0
            var stack = [start]
            while let state = stack.popLast() {
                var signature = [state.violation()?.invariant ?? "-"]
                var children: [MirrorSimulation] = []
                if state.violation() == nil {
                    for choice in state.choices() {
                        var child = state
                        child.apply(choice)
                        children.append(child)
                        signature.append("\(choice) -> \(child.fingerprint()) \(child.violation()?.invariant ?? "-")")
                    }
                }
                if let old = seen[state.fingerprint()] {
                    merges += 1
                    XCTAssertEqual(old, signature, bounds)
                    continue
                }
                seen[state.fingerprint()] = signature
                stack += children
            }
            XCTAssertGreaterThan(merges, 0, "\(bounds): no state reached twice")
        }
    }

    func testCachingFindsEveryInvariantASearchWithoutItFinds() throws {
        for bounds in ["streams=1 paths=2 records=1 crashes=1 failures=1 faults=skipsResendAfterPathFailure",
                       "streams=1 paths=1 records=1 crashes=0 failures=1 faults=appliesAfterTakeover",
                       "streams=2 paths=1 records=2 crashes=1 failures=1 faults=commitsBeforeAck",
                       "streams=2 paths=2 records=2 crashes=0 failures=1 barriers=1 faults=ignoresBarriers"] {
            let start = try XCTUnwrap(MirrorSimulation(parsing: bounds))
            let cached = explore(start, keepGoing: true)
            let uncached = explore(start, caching: false, keepGoing: true)
            XCTAssertEqual(cached.verdict, .violation, bounds)
            XCTAssertEqual(Set(cached.counterexamples.map(\.violation.invariant)),
                           Set(uncached.counterexamples.map(\.violation.invariant)), bounds)
        }
    }

    /// A crash's successor key (what the search uses to skip a step into a state it explored
    /// in full) decides the state: every pair of reachable states with one key for a crash
    /// leads by it to one fingerprint, and some keys are shared, so the test is not vacuous.
    func testACrashKeyDecidesTheStateTheCrashLeadsTo() throws {
        for bounds in ["streams=2 paths=2 records=3 crashes=1 failures=1",
                       "streams=2 paths=2 records=2 crashes=2 failures=1 barriers=1",
                       "streams=2 paths=1 records=2 crashes=1 failures=1 faults=commitsBeforeAck",
                       "streams=1 paths=2 records=2 crashes=1 failures=1 faults=appliesAfterTakeover"] {
            let start = try XCTUnwrap(MirrorSimulation(parsing: bounds)).withoutTrace()
            var led: [UInt64: UInt64] = [:]
            var seen: Set<UInt64> = []
            var shared = 0
            var stack = [start]
            while let state = stack.popLast() {
                var keys: [(choice: MirrorSimulation.Choice, key: UInt64)] = []
                let fingerprint = state.fingerprint(successorKeys: &keys)
                XCTAssertEqual(fingerprint, state.fingerprint(), bounds)
                guard seen.insert(fingerprint).inserted, state.violation() == nil else { continue }
                let choices = state.choices()
                XCTAssertEqual(keys.map(\.choice), choices.filter { $0 == .crashPrimary || $0 == .crashSecondary },
                               bounds)
                for (choice, key) in keys {
                    var child = state
                    child.apply(choice)
                    if let old = led[key] {
                        shared += 1
                        XCTAssertEqual(old, child.fingerprint(), "\(bounds): \(choice)")
                    }
                    led[key] = child.fingerprint()
                }
                for choice in choices {
                    var child = state
                    child.apply(choice)
                    stack.append(child)
                }
            }
            XCTAssertGreaterThan(shared, 0, "\(bounds): no key met twice")
        }
    }

    /// Skipping steps by successor keys changes nothing a search reports: the same states,
    /// transitions, executions, verdicts and counterexamples as a search that takes them all.
    func testSearchesWithAndWithoutSuccessorKeysReportAlike() throws {
        for bounds in ["streams=2 paths=2 records=3 crashes=1 failures=1",
                       "streams=2 paths=1 records=2 crashes=2 failures=1 barriers=1",
                       "streams=2 paths=1 records=2 crashes=1 failures=1 faults=commitsBeforeAck",
                       "streams=1 paths=2 records=2 crashes=1 failures=1 faults=skipsResendAfterPathFailure"] {
            let start = try XCTUnwrap(MirrorSimulation(parsing: bounds))
            for keepGoing in [false, true] {
                for reduction in [true, false] {
                    let with = explore(start, reduction: reduction, keepGoing: keepGoing)
                    let without = explore(WithoutSuccessorKeys(system: start), reduction: reduction, keepGoing: keepGoing)
                    let label = "\(bounds) keepGoing=\(keepGoing) reduction=\(reduction)"
                    XCTAssertEqual(with.states, without.states, label)
                    XCTAssertEqual(with.transitions, without.transitions, label)
                    XCTAssertEqual(with.executions, without.executions, label)
                    XCTAssertEqual(with.verdict, without.verdict, label)
                    XCTAssertEqual(with.violationsFound, without.violationsFound, label)
                    XCTAssertEqual(with.maxDepth, without.maxDepth, label)
                    XCTAssertEqual(with.counterexamples.map(\.path), without.counterexamples.map(\.path), label)
                }
            }
        }
    }
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
