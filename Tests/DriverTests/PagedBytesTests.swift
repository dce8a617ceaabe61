@testable import Driver
import Trace
import XCTest

final class PagedBytesTests: XCTestCase {
    /// Random writes (within a page, across pages, into the short last page) against a plain
    /// array: the same bytes and ranges read back, a digest kept page by page that equals the
    /// digest of the same bytes paged afresh, and a copy that keeps its own content.
    func testWritesReadBackAndKeepTheDigestOfTheWholeOnACopy() {
        var random = SplitMix64(seed: 7)
        let size = 3 * PagedBytes.pageSize + 1000
        var plain = (0 ..< size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var paged = PagedBytes(plain)
        XCTAssertEqual(paged.bytes, plain)
        for round in 0 ..< 200 {
            let length = Int(random.next() % UInt64(2 * PagedBytes.pageSize)) + 1
            let offset = Int(random.next() % UInt64(size - length + 1))
            let bytes = (0 ..< length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let before = paged
            let beforeBytes = plain
            paged.replace(at: offset, with: bytes)
            plain.replaceSubrange(offset ..< offset + length, with: bytes)
            XCTAssertEqual(paged.count, size)
            XCTAssertEqual(paged.digest, PagedBytes(plain).digest, "round \(round)")
            XCTAssertEqual(before.bytes, beforeBytes, "a copy changed with the original in round \(round)")
            let lo = Int(random.next() % UInt64(size)), hi = lo + Int(random.next() % UInt64(size - lo + 1))
            XCTAssertEqual(paged.bytes(in: lo ..< hi), Array(plain[lo ..< hi]), "round \(round)")
        }
        XCTAssertEqual(paged.bytes, plain)
    }

    /// Contents that differ in one byte, or only in where a page's bytes sit, have different
    /// digests; the empty content has a digest too.
    func testDigestsTellContentsApart() {
        let page = PagedBytes.pageSize
        let zeros = [UInt8](repeating: 0, count: 2 * page)
        var one = zeros
        one[page + 5] = 1
        var other = zeros
        other[5] = 1
        XCTAssertNotEqual(PagedBytes(zeros).digest, PagedBytes(one).digest)
        XCTAssertNotEqual(PagedBytes(one).digest, PagedBytes(other).digest)
        var written = PagedBytes(zeros)
        written.replace(at: page + 5, with: [1])
        XCTAssertEqual(written.digest, PagedBytes(one).digest)
        written.replace(at: 0, with: [])
        XCTAssertEqual(written.digest, PagedBytes(one).digest)
        XCTAssertEqual(PagedBytes([]).count, 0)
        XCTAssertEqual(PagedBytes([]).bytes, [])
        XCTAssertEqual(PagedBytes([]).digest, 0)
    }

    /// Sizes at the edges (under one piece, whole pages), writes that meet or end at a page's
    /// edge and at the last byte, and a copy whose digest stays its own.
    func testEdgesOfPagesAndPieces() {
        let page = PagedBytes.pageSize
        for size in [1, 100, PagedBytes.pieceSize, 2 * page] {
            var plain = [UInt8](repeating: 7, count: size)
            var paged = PagedBytes(plain)
            let copy = paged
            let writes: [(Int, Int)] = [(0, 1), (size - 1, 1), (max(0, size - 3), min(3, size))]
                + (size > page ? [(page - 2, 4), (page, 1), (page - 1, 1), (0, size)] : [])
            for (i, (offset, length)) in writes.enumerated() {
                let bytes = [UInt8](repeating: UInt8(i + 1), count: length)
                paged.replace(at: offset, with: bytes)
                plain.replaceSubrange(offset ..< offset + length, with: bytes)
                XCTAssertEqual(paged.bytes, plain, "size \(size), write \(i)")
                XCTAssertEqual(paged.digest, PagedBytes(plain).digest, "size \(size), write \(i)")
            }
            XCTAssertEqual(copy.digest, PagedBytes([UInt8](repeating: 7, count: size)).digest, "size \(size)")
            XCTAssertEqual(copy.bytes, [UInt8](repeating: 7, count: size), "size \(size)")
        }
    }
}
