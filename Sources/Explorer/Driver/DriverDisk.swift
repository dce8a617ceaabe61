import Driver

/// The simulated disk of one driver state: a `VolatileCacheDevice` over a `MemoryBlockDevice`,
/// the very devices the driver's crash tests use, so that patches run `BlockDevice.patch` and
/// power cuts run `VolatileCacheDevice.cut(_:)` as everywhere else.
///
/// The devices are classes; `DriverSimulation` keeps one `DriverDisk` per state and copies it
/// before changing one that another state shares (copy-on-write, see `DriverSimulation.
/// mutableDisk()`). A shared disk is only read, so states may be used from several threads
/// (`@unchecked Sendable`): reads of both devices change nothing.
final class DriverDisk: @unchecked Sendable {
    /// The durable medium.
    let medium: MemoryBlockDevice
    /// The volatile cache over `medium`: what the core's I/O goes to.
    let cache: VolatileCacheDevice

    /// A zeroed disk of `blockCount` blocks of `blockSize` bytes, with an empty cache.
    init(blockSize: Int, blockCount: Int) {
        medium = MemoryBlockDevice(blockSize: blockSize, blockCount: blockCount, name: "sim")
        cache = VolatileCacheDevice(base: medium, name: "sim-cache")
    }

    /// An independent copy of `other`: its medium's bytes and its pending writes.
    init(copying other: DriverDisk) {
        medium = other.medium.copy()
        cache = other.cache.copy(over: medium)
    }
}
