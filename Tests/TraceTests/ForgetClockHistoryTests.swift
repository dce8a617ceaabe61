import XCTest
@testable import Trace

/// `VectorClockIndex.forget(keeping:)`: every question about a held event is answered as by an
/// index that forgets nothing, no answer claims an order that is not there, what a node knows
/// of another stays explained by a path, and what is kept is bounded by what is held, not by
/// the trace's length.
final class ForgetClockHistoryTests: XCTestCase {
    /// A random linearized trace: events with causes to random earlier events of other nodes.
    private func randomTrace(nodes: Int, events: Int, seed: UInt64) -> [TraceEvent] {
        var rng = SplitMix64(seed: seed)
        var seqs = Array(repeating: 0, count: nodes)
        var made: [TraceEvent] = []
        for _ in 0..<events {
            let n = Int(rng.next() % UInt64(nodes))
            seqs[n] += 1 + Int(rng.next() % 2)
            var causes: [EventID] = []
            if !made.isEmpty && rng.next() % 100 < 60 {
                for _ in 0..<(1 + Int(rng.next() % 2)) {
                    // Mostly recent causes, now and then an old one.
                    let back = rng.next() % 8 == 0 ? made.count : min(made.count, 12)
                    let c = made[made.count - 1 - Int(rng.next() % UInt64(back))]
                    if c.node != "n\(n)" && !causes.contains(c.id) { causes.append(c.id) }
                }
            }
            made.append(TraceEvent(node: "n\(n)", seq: seqs[n], kind: .crash, causes: causes))
        }
        return made
    }

    func testHeldQuestionsAreAnsweredAsWithoutForgetting() throws {
        for seed in 1...30 as ClosedRange<UInt64> {
            let nodes = 2 + Int(seed % 4)
            let events = randomTrace(nodes: nodes, events: 240, seed: seed)
            var rng = SplitMix64(seed: seed &* 977)
            var full = VectorClockIndex(), forgetting = VectorClockIndex()
            var held: [EventID] = []
            var added: [EventID] = []
            let causes = Dictionary(uniqueKeysWithValues: events.map { ($0.id, Set($0.causes)) })
            for (step, event) in events.enumerated() {
                full.add(node: event.node, seq: event.seq, causes: event.causes)
                forgetting.add(node: event.node, seq: event.seq, causes: event.causes)
                added.append(event.id)
                // The "spec" takes up some events and lets go of others, never taking one back.
                if rng.next() % 3 == 0 { held.append(event.id) }
                if !held.isEmpty && rng.next() % 3 == 0 { held.remove(at: Int(rng.next() % UInt64(held.count))) }
                let forgot = rng.next() % 4 == 0
                if forgot {
                    var byNode = Array(repeating: [Int](), count: forgetting.nodeCount)
                    for id in held { byNode[forgetting.nodeIndex(id.node)!].append(id.seq) }
                    forgetting.forget(keeping: byNode.map { $0.reversed() + $0.prefix(1) })  // any order, repeats allowed
                    // Each held seq, and each seq some node knows now, explains at most one
                    // change of each other node's knowledge.
                    XCTAssertLessThanOrEqual(forgetting.keptChangeCount, (Set(held).count + nodes * (nodes - 1)) * (nodes - 1), "seed \(seed) step \(step)")
                }
                // Held events against this one, and, after forgetting, against every event.
                for a in held {
                    for b in forgot ? added : [event.id] {
                        let expected = full.happensBefore(a, b)
                        XCTAssertEqual(forgetting.happensBefore(a, b), expected, "seed \(seed) step \(step): \(a) -> \(b)")
                        guard expected else { continue }
                        let path = try XCTUnwrap(forgetting.path(from: a, to: b), "seed \(seed) step \(step): \(a) -> \(b)")
                        XCTAssertEqual(path, full.path(from: a, to: b), "seed \(seed) step \(step): \(a) -> \(b)")
                        for s in path where s.kind == .cause {
                            XCTAssertTrue(causes[s.to]!.contains(s.from), "seed \(seed): \(s) is not a cause link")
                        }
                    }
                }
                // What each node's latest event knows of each other node: a real event that
                // happens before it, with a path (the anchor of a counterexample); with two
                // nodes, the very latest.
                for i in 0..<forgetting.nodeCount {
                    let b = EventID(node: forgetting.nodeName(i), seq: forgetting.lastSeq(ofNode: i))
                    for j in 0..<forgetting.nodeCount where j != i {
                        guard let known = forgetting.latestKnown(of: forgetting.nodeName(j), at: b) else { continue }
                        let anchor = EventID(node: forgetting.nodeName(j), seq: known)
                        XCTAssertTrue(full.happensBefore(anchor, b), "seed \(seed) step \(step): \(anchor) -> \(b)")
                        if nodes == 2 { XCTAssertEqual(known, full.latestKnown(of: anchor.node, at: b), "seed \(seed) step \(step)") }
                        let path = try XCTUnwrap(forgetting.path(from: anchor, to: b), "seed \(seed) step \(step): \(anchor) -> \(b)")
                        for s in path where s.kind == .cause {
                            XCTAssertTrue(causes[s.to]!.contains(s.from), "seed \(seed): \(s) is not a cause link")
                        }
                    }
                }
                // About events no longer held, answers may be lost, never invented.
                for a in added where forgetting.happensBefore(a, event.id) {
                    XCTAssertTrue(full.happensBefore(a, event.id), "seed \(seed) step \(step): \(a) -> \(event.id)")
                }
            }
            XCTAssertLessThanOrEqual(forgetting.snapshotCount, full.snapshotCount)
            XCTAssertEqual(full.peakKeptChangeCount, full.snapshotCount)
            XCTAssertLessThan(forgetting.keptChangeCount, full.keptChangeCount, "seed \(seed)")
        }
    }

    /// Two nodes trading messages for ever, the receiver holding only its latest few: the
    /// changes kept stay few however long the exchange runs.
    func testKeptChangesFollowWhatIsHeldNotTheLength() {
        var clocks = VectorClockIndex()
        var last = EventID(node: "a", seq: 0)
        clocks.add(node: "a", seq: 0, causes: [])
        for round in 1...20_000 {
            let node = round % 2 == 0 ? "a" : "b"
            clocks.add(node: node, seq: round, causes: [last])
            last = EventID(node: node, seq: round)
            if round % 100 == 0 {
                // Held: the last four events of each node.
                let a = clocks.nodeIndex("a")!, b = clocks.nodeIndex("b")!
                var held = [[Int]](repeating: [], count: 2)
                held[a] = stride(from: round - 6, through: round, by: 1).filter { $0 % 2 == 0 }
                held[b] = stride(from: round - 6, through: round, by: 1).filter { $0 % 2 == 1 }
                clocks.forget(keeping: held)
            }
        }
        XCTAssertEqual(clocks.snapshotCount, 20_000)
        XCTAssertLessThanOrEqual(clocks.peakKeptChangeCount, 100 + 8)
        XCTAssertTrue(clocks.happensBefore(EventID(node: "b", seq: 19_999), EventID(node: "a", seq: 20_000)))
        XCTAssertEqual(clocks.path(from: EventID(node: "b", seq: 19_997), to: EventID(node: "a", seq: 20_000))?.count, 2)
    }
}
