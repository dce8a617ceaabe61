import Driver

/// Why a call to a `LiveDriver` did not get its answer (besides a `RequestRefusal` from the core
/// and a `BlockDeviceError` from the device, which are thrown as they are).
public enum LiveDriverError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Format or mount of `device` failed: not a driver image, damaged, or the wrong geometry.
    /// A failed mount left the device as it was.
    case image(device: String, DriverImageError)
    /// The core gave up while serving or recovering `device` (for example a full ledger, or
    /// recovery after a power cut found damage it cannot repair). Every later call throws it.
    case failed(device: String, DriverImageError)
    /// The power was cut while the call waited (or before it reached the core): its outcome is
    /// what recovery says (a write is recovered or lost; a sync may not have finished).
    case powerLost
    /// The driver was shut down (or dropped): it serves no more calls.
    case stopped
    /// `powerCut` needs the driver's device to be a `VolatileCacheDevice`.
    case noVolatileCache(device: String)
    /// `powerCut` was called while another cut was still being carried out.
    case cutInProgress

    /// For people.
    public var description: String {
        switch self {
        case let .image(device, error): "\(device): cannot use the device: \(error)"
        case let .failed(device, error): "\(device): the driver stopped: \(error)"
        case .powerLost: "the power was cut before the call finished"
        case .stopped: "the driver is shut down"
        case let .noVolatileCache(device):
            "\(device): a power cut needs a VolatileCacheDevice (a cache whose unflushed writes it can lose)"
        case .cutInProgress: "a power cut is already being carried out"
        }
    }
}

/// Device operations a `LiveDriver` carried out: what the I/O thread did, for summaries and
/// benchmarks.
package struct LiveDriverStatistics: Sendable, Equatable {
    /// Block writes (journal segments, superblocks, format).
    package var writes = 0
    /// Bytes of block writes.
    package var bytesWritten = 0
    /// Read-modify-write patches (checkpoints into the data area, ledger updates, replays).
    package var patches = 0
    /// Bytes the patches carried.
    package var bytesPatched = 0
    /// Flushes of the device's cache.
    package var flushes = 0
    /// Block reads (recovery) and callers' reads served.
    package var reads = 0
    /// Batches of completions fed to the core.
    package var completionBatches = 0
    /// Completions fed to the core.
    package var completions = 0

    /// Nothing yet.
    package init() {}
}
