import Explorer
import Trace
import XCTest

// The README's example of the explorer as a library, kept here so it compiles and holds.

/// Two workers each read a shared counter, then write back what they read plus one.
struct Counter: Explorable {
    enum Step: Hashable, Sendable, CustomStringConvertible {
        case read(worker: Int), write(worker: Int)

        var description: String {
            switch self {
            case .read(let w): "worker \(w) reads"
            case .write(let w): "worker \(w) writes"
            }
        }
    }

    var value = 0
    var seen: [Int?] = [nil, nil]
    var done = [false, false]

    func choices() -> [Step] {
        (0..<2).compactMap { w in done[w] ? nil : seen[w] == nil ? .read(worker: w) : .write(worker: w) }
    }

    mutating func apply(_ step: Step) {
        switch step {
        case .read(let w): seen[w] = value
        case .write(let w): value = seen[w]! + 1; done[w] = true
        }
    }

    func fingerprint() -> UInt64 {
        var h = StableHasher()
        h.combine(value)
        for w in 0..<2 { h.combine(seen[w]); h.combine(done[w]) }
        return h.value
    }

    func independent(_ a: Step, _ b: Step) -> Bool { commuteByTrial(a, b) }

    func violation() -> ExplorationViolation? {
        guard done.allSatisfy({ $0 }), value != 2 else { return nil }
        return ExplorationViolation(invariant: "counter.lost-update", message: "\(value) after two increments",
                                    kind: .explorerCheck)
    }
}

final class LibraryExampleTests: XCTestCase {
    func testTheReadmeExampleFindsTheLostUpdateAndReplaysIt() throws {
        let report = Exploration(start: Counter()).run()
        XCTAssertEqual(report.verdict, .violation)
        let found = try XCTUnwrap(report.counterexamples.first)
        XCTAssertEqual(found.steps, ["worker 0 reads", "worker 1 reads", "worker 0 writes", "worker 1 writes"])
        let token = found.token(system: "counter", configuration: "", start: Counter()).encoded
        let again = try replay(Counter(), path: try ReplayToken(decoding: token).path)
        XCTAssertEqual(again.violation, found.violation)

        // Reads of different workers commute: reduction takes one order of them.
        let unreduced = Exploration(start: Counter(), options: ExplorationOptions(partialOrderReduction: false, keepGoing: true)).run()
        let reduced = Exploration(start: Counter(), options: ExplorationOptions(keepGoing: true)).run()
        XCTAssertEqual(reduced.states, unreduced.states)
        XCTAssertLessThan(reduced.transitions, unreduced.transitions)
    }
}
