/// What a power cut does to one write still in a volatile cache: the choice an explorer of
/// crash outcomes makes for each pending write (see `VolatileCacheDevice.cut(_:)`).
package enum WriteFate: Sendable, Equatable {
    /// Nothing of the write reaches the medium.
    case lost
    /// All of the write reaches the medium.
    case durable
    /// Only these sector ranges of the write reach the medium, in sectors counted from the
    /// write's first sector; its other sectors keep what the medium held.
    case torn(kept: [Range<Int>])
}
