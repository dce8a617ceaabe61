@testable import Driver
import Trace
import XCTest

/// The paged storage under the simulated device and the contents model's base: reads and
/// in-place parts give the bytes a plain array holds, and a part is "the same page" as a
/// reference's exactly while neither was written since the copy.
final class PagesTests: XCTestCase {
    /// Random writes and reads against a plain array, with a page size that is not a power of
    /// two (ten 3 KiB blocks) and a short last page; the parts `allParts` hands out, glued
    /// together, are the range's bytes.
    func testReadsWritesAndPartsMatchAPlainArray() {
        var random = SplitMix64(seed: 11)
        let pageSize = 10 * 3072
        let size = 3 * pageSize + 1000
        var plain = [UInt8](repeating: 0, count: size)
        var pages = Pages(zeroes: size, pageSize: pageSize)
        XCTAssertEqual(pages.bytes, plain)
        for round in 0 ..< 100 {
            let length = Int(random.next() % UInt64(2 * pageSize)) + 1
            let offset = Int(random.next() % UInt64(size - length + 1))
            let bytes = (0 ..< length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            pages.replace(at: offset, with: bytes[...])
            plain.replaceSubrange(offset ..< offset + length, with: bytes)
            let lo = Int(random.next() % UInt64(size)), hi = lo + Int(random.next() % UInt64(size - lo + 1))
            XCTAssertEqual(pages.bytes(in: lo ..< hi), Array(plain[lo ..< hi]), "round \(round)")
            var glued: [UInt8] = []
            XCTAssertTrue(pages.allParts(in: lo ..< hi) { from, part, _ in
                XCTAssertEqual(from, glued.count)
                glued += part
                return true
            })
            XCTAssertEqual(glued, Array(plain[lo ..< hi]), "round \(round)")
        }
        XCTAssertEqual(pages.bytes, plain)
        XCTAssertEqual(Pages(plain, pageSize: pageSize).bytes, plain)
    }

    /// A copy's pages are the reference's until one of the two writes them; a reference of
    /// another size or page size shares none; a body that returns false stops the walk.
    func testPartsKnowTheReferencesPagesUntilWritten() {
        let pageSize = 4096
        let original = Pages((0 ..< 3 * pageSize).map { UInt8(truncatingIfNeeded: $0) }, pageSize: pageSize)
        var copy = original
        func sameness(_ pages: Pages, _ reference: Pages?) -> [Bool] {
            var result: [Bool] = []
            _ = pages.allParts(in: 0 ..< pages.count, comparedTo: reference) { _, _, same in
                result.append(same)
                return true
            }
            return result
        }
        XCTAssertEqual(sameness(copy, original), [true, true, true])
        copy.replace(at: pageSize + 7, with: [1, 2][...])
        XCTAssertEqual(sameness(copy, original), [true, false, true])
        XCTAssertEqual(sameness(original, copy), [true, false, true])
        XCTAssertEqual(sameness(copy, nil), [false, false, false])
        XCTAssertEqual(sameness(copy, Pages(original.bytes, pageSize: pageSize)), [false, false, false])
        XCTAssertEqual(sameness(copy, Pages(zeroes: 2 * pageSize, pageSize: pageSize)), [false, false, false])
        var calls = 0
        XCTAssertFalse(copy.allParts(in: 0 ..< copy.count) { _, _, _ in
            calls += 1
            return calls < 2
        })
        XCTAssertEqual(calls, 2)
    }
}
