import XCTest
@testable import Trace

/// Reachability from the vector clocks against a brute-force transitive closure.
final class HappensBeforeTests: XCTestCase {
    /// A random trace: `nodes` nodes, events with causes to random earlier events of other nodes.
    private func randomTrace(nodes: Int, events: Int, causeRate: Int, seed: UInt64) -> [TraceEvent] {
        var rng = SplitMix64(seed: seed)
        var seqs = Array(repeating: 0, count: nodes)
        var made: [TraceEvent] = []
        for _ in 0..<events {
            let n = Int(rng.next() % UInt64(nodes))
            seqs[n] += 1 + Int(rng.next() % 2)  // gaps allowed
            var causes: [EventID] = []
            if !made.isEmpty && rng.next() % 100 < UInt64(causeRate) {
                for _ in 0..<(1 + Int(rng.next() % 2)) {
                    let c = made[Int(rng.next() % UInt64(made.count))]
                    if c.node != "n\(n)" && !causes.contains(c.id) { causes.append(c.id) }
                }
            }
            made.append(TraceEvent(node: "n\(n)", seq: seqs[n], kind: .crash, causes: causes))
        }
        return made
    }

    /// Closure by depth-first search over explicit edges.
    private func closure(_ events: [TraceEvent]) -> [EventID: Set<EventID>] {
        var successors: [EventID: [EventID]] = [:]
        var byNode: [String: [TraceEvent]] = [:]
        for e in events { byNode[e.node, default: []].append(e) }
        for (_, list) in byNode {
            let sorted = list.sorted { $0.seq < $1.seq }
            for (a, b) in zip(sorted, sorted.dropFirst()) { successors[a.id, default: []].append(b.id) }
        }
        for e in events { for c in e.causes { successors[c, default: []].append(e.id) } }
        var reach: [EventID: Set<EventID>] = [:]
        for e in events {
            var seen = Set<EventID>()
            var stack = successors[e.id] ?? []
            while let x = stack.popLast() {
                if seen.insert(x).inserted { stack += successors[x] ?? [] }
            }
            reach[e.id] = seen
        }
        return reach
    }

    func testVectorClocksMatchBruteForceClosureOnRandomDAGs() throws {
        for seed in 1...40 as ClosedRange<UInt64> {
            let events = randomTrace(nodes: 2 + Int(seed % 5), events: 60, causeRate: 40, seed: seed)
            let graph = try HappensBeforeGraph(events: events)
            let reach = closure(events)
            for a in events {
                for b in events {
                    let expected = reach[a.id]!.contains(b.id)
                    XCTAssertEqual(graph.clocks.happensBefore(a.id, b.id), expected, "seed \(seed): \(a.id) -> \(b.id)")
                }
            }
        }
    }

    func testPathsAreValidStepsFromAToB() throws {
        for seed in 100...120 as ClosedRange<UInt64> {
            let events = randomTrace(nodes: 4, events: 80, causeRate: 50, seed: seed)
            let graph = try HappensBeforeGraph(events: events)
            let causes = Dictionary(uniqueKeysWithValues: events.map { ($0.id, Set($0.causes)) })
            for a in events {
                for b in events where graph.clocks.happensBefore(a.id, b.id) {
                    let path = try XCTUnwrap(graph.clocks.path(from: a.id, to: b.id))
                    XCTAssertEqual(path.first?.from, a.id)
                    XCTAssertEqual(path.last?.to, b.id)
                    for (x, y) in zip(path, path.dropFirst()) { XCTAssertEqual(x.to, y.from) }
                    for step in path {
                        switch step.kind {
                        case .program:
                            XCTAssertEqual(step.from.node, step.to.node)
                            XCTAssertLessThan(step.from.seq, step.to.seq)
                        case .cause:
                            XCTAssertTrue(causes[step.to]!.contains(step.from), "\(step) is not a cause link")
                        }
                    }
                }
            }
        }
    }

    func testLinearizationRespectsHappensBefore() throws {
        let events = randomTrace(nodes: 3, events: 200, causeRate: 30, seed: 7)
        let graph = try HappensBeforeGraph(events: events.reversed())
        var position: [EventID: Int] = [:]
        for (i, e) in graph.linearized.enumerated() { position[e.id] = i }
        for e in events {
            for c in e.causes { XCTAssertLessThan(position[c]!, position[e.id]!) }
        }
    }

    func testStructuralErrors() {
        let a = TraceEvent(node: "p", seq: 1, kind: .crash)
        let dup = TraceEvent(node: "p", seq: 1, kind: .crash)
        XCTAssertThrowsError(try HappensBeforeGraph(events: [a, dup])) { error in
            XCTAssertTrue("\(error)".contains("duplicate event p#1"), "\(error)")
        }
        let dangling = TraceEvent(node: "s", seq: 1, kind: .crash, causes: [EventID(node: "p", seq: 9)])
        XCTAssertThrowsError(try HappensBeforeGraph(events: [a, dangling])) { error in
            XCTAssertTrue("\(error)".contains("in none of the files"), "\(error)")
        }
        let x = TraceEvent(node: "p", seq: 1, kind: .crash, causes: [EventID(node: "s", seq: 1)])
        let y = TraceEvent(node: "s", seq: 1, kind: .crash, causes: [EventID(node: "p", seq: 1)])
        XCTAssertThrowsError(try HappensBeforeGraph(events: [x, y])) { error in
            XCTAssertTrue("\(error)".contains("cycle"), "\(error)")
        }
    }

    func testSeqSetKeepsRanges() {
        var set = SeqSet()
        XCTAssertEqual(set.rangeCount, 0)
        for s in [-1, 0, 1] { XCTAssertFalse(set.contains(s)) }
        for s in [1, 2, 3, 7, 8, 20] { set.append(s) }
        XCTAssertEqual(set.rangeCount, 3)
        for s in [1, 2, 3, 7, 8, 20] { XCTAssertTrue(set.contains(s)) }
        for s in [0, 4, 6, 9, 19, 21] { XCTAssertFalse(set.contains(s)) }
        set.append(21)
        XCTAssertEqual(set.rangeCount, 3)
        for s in [0, 4, 6, 9, 19, 22] { XCTAssertFalse(set.contains(s)) }
        XCTAssertTrue(set.contains(21))

        var fromZero = SeqSet()
        for s in [0, 1, 2] { fromZero.append(s) }
        XCTAssertEqual(fromZero.rangeCount, 1)
        XCTAssertTrue(fromZero.contains(0))
        XCTAssertFalse(fromZero.contains(-1))
        XCTAssertFalse(fromZero.contains(3))

        var negative = SeqSet()
        for s in [-3, -2, 0] { negative.append(s) }
        XCTAssertEqual(negative.rangeCount, 2)
        for s in [-3, -2, 0] { XCTAssertTrue(negative.contains(s)) }
        for s in [-4, -1, 1] { XCTAssertFalse(negative.contains(s)) }
    }
}
