import Trace

extension VolatileCacheDevice {
    /// Hashes the pending writes, oldest first (block and bytes of each): what a power cut can
    /// still decide, for the explorer's state fingerprints.
    package func hashPending(into hasher: inout StableHasher) {
        hasher.combine(pending.count)
        for write in pending {
            hasher.combine(write.block)
            hasher.combine(bytes: write.bytes)
        }
    }
}
