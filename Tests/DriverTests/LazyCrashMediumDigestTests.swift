import Driver
import Trace
import XCTest

/// The digests the explorer's driver fingerprints take of a device instead of its bytes: the
/// medium's digest from a split block on, kept up to date by every write through the medium, and
/// the cache's pending writes over it, must equal the digest of the blocks as a read through the
/// cache returns them, however the writes and flushes came.
final class LazyCrashMediumDigestTests: XCTestCase {
    func testTheUpperDigestWithThePendingDeltaIsTheDigestOfWhatAReadReturns() throws {
        let blocks = 24, split = 9
        var decided = 0
        var generator = SplitMix64(seed: 0xD16E57)
        for round in 0 ..< 30 {
            let memory = MemoryBlockDevice(blockSize: 512, blockCount: blocks)
            let medium = LazyCrashMedium(memory: memory)
            let cache = VolatileCacheDevice(base: medium)
            // Bytes before the split too; some written before it is set.
            try medium.write(block: 0, [UInt8](repeating: UInt8(round), count: 4 * 512), fua: false)
            medium.split(at: split)
            for _ in 0 ..< 12 {
                let count = 1 + Int(generator.next() % 4)
                let block = Int(generator.next() % UInt64(blocks - count + 1))
                let bytes = (0 ..< count * 512).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                try cache.write(block: block, bytes, fua: generator.next() % 5 == 0)
                if generator.next() % 4 == 0 { try cache.flush() }
                let read = try cache.read(block: 0, count: blocks)
                let expected = (split ..< blocks).reduce(UInt64(0)) { digest, b in
                    read.withUnsafeBytes {
                        digest ^ LazyCrashMedium.blockDigest(b, UnsafeRawBufferPointer(rebasing: $0[b * 512 ..< (b + 1) * 512]))
                    }
                }
                XCTAssertEqual(medium.upperDigest ^ cache.readingDelta(from: split, over: medium), expected, "round \(round)")
            }
            XCTAssertNotEqual(medium.upperDigest, medium.digest)
            // A power cut leaves the cached writes undecided; a read decides some of them,
            // which writes their bytes into the medium: the digests follow.
            cache.cutUndecided(into: medium, torn: true)
            for read in stride(from: 0, to: blocks - 1, by: 2) {
                let sectors = medium.sectors(of: [read, read + 1])
                let outcomes = medium.outcomes(sectors: sectors)
                guard outcomes.count > 1 else { continue }
                medium.decide(sectors: sectors, outcome: outcomes[Int(generator.next() % UInt64(outcomes.count))])
                decided += 1
            }
            let bytes = try memory.read(block: 0, count: blocks)
            func digest(_ range: Range<Int>) -> UInt64 {
                range.reduce(UInt64(0)) { digest, b in
                    bytes.withUnsafeBytes {
                        digest ^ LazyCrashMedium.blockDigest(b, UnsafeRawBufferPointer(rebasing: $0[b * 512 ..< (b + 1) * 512]))
                    }
                }
            }
            XCTAssertEqual(medium.upperDigest, digest(split ..< blocks), "round \(round)")
            XCTAssertEqual(medium.digest, digest(0 ..< blocks), "round \(round)")
        }
        XCTAssertGreaterThan(decided, 30)
    }
}
