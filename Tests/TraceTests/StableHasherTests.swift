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

    /// A replay token keeps a digest made through `combineWordByWord`: it must read the same
    /// in every build, whatever `combine` becomes (these values are SplitMix64-per-word's).
    func testWordByWordDigestNeverChanges() {
        func digest(_ text: String) -> UInt64 {
            var h = StableHasher()
            Array(text.utf8).withUnsafeBytes { h.combineWordByWord($0) }
            return h.value
        }
        XCTAssertEqual(digest(""), 0xCFF9_CA66_594D_174F)
        XCTAssertEqual(digest("plumb"), 0x328A_946E_2336_17CE)
        XCTAssertEqual(digest("{\"node\":\"driver\",\"seq\":1,\"ev\":\"online\"}"), 0xDB93_557A_3F0D_8E32)
    }

    /// Fingerprints are small structured values (counters, ids, flags): every pair of small
    /// integers, in either order, and runs of zeros of every length must hash apart.
    func testSmallStructuredInputsHashApart() {
        var seen = Set<UInt64>()
        for a in 0..<300 {
            for b in 0..<300 {
                var h = StableHasher()
                h.combine(a)
                h.combine(b)
                seen.insert(h.value)
            }
        }
        XCTAssertEqual(seen.count, 300 * 300)
        var zeros = Set<UInt64>()
        var h = StableHasher()
        for _ in 0..<10_000 {
            zeros.insert(h.value)
            h.combine(0 as UInt64)
        }
        XCTAssertEqual(zeros.count, 10_000)
    }

    /// Each step is a bijection of the state: sequences that differ in one word never meet
    /// again, whatever follows (runs of zeros included), and no word resets the state.
    func testADifferenceIsNeverWashedOut() {
        var generator = SplitMix64(seed: 11)
        let words = (0..<16).map { _ in generator.next() }
        var seen = Set<UInt64>()
        for position in words.indices {
            for replacement: UInt64 in [0, 1, words[position] ^ 1, StableHasher().state] {
                guard replacement != words[position] else { continue }
                var changed = words
                changed[position] = replacement
                XCTAssertTrue(seen.insert(hash(changed + [0, 0, 0, 0])).inserted, "word \(position) as \(replacement)")
            }
        }
        XCTAssertFalse(seen.contains(hash(words + [0, 0, 0, 0])))
        var first = StableHasher(), second = StableHasher()
        first.combine(first.state)
        second.combine(second.state ^ 1)
        for _ in 0..<8 {
            first.combine(0 as UInt64)
            second.combine(0 as UInt64)
            XCTAssertNotEqual(first.value, second.value)
        }
    }

    /// Flipping any one bit of any word, first or last, flips about half the bits of the value
    /// (the explorer's visited table keeps parts of it, so every part must depend on every
    /// input bit).
    func testOneBitChangesHalfTheValue() {
        var generator = SplitMix64(seed: 7)
        var flipped = 0, trials = 0
        for _ in 0..<200 {
            let words = (0..<3).map { _ in generator.next() }
            let original = hash(words)
            for index in words.indices {
                for bit in 0..<64 {
                    var changed = words
                    changed[index] ^= 1 << UInt64(bit)
                    let bits = (hash(changed) ^ original).nonzeroBitCount
                    XCTAssertGreaterThan(bits, 8, "word \(index) bit \(bit)")
                    flipped += bits
                    trials += 1
                }
            }
        }
        let mean = Double(flipped) / Double(trials)
        XCTAssertEqual(mean, 32, accuracy: 0.5)
    }

    private func hash(_ words: [UInt64]) -> UInt64 {
        var h = StableHasher()
        for word in words { h.combine(word) }
        return h.value
    }
}
