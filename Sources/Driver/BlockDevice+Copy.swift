/// Copies of the simulated devices, so that a simulated runtime can branch: the explorer keeps
/// its devices in a value type and copies them before changing a shared one (copy-on-write).
/// (`MemoryBlockDevice.copy()` shares its pages until written.)

extension VolatileCacheDevice {
    /// An independent cache with the same name and pending writes over `base`, which the
    /// caller gives (usually a copy of this cache's `base`).
    package func copy(over base: any BlockDevice) -> VolatileCacheDevice {
        let copy = VolatileCacheDevice(base: base, name: name)
        copy.pending = pending
        return copy
    }
}
