@testable import Specs
import Trace
import XCTest

/// The flat containers the specs keep their open state in, and the mirror spec's compact
/// stamps, against the plain types they replace.
final class SortedMapTests: XCTestCase {
    func testSortedMapAgreesWithADictionaryInAnyOrder() {
        var rng = SplitMix64(seed: 7)
        var map = SortedMap<Int, Int>()
        var reference: [Int: Int] = [:]
        for step in 0..<5_000 {
            let key = Int(rng.next() % 64) - 8
            switch rng.next() % 4 {
            case 0: map[key] = step; reference[key] = step
            case 1: XCTAssertEqual(map.removeValue(forKey: key), reference.removeValue(forKey: key))
            case 2: map[key, default: 0] += 1; reference[key, default: 0] += 1
            default: map[key] = nil; reference[key] = nil
            }
            XCTAssertEqual(map[key], reference[key])
        }
        XCTAssertEqual(map.keys, reference.keys.sorted())
        XCTAssertEqual(map.values, reference.keys.sorted().map { reference[$0]! })
        XCTAssertEqual(map.count, reference.count)
        XCTAssertEqual(map.mapValues { $0 * 2 }.values, map.values.map { $0 * 2 })
    }

    /// The mirror spec's entries: the same answers, count and order as one sorted map, which
    /// the fingerprint relies on (it hashes the entries in that order).
    func testStreamEntryMapAgreesWithOneSortedMap() {
        var rng = SplitMix64(seed: 13)
        var map = StreamEntryMap<Int>()
        var reference = SortedMap<StreamEntry, Int>()
        for step in 0..<5_000 {
            let key = StreamEntry(stream: Int(rng.next() % 6) - 1, sn: Int(rng.next() % 12))
            switch rng.next() % 7 {
            case 0: map[key] = step; reference[key] = step
            case 1: XCTAssertEqual(map.removeValue(forKey: key), reference.removeValue(forKey: key))
            case 2: map[key, default: 0] += 1; reference[key, default: 0] += 1
            case 3: map[key] = nil; reference[key] = nil
            case 4: XCTAssertEqual(map.modify(key) { $0 += 2; return $0 }, reference.modify(key) { $0 += 2; return $0 })
            case 5: XCTAssertEqual(map.read(key) { $0 * 3 }, reference.read(key) { $0 * 3 })
            default:
                XCTAssertEqual(map.removeValue(forKey: key, if: { $0 % 2 == 0 }),
                               reference.removeValue(forKey: key, if: { $0 % 2 == 0 }))
            }
            XCTAssertEqual(map[key], reference[key])
            XCTAssertEqual(map.count, reference.count)
        }
        XCTAssertEqual(map.elements.map(\.key), reference.keys)
        XCTAssertEqual(map.elements.map(\.value), reference.values)
        XCTAssertEqual(map.isEmpty, reference.isEmpty)
    }

    /// The window map under the traffic it is meant for (keys added in order, removed about
    /// oldest first) mixed with keys far ahead, far behind and at the extremes of `Int`, and
    /// stragglers that are never removed: the same answers, count and order as a sorted map,
    /// and slots that follow the number of keys, not their spread.
    func testIntWindowMapAgreesWithASortedMap() {
        for seed: UInt64 in [3, 17, 101] {
            var rng = SplitMix64(seed: seed)
            var map = IntWindowMap<Int>()
            var reference = SortedMap<Int, Int>()
            var next = 0
            for step in 0..<20_000 {
                let r = rng.next() % 100
                let key: Int
                switch r {
                case 0..<40: key = next; next += 1
                case 40..<42: key = next + Int(rng.next() % 5_000)
                case 42..<43: key = next - 1_000 - Int(rng.next() % 5_000)
                case 43..<44: key = [Int.min, Int.max, Int.min + 1, Int.max - 1][Int(rng.next() % 4)]
                default: key = next - 1 - Int(rng.next() % 48)
                }
                // Every 13th key is a straggler: once in, it is never removed.
                let removable = key % 13 != 0
                switch r {
                case 0..<44, 44..<50:
                    XCTAssertEqual(map.set(step, forKey: key), reference.set(step, forKey: key))
                case 50..<78 where removable:
                    XCTAssertEqual(map.removeValue(forKey: key), reference.removeValue(forKey: key))
                case 78..<84 where removable:
                    XCTAssertEqual(map.removeValue(forKey: key, if: { $0 % 3 != 0 }),
                                   reference.removeValue(forKey: key, if: { $0 % 3 != 0 }))
                case 84..<88 where removable:
                    map[key] = nil
                    reference[key] = nil
                case 88..<92:
                    map[key, default: -1] += 1
                    reference[key, default: -1] += 1
                case 92..<96:
                    XCTAssertEqual(map.modify(key) { $0 += 2; return $0 }, reference.modify(key) { $0 += 2; return $0 })
                default:
                    XCTAssertEqual(map.read(key) { $0 * 3 }, reference.read(key) { $0 * 3 })
                }
                XCTAssertEqual(map[key], reference[key])
                XCTAssertEqual(map.contains(key), reference.contains(key))
                XCTAssertEqual(map.count, reference.count)
                XCTAssertLessThanOrEqual(map.slotsKept, 4 * map.count + 200, "step \(step)")
                if step % 997 == 0 {
                    XCTAssertEqual(map.elements.map(\.key), reference.keys)
                    XCTAssertEqual(map.elements.map(\.value), reference.values)
                }
            }
            XCTAssertEqual(map.elements.map(\.key), reference.keys)
            XCTAssertEqual(map.elements.map(\.value), reference.values)
            XCTAssertEqual(map.isEmpty, reference.isEmpty)
            // Emptied, it starts afresh anywhere.
            for key in reference.keys { map[key] = nil }
            XCTAssertTrue(map.isEmpty)
            XCTAssertEqual(map.slotsKept, 0)
            map[-5] = 1
            map[-4] = 2
            XCTAssertEqual(map.elements.map(\.key), [-5, -4])
        }
    }

    func testSortedSetAgreesWithASet() {
        var rng = SplitMix64(seed: 11)
        var set = SortedSet<Int>()
        var reference = Set<Int>()
        for _ in 0..<5_000 {
            let element = Int(rng.next() % 50)
            if rng.next() % 2 == 0 {
                XCTAssertEqual(set.insert(element), reference.insert(element).inserted)
            } else {
                XCTAssertEqual(set.remove(element), reference.remove(element) != nil)
            }
            XCTAssertEqual(set.contains(element), reference.contains(element))
        }
        XCTAssertEqual(set.elements, reference.sorted())
    }

    func testEveryEventNameHasItsCode() {
        let kinds: [EventKind] = [
            .append(lsn: 1, stream: 0, sn: 1, deps: []), .assign(stream: 0, path: 0), .path(path: 0, up: true),
            .send(stream: 0, sn: 1, path: 0), .recv(stream: 0, sn: 1, path: 0), .apply(stream: 0, sn: 1),
            .drop(stream: 0, sn: 1), .ack(stream: 0, sn: 1), .acked(stream: 0, sn: 1), .commit(lsn: 1), .takeover,
            .crash,
        ]
        for kind in kinds { XCTAssertEqual(EventNameCode.names[Int(EventNameCode.code(of: kind))], kind.name) }
        XCTAssertEqual(Set(EventNameCode.names).count, EventNameCode.names.count)
    }

    func testAStampReadsBackAsTheEventItCameFrom() {
        var spec = MirrorSpec()
        let event = TraceEvent(node: "secondary", seq: 42, kind: .apply(stream: 1, sn: 3),
                               location: SourceLocation(file: 2, line: 99))
        let stamp = spec.makeStamp(event)
        XCTAssertEqual(spec.eventStamp(stamp), EventStamp(event))
        XCTAssertEqual(spec.makeStamp(TraceEvent(node: "secondary", seq: 43, kind: .crash)).node, stamp.node)
        XCTAssertEqual(spec.nodes, ["secondary"])
    }

    func testPairsHashAsOneWordOnlyWhenTheyFit() {
        func pair(_ a: Int, _ b: Int) -> UInt64 {
            var h = StableHasher()
            h.combine(a, b)
            return h.value
        }
        var seen = Set<UInt64>()
        for a in [0, 1, 2, (1 << 31) - 1, 1 << 31, -1, Int.max, Int.min] {
            for b in [0, 1, (1 << 31) - 1, 1 << 31, -1] { seen.insert(pair(a, b)) }
        }
        XCTAssertEqual(seen.count, 8 * 5)
    }
}
