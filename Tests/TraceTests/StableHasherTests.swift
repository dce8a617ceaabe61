import XCTest
@testable import Trace

/// The explorer merges states by `StableHasher` values, so equal bytes must hash alike whatever
/// holds them, and a change anywhere in a buffer must show.
final class StableHasherTests: XCTestCase {
    private func hash(_ bytes: some Collection<UInt8>) -> UInt64 {
        var h = StableHasher()
        h.combine(bytes: bytes)
        return h.value
    }

    private func hash(array bytes: [UInt8]) -> UInt64 {
        var h = StableHasher()
        h.combine(bytes: bytes)
        return h.value
    }

    func testEqualBytesHashAlikeInAnyCollection() {
        for length in 0...100 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let expected = hash(array: bytes)
            XCTAssertEqual(hash(bytes[...]), expected, "slice, length \(length)")
            XCTAssertEqual(hash(bytes.lazy.map { $0 }), expected, "non-contiguous, length \(length)")
            XCTAssertEqual(hash(Data(bytes)), expected, "Data, length \(length)")
        }
    }

    func testEveryByteAndTheLengthCount() {
        for length in [1, 7, 8, 31, 32, 33, 63, 64, 65, 100, 4096] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 13) }
            var seen: Set<UInt64> = [hash(array: bytes), hash(array: bytes + [0])]
            for position in 0..<min(length, 80) {
                var changed = bytes
                changed[position] ^= 1
                XCTAssertTrue(seen.insert(hash(array: changed)).inserted, "length \(length), byte \(position)")
            }
            XCTAssertEqual(seen.count, min(length, 80) + 2)
        }
    }
}
