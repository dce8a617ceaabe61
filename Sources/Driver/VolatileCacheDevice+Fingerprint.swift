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

extension VolatileCacheDevice {
    /// Hashes blocks `blocks` as a read through the cache returns them, block by block: from the
    /// latest pending write that covers a block, else from `medium`, the durable bytes under the
    /// cache (where no fate is undecided, what the base reads). Copies nothing, for the
    /// explorer's fingerprints; equal contents hash alike whichever holds them.
    package func hashReading(_ blocks: Range<Int>, over medium: MemoryBlockDevice, into hasher: inout StableHasher) {
        for block in blocks {
            if let write = pending.last(where: { $0.block <= block && block < $0.block + $0.bytes.count / blockSize }) {
                let from = (block - write.block) * blockSize
                write.bytes.withUnsafeBytes { hasher.combine(contiguous: UnsafeRawBufferPointer(rebasing: $0[from ..< from + blockSize])) }
            } else {
                medium.withUnsafeBytes(ofBlock: block) { hasher.combine(contiguous: $0) }
            }
        }
    }
}
