@testable import Driver
import Trace
import XCTest

/// The paged storage of the simulated device: reads and in-place parts give the bytes a plain
/// array holds, and a part is "the same page" as a reference's exactly while neither device
/// wrote it since the copy.
final class PagesTests: XCTestCase {
    /// Random writes and reads against a plain array, with pages that are not a power of two
    /// (ten 3 KiB blocks) and a short last page; the parts `allParts` hands out, glued
    /// together, are the range's bytes.
    func testReadsWritesAndPartsMatchAPlainArray() {
        var random = SplitMix64(seed: 11)
        let device = MemoryBlockDevice(blockSize: 3072, blockCount: 33)
        let size = device.byteCount
        var plain = [UInt8](repeating: 0, count: size)
        XCTAssertEqual(device.bytes, plain)
        for round in 0 ..< 100 {
            let length = Int(random.next() % UInt64(size / 2)) + 1
            let offset = Int(random.next() % UInt64(size - length + 1))
            let bytes = (0 ..< length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            device.replaceBytes(at: offset, with: bytes[...])
            plain.replaceSubrange(offset ..< offset + length, with: bytes)
            let lo = Int(random.next() % UInt64(size)), hi = lo + Int(random.next() % UInt64(size - lo + 1))
            XCTAssertEqual(device.bytes(in: lo ..< hi), Array(plain[lo ..< hi]), "round \(round)")
            var glued: [UInt8] = []
            XCTAssertTrue(device.allParts(in: lo ..< hi) { from, part, _ in
                XCTAssertEqual(from, glued.count)
                glued += part
                return true
            })
            XCTAssertEqual(glued, Array(plain[lo ..< hi]), "round \(round)")
        }
        XCTAssertEqual(device.bytes, plain)
    }

    /// A copy's pages are the original's until one of the two writes them; a device of another
    /// size shares none; a body that returns false stops the walk. The same for `PagedBytes`.
    func testPartsKnowTheReferencesPagesUntilWritten() {
        let original = MemoryBlockDevice(blockSize: 4096, blockCount: 24)
        original.replaceBytes(at: 0, with: (0 ..< original.byteCount).map { UInt8(truncatingIfNeeded: $0) }[...])
        let copy = original.copy()
        func sameness(_ device: MemoryBlockDevice, _ reference: MemoryBlockDevice?) -> [Bool] {
            var result: [Bool] = []
            _ = device.allParts(in: 0 ..< device.byteCount, comparedTo: reference) { _, _, same in
                result.append(same)
                return true
            }
            return result
        }
        XCTAssertEqual(sameness(copy, original), [true, true, true])
        copy.replaceBytes(at: 32 * 1024 + 7, with: [1, 2][...])
        XCTAssertEqual(sameness(copy, original), [true, false, true])
        XCTAssertEqual(sameness(original, copy), [true, false, true])
        XCTAssertEqual(sameness(copy, nil), [false, false, false])
        XCTAssertEqual(sameness(copy, MemoryBlockDevice(blockSize: 4096, blockCount: 16)), [false, false, false])
        var calls = 0
        XCTAssertFalse(copy.allParts(in: 0 ..< copy.byteCount) { _, _, _ in
            calls += 1
            return calls < 2
        })
        XCTAssertEqual(calls, 2)

        let paged = PagedBytes((0 ..< 3 * PagedBytes.pageSize).map { UInt8(truncatingIfNeeded: $0) })
        var written = paged
        written.replace(at: PagedBytes.pageSize + 7, with: [1, 2])
        var same: [Bool] = []
        _ = written.allParts(in: 0 ..< written.count, comparedTo: paged) { _, _, kept in
            same.append(kept)
            return true
        }
        XCTAssertEqual(same, [true, false, true])
    }
}
