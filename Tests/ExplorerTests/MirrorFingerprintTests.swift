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
                       "streams=2 paths=2 records=2 crashes=1 failures=1 barriers=1 faults=ignoresBarriers",
                       "streams=2 paths=2 records=3 crashes=1 failures=1 barriers=2",
                       "streams=2 paths=2 records=3 crashes=1 failures=1 faults=commitsBeforeAck"] {
            let start = try XCTUnwrap(MirrorSimulation(parsing: bounds)).withoutTrace()
            var seen: [UInt64: [String]] = [:]
            var merges = 0
            // Each state with whether to go on past it when it turns out merged: the successors
            // of a merged state are compared too (one level), not only fingerprinted.
            var stack = [(start, true)]
            while let (state, onPastMerge) = stack.popLast() {
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
                    if onPastMerge { stack += children.map { ($0, false) } }
                    continue
                }
                seen[state.fingerprint()] = signature
                stack += children.map { ($0, true) }
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
}
