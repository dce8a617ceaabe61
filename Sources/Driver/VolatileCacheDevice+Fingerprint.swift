import Trace

extension VolatileCacheDevice {
    /// Hashes the pending writes, oldest first (block and bytes of each, the bytes as the
    /// digest taken when the write came): what a power cut can still decide, for the
    /// explorer's state fingerprints.
    package func hashPending(into hasher: inout StableHasher) {
        hasher.combine(pending.count)
        for i in pending.indices {
            hasher.combine(pending[i].block)
            hasher.combine(pending[i].digest)
        }
    }
}

extension VolatileCacheDevice {
    /// The XOR, over the blocks from `block` on that pending writes cover, of each block's hash
    /// (`LazyCrashMedium.blockDigest`) as `medium` holds it and as the latest pending write over
    /// it holds it: XORed into the medium's `upperDigest` (split at `block`), the digest of
    /// those blocks as a read through the cache returns them. Costs the pending writes' bytes,
    /// not the medium's, for the explorer's fingerprints.
    package func readingDelta(from block: Int, over medium: LazyCrashMedium) -> UInt64 {
        var delta: UInt64 = 0
        var seen: Set<Int> = []
        for write in pending.reversed() {
            let end = write.block + write.bytes.count / blockSize
            guard end > block else { continue }
            for b in max(write.block, block) ..< end where seen.insert(b).inserted {
                let from = (b - write.block) * blockSize
                delta ^= medium.blockDigest(b)
                delta ^= write.bytes.withUnsafeBytes {
                    LazyCrashMedium.blockDigest(b, UnsafeRawBufferPointer(rebasing: $0[from ..< from + blockSize]))
                }
            }
        }
        return delta
    }
}
