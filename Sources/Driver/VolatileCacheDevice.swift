import Trace

/// A disk with a volatile write cache, over any other device (its durable medium, `base`).
///
/// A `write` without `fua` stays pending in the cache, in order, until `flush` applies every
/// pending write to `base` and flushes it. Reads see the latest data: `base` with the pending
/// writes laid over it in order. A power cut (`cut`, in `VolatileCacheDevice+Crash.swift`)
/// decides for each pending write whether it is lost, durable or torn at sector boundaries,
/// which is how a simulated runtime explores crash outcomes eagerly; `cutUndecided(into:torn:)`
/// (in `VolatileCacheDevice+Lazy.swift`) hands them to a `LazyCrashMedium` undecided instead.
///
/// A `fua` write goes to `base` at once with `fua` and removes the blocks it overwrites from
/// the pending writes, so that a cut cannot lay older cached data over it. Trimming can split
/// a pending write in two; each piece then meets its own fate in a cut (which a real disk
/// could do too, by tearing the whole write).
///
/// Not thread-safe: call it from one thread at a time (the runtimes serialize device calls).
package final class VolatileCacheDevice: BlockDevice, CustomStringConvertible {
    /// One write held in the cache: whole blocks from `block`.
    struct PendingWrite {
        let block: Int
        let bytes: [UInt8]
        /// The bytes hashed once, when the write reaches the cache, for the explorer's
        /// fingerprints of every state it is pending in (`hashPending(into:)`).
        let digest: UInt64

        /// A write of `bytes` from `block`, with their digest.
        init(block: Int, bytes: [UInt8]) {
            self.block = block
            self.bytes = bytes
            var hasher = StableHasher()
            hasher.combine(bytes: bytes)
            digest = hasher.value
        }
    }

    /// The durable medium under the cache.
    package let base: any BlockDevice
    /// The name errors give for the device.
    package let name: String
    // One caller at a time (above), so the hot fields skip Swift's run-time exclusivity check.
    /// The writes since the last flush or cut, oldest first.
    @exclusivity(unchecked) var pending: [PendingWrite] = []

    /// A cache with nothing pending over `base`.
    package init(base: any BlockDevice, name: String = "cache") {
        self.base = base
        self.name = name
    }

    /// The device's name.
    package var description: String { name }

    /// `base`'s block size.
    package var blockSize: Int { base.blockSize }

    /// `base`'s block count.
    package var blockCount: Int { base.blockCount }

    /// How many writes are pending (a cut decides the fate of each).
    package var pendingWrites: Int { pending.count }

    /// The size in sectors of each pending write, oldest first.
    package var pendingWriteSectors: [Int] { pending.map { $0.bytes.count / sectorSize } }

    /// Reads `count` blocks from `block`: `base`'s bytes with the pending writes laid over
    /// them in order.
    package func read(block: Int, count: Int) throws(BlockDeviceError) -> [UInt8] {
        try checkBlocks("read", block: block, count: count)
        var result = try base.read(block: block, count: count)
        let end = block + count
        for write in pending {
            let writeEnd = write.block + write.bytes.count / blockSize
            let first = max(block, write.block)
            let last = min(end, writeEnd)
            guard first < last else { continue }
            let from = (first - write.block) * blockSize
            let to = (first - block) * blockSize
            let length = (last - first) * blockSize
            result.replaceSubrange(to..<to + length, with: write.bytes[from..<from + length])
        }
        return result
    }

    /// Without `fua`, keeps the write pending; with `fua`, writes it to `base` with `fua` and
    /// drops the blocks it overwrites from the pending writes.
    package func write(block: Int, _ bytes: [UInt8], fua: Bool) throws(BlockDeviceError) {
        let count = try checkWrite(block: block, byteCount: bytes.count)
        guard count > 0 else { return }
        guard fua else {
            pending.append(PendingWrite(block: block, bytes: bytes))
            return
        }
        try base.write(block: block, bytes, fua: true)
        drop(block..<block + count)
    }

    /// Applies every pending write to `base` in order, flushes `base`, and clears the cache.
    package func flush() throws(BlockDeviceError) {
        var applied = 0
        defer { pending.removeFirst(applied) }
        for write in pending {
            try base.write(block: write.block, write.bytes, fua: false)
            applied += 1
        }
        try base.flush()
    }

    /// Removes `blocks` from every pending write, keeping the parts before and after.
    private func drop(_ blocks: Range<Int>) {
        var kept: [PendingWrite] = []
        kept.reserveCapacity(pending.count)
        for write in pending {
            let writeEnd = write.block + write.bytes.count / blockSize
            guard blocks.lowerBound < writeEnd, write.block < blocks.upperBound else {
                kept.append(write)
                continue
            }
            if write.block < blocks.lowerBound {
                let length = (blocks.lowerBound - write.block) * blockSize
                kept.append(PendingWrite(block: write.block, bytes: Array(write.bytes[0..<length])))
            }
            if blocks.upperBound < writeEnd {
                let from = (blocks.upperBound - write.block) * blockSize
                kept.append(PendingWrite(block: blocks.upperBound, bytes: Array(write.bytes[from...])))
            }
        }
        pending = kept
    }
}
