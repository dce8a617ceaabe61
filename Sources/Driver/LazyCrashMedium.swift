import Trace

/// The durable medium of a simulated disk whose power cuts leave cached writes undecided: a
/// `MemoryBlockDevice` (the bytes no undecided write shows over) with `CrashFates` (the writes
/// the cuts left, and what reads decided of them).
///
/// A `VolatileCacheDevice` over it works as over any medium: flushes and `fua` writes go to
/// `memory` and cover the undecided writes there (`CrashFates.overwrite(sectors:)`);
/// `VolatileCacheDevice.cutUndecided(into:)` hands the cache's writes to `fates` instead of
/// choosing their fates. A read returns `memory`'s bytes: where an undecided write is alive,
/// the caller decides the content first (`decide(sectors:outcome:)`), or reads only sectors
/// the cache lays its own writes over (the simulated runtime does both).
///
/// Not thread-safe: call it from one thread at a time.
package final class LazyCrashMedium: BlockDevice, CustomStringConvertible {
    /// The bytes under the undecided writes.
    package let memory: MemoryBlockDevice
    // One caller at a time (above), so the hot fields skip Swift's run-time exclusivity check.
    /// The undecided writes and what was decided of them.
    @exclusivity(unchecked) package internal(set) var fates: CrashFates
    /// A stable hash of `memory`'s bytes, kept up to date by every write through this medium
    /// (the XOR of each block's hash with its number: a write takes its blocks' old hashes out
    /// and puts the new ones in), so that a state's fingerprint need not hash the whole medium
    /// after each flush. Writes to `memory` that bypass this medium are not seen.
    @exclusivity(unchecked) package private(set) var digest: UInt64 = 0
    /// The first block `upperDigest` covers (`split(at:)`; the whole medium's end until set).
    package private(set) var splitBlock: Int
    /// `digest` of the blocks from `splitBlock` on only (the explorer splits at the data area).
    @exclusivity(unchecked) package private(set) var upperDigest: UInt64 = 0

    /// A medium over `memory` with nothing undecided.
    package init(memory: MemoryBlockDevice) {
        self.memory = memory
        fates = CrashFates(blockSize: memory.blockSize)
        splitBlock = memory.blockCount
        digest = (0 ..< memory.blockCount).reduce(0) { $0 ^ blockDigest($1) }
    }

    /// An independent copy over `memory` (a copy of this one's, with the same bytes).
    package func copy(over memory: MemoryBlockDevice) -> LazyCrashMedium {
        LazyCrashMedium(memory: memory, fates: fates, digest: digest, splitBlock: splitBlock, upperDigest: upperDigest)
    }

    private init(memory: MemoryBlockDevice, fates: CrashFates, digest: UInt64, splitBlock: Int, upperDigest: UInt64) {
        self.memory = memory
        self.fates = fates
        self.digest = digest
        self.splitBlock = splitBlock
        self.upperDigest = upperDigest
    }

    /// Keeps `upperDigest` from block `block` on, from now on.
    package func split(at block: Int) {
        splitBlock = min(max(block, 0), memory.blockCount)
        upperDigest = (splitBlock ..< memory.blockCount).reduce(0) { $0 ^ blockDigest($1) }
    }

    /// The hash of block `block` holding `bytes`, with its number: what `digest` and
    /// `upperDigest` XOR together, one per block.
    package static func blockDigest(_ block: Int, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash = StableHasher()
        hash.combine(block)
        hash.combine(contiguous: bytes)
        return hash.value
    }

    /// The hash of block `block` of `memory`, with its number.
    package func blockDigest(_ block: Int) -> UInt64 {
        memory.withUnsafeBytes(ofBlock: block) { Self.blockDigest(block, $0) }
    }

    /// Runs `change`, which changes `blocks` of `memory`, keeping the digests up to date.
    private func rehashing<E: Error>(_ blocks: Range<Int>, _ change: () throws(E) -> Void) throws(E) {
        for block in blocks { unhash(block) }
        try change()
        for block in blocks { unhash(block) }
    }

    /// Takes block `block`'s hash out of the digests, or puts it in (XOR does both).
    private func unhash(_ block: Int) {
        let hash = blockDigest(block)
        digest ^= hash
        if block >= splitBlock { upperDigest ^= hash }
    }

    /// `memory`'s name.
    package var description: String { memory.name }
    /// `memory`'s block size.
    package var blockSize: Int { memory.blockSize }
    /// `memory`'s block count.
    package var blockCount: Int { memory.blockCount }

    /// `memory`'s bytes (see the type's notes on undecided sectors).
    package func read(block: Int, count: Int) throws(BlockDeviceError) -> [UInt8] {
        try memory.read(block: block, count: count)
    }

    /// Writes to `memory`, durable at once; no undecided write shows there any more.
    package func write(block: Int, _ bytes: [UInt8], fua: Bool) throws(BlockDeviceError) {
        _ = try checkWrite(block: block, byteCount: bytes.count)
        try rehashing(block ..< block + bytes.count / blockSize) { () throws(BlockDeviceError) in
            try memory.write(block: block, bytes, fua: fua)
        }
        let perBlock = fates.sectorsPerBlock
        fates.overwrite(sectors: block * perBlock ..< (block + bytes.count / blockSize) * perBlock)
    }

    /// Does nothing: every write is durable when it returns.
    package func flush() throws(BlockDeviceError) {}

    /// The sectors of `blocks` (ascending), as ranges of consecutive sectors.
    package func sectors(of blocks: [Int]) -> [Range<Int>] {
        let perBlock = fates.sectorsPerBlock
        var ranges: [Range<Int>] = []
        for block in blocks {
            if let last = ranges.last, last.upperBound == block * perBlock {
                ranges[ranges.count - 1] = last.lowerBound ..< (block + 1) * perBlock
            } else {
                ranges.append(block * perBlock ..< (block + 1) * perBlock)
            }
        }
        return ranges
    }

    /// The distinct contents a read of `sectors` (ascending, disjoint ranges) can return
    /// (`CrashFates.outcomes`); empty when they are decided.
    package func outcomes(sectors: [Range<Int>]) -> [CrashFates.ReadOutcome] {
        var sampled = false
        return outcomes(sectors: sectors, sampled: &sampled)
    }

    /// The distinct contents a read of `sectors` (ascending, disjoint ranges) can return, or
    /// with `sampled` set a sample of them (`CrashFates.outcomes`); empty when they are decided.
    package func outcomes(sectors: [Range<Int>], sampled: inout Bool) -> [CrashFates.ReadOutcome] {
        fates.outcomes(sectors: sectors, medium: { range in
            memory.bytes(in: range.lowerBound * sectorSize ..< range.upperBound * sectorSize)
        }, sampled: &sampled)
    }

    /// Takes `outcome` as the content of `sectors`: the fates learn it, `memory` holds it, and
    /// the sectors are decided from now on.
    package func decide(sectors: [Range<Int>], outcome: CrashFates.ReadOutcome) {
        let bytes = outcome.bytes
        fates.observe(outcome)
        var at = 0
        for range in sectors {
            let count = range.count * sectorSize
            let blocks = range.lowerBound / fates.sectorsPerBlock ..< (range.upperBound - 1) / fates.sectorsPerBlock + 1
            rehashing(blocks) {
                memory.replaceBytes(at: range.lowerBound * sectorSize, with: bytes[at ..< at + count])
            }
            at += count
            fates.overwrite(sectors: range)
        }
    }

    /// Hands writes a power cut left undecided to the fates.
    func takeUndecided(_ writes: [(block: Int, bytes: [UInt8])], torn: Bool) {
        fates.add(cutWrites: writes, torn: torn)
    }
}
