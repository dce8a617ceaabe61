// Lazy power cuts: the cached writes handed to a `LazyCrashMedium` undecided, and which
// blocks of the medium an operation reads (what a lazy runtime must decide first).
extension VolatileCacheDevice {
    /// Cuts the power without choosing fates: every pending write goes to `medium`'s fates
    /// undecided, oldest first (with `torn`, each may also tear after any of its sectors), and
    /// the cache empties. `medium` must be this cache's `base`.
    package func cutUndecided(into medium: LazyCrashMedium, torn: Bool) {
        precondition(medium === base, "\(name): the lazy medium must be the cache's base")
        let writes = pending.map { (block: $0.block, bytes: $0.bytes) }
        pending = []
        medium.takeUndecided(writes, torn: torn)
    }

    /// The blocks of `base` that `operation` reads when carried out here, ascending: a read's
    /// blocks and a patch's partly written blocks (`BlockDevice.patch`), less those a pending
    /// write lays its own bytes over; none for a write or a flush.
    package func baseBlocks(reading operation: DeviceOperation) -> [Int] {
        let blocks: [Int]
        switch operation {
        case let .read(block, count): blocks = Array(block ..< block + count)
        case let .patch(extents): blocks = patchedPartialBlocks(extents)
        case .write, .flush: return []
        }
        return blocks.filter { block in
            !pending.contains { $0.block <= block && block < $0.block + $0.bytes.count / blockSize }
        }
    }
}
