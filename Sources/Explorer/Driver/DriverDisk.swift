import Driver

/// The simulated disk of one driver state: a `VolatileCacheDevice` over a `LazyCrashMedium`
/// over a `MemoryBlockDevice`, the very devices the driver's crash tests use, so that patches
/// run `BlockDevice.patch` and power cuts run `VolatileCacheDevice.cut(_:)` (eager) or
/// `cutUndecided(into:torn:)` (lazy) as everywhere else. With eager crash states the lazy
/// medium never holds an undecided write and only passes I/O through.
///
/// The devices are classes; `DriverSimulation` keeps one `DriverDisk` per state and copies it
/// before changing one that another state shares (copy-on-write, see `DriverSimulation.
/// mutableDisk()`). A shared disk is only read, so states may be used from several threads
/// (`@unchecked Sendable`): reads of the devices change nothing.
final class DriverDisk: @unchecked Sendable {
    /// The durable bytes.
    let medium: MemoryBlockDevice
    /// `medium` with the writes power cuts left undecided.
    let lazy: LazyCrashMedium
    /// The volatile cache over `lazy`: what the core's I/O goes to.
    let cache: VolatileCacheDevice

    /// A zeroed disk of `blockCount` blocks of `blockSize` bytes, with an empty cache.
    init(blockSize: Int, blockCount: Int) {
        medium = MemoryBlockDevice(blockSize: blockSize, blockCount: blockCount, name: "sim")
        lazy = LazyCrashMedium(memory: medium)
        cache = VolatileCacheDevice(base: lazy, name: "sim-cache")
    }

    /// An independent copy of `other`: its medium's bytes, undecided writes and pending writes.
    init(copying other: DriverDisk) {
        medium = other.medium.copy()
        lazy = other.lazy.copy(over: medium)
        cache = other.cache.copy(over: lazy)
    }
}
