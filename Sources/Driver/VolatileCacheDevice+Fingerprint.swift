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
        let blockSize = self.blockSize
        pending.withUnsafeBufferPointer { writes in
            // Latest first; a block a later write covers is that write's. The writes are few, so
            // a later one is looked for among them (no set is made on every fingerprint).
            for i in writes.indices.reversed() {
                let first = writes[i].block, end = first + writes[i].bytes.count / blockSize
                guard end > block else { continue }
                for b in max(first, block) ..< end {
                    var later = false
                    for j in (i + 1) ..< writes.count where writes[j].block <= b {
                        if b < writes[j].block + writes[j].bytes.count / blockSize {
                            later = true
                            break
                        }
                    }
                    if later { continue }
                    let from = (b - first) * blockSize
                    delta ^= medium.blockDigest(b)
                    delta ^= writes[i].bytes.withUnsafeBytes {
                        LazyCrashMedium.blockDigest(b, UnsafeRawBufferPointer(rebasing: $0[from ..< from + blockSize]))
                    }
                }
            }
        }
        return delta
    }
}
