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
            switch rng.next() % 6 {
            case 0: map[key] = step; reference[key] = step
            case 1: XCTAssertEqual(map.removeValue(forKey: key), reference.removeValue(forKey: key))
            case 2: map[key, default: 0] += 1; reference[key, default: 0] += 1
            case 3: map[key] = nil; reference[key] = nil
            case 4: XCTAssertEqual(map.modify(key) { $0 += 2; return $0 }, reference.modify(key) { $0 += 2; return $0 })
            default: XCTAssertEqual(map.read(key) { $0 * 3 }, reference.read(key) { $0 * 3 })
            }
            XCTAssertEqual(map[key], reference[key])
            XCTAssertEqual(map.count, reference.count)
        }
        XCTAssertEqual(map.elements.map(\.key), reference.keys)
        XCTAssertEqual(map.elements.map(\.value), reference.values)
        XCTAssertEqual(map.isEmpty, reference.isEmpty)
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
