/// Names one I/O the core asked for, so its completion can find it again.
public struct IOTicket: Hashable, Sendable, CustomStringConvertible {
    /// The number, unique within one core.
    package var raw: Int
    /// Makes a ticket.
    package init(_ raw: Int) { self.raw = raw }
    /// `io#N`.
    public var description: String { "io#\(raw)" }
}

/// Names one caller's read, so its answer can find the caller again.
public struct ReadTicket: Hashable, Sendable {
    /// The runtime's number for the read.
    package var raw: Int
    /// Makes a ticket.
    public init(_ raw: Int) { self.raw = raw }
}

/// One write a caller submits through an interface.
public struct WriteRequest: Sendable, Equatable {
    /// The interface (queue) it arrives on, from 0.
    public var iface: Int
    /// The caller's id for it, unique in the trace. The driver refuses an id it knows in this
    /// epoch (submitted, or recovered at its start); ids of earlier epochs, lost or not, are the
    /// caller's never to reuse. Consecutive ids keep the ledger small (it stores runs).
    public var id: Int
    /// The byte offset in the device's data area.
    public var offset: Int
    /// The bytes to write (at least one).
    public var bytes: [UInt8]
    /// Requests (any interface) that must be durable before this one.
    public var deps: [Int]

    /// Makes a request.
    public init(iface: Int, id: Int, offset: Int, bytes: [UInt8], deps: [Int] = []) {
        self.iface = iface
        self.id = id
        self.offset = offset
        self.bytes = bytes
        self.deps = deps
    }
}

/// How much staging memory the driver has, how it is split, and the data area's unit of
/// remapping.
public struct StagingConfig: Sendable, Equatable {
    /// Bytes of staging memory in all.
    public var stagingBytes: Int
    /// Bytes per region; a request can be at most a region, less its record header.
    public var regionBytes: Int
    /// Bytes per data-area chunk (a multiple of the block size): a request that covers whole
    /// chunks is written once, out of place, and the chunk map points at its new home.
    public var chunkBytes: Int

    /// Makes a configuration; `stagingBytes` must hold at least two regions.
    public init(stagingBytes: Int = 16 << 20, regionBytes: Int = 1 << 20, chunkBytes: Int = 64 << 10) {
        self.stagingBytes = stagingBytes
        self.regionBytes = regionBytes
        self.chunkBytes = chunkBytes
    }

    /// The number of regions.
    package var regionCount: Int { stagingBytes / regionBytes }
}

/// Why the core did not take a submit, sync or read. Nothing is recorded for it.
public enum RequestRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The device is not online (formatting, recovering, stopped or failed).
    case notOnline
    /// The bytes fall outside the data area, or there are none.
    case outOfRange(id: Int, offset: Int, length: Int, capacity: Int)
    /// The request is larger than one region can hold.
    case tooLarge(id: Int, length: Int, limit: Int)
    /// The id was used before.
    case duplicateID(Int)
    /// A dep names no request the driver knows in this epoch (never submitted, or lost).
    case unknownDependency(id: Int, dep: Int)
    /// The interface number is negative.
    case badInterface(Int)

    /// For people.
    public var description: String {
        switch self {
        case .notOnline: "the device is not online"
        case let .outOfRange(id, offset, length, capacity):
            "request \(id): \(length) bytes at offset \(offset) do not fit the data area of \(capacity) bytes"
        case let .tooLarge(id, length, limit):
            "request \(id): \(length) bytes is more than one staging region takes (\(limit) bytes)"
        case let .duplicateID(id): "request id \(id) was used before"
        case let .unknownDependency(id, dep):
            "request \(id) depends on \(dep), which is not a request of this epoch or its recovery"
        case let .badInterface(i): "interface \(i) is negative"
        }
    }
}

/// Why an existing device cannot be mounted. The device is left as it was.
public enum DriverImageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Neither superblock copy carries the driver's magic: not a driver image.
    case notAnImage
    /// Both superblock copies are damaged (bad checksum), so nothing can be trusted.
    case damagedSuperblock
    /// The superblock is intact but does not fit this device or this driver version.
    case incompatible(String)
    /// The image is damaged beyond what recovery repairs (for example the retired-id ledger).
    case damaged(String)
    /// The ledger that names the epoch's checkpointed requests for recovery is full: this image
    /// names at most `capacity` runs of consecutive ids per epoch (an epoch ends at a crash).
    case ledgerFull(capacity: Int)

    /// For people.
    public var description: String {
        switch self {
        case .notAnImage: "not a driver image (no superblock with the driver's magic)"
        case .damagedSuperblock: "both superblock copies are damaged (checksum mismatch)"
        case let .incompatible(why): "incompatible driver image: \(why)"
        case let .damaged(why): "driver image damaged beyond recovery: \(why)"
        case let .ledgerFull(capacity):
            "the ledger of checkpointed request ids is full (\(capacity) runs of consecutive ids in this epoch); "
                + "use consecutive ids, or format a larger image"
        }
    }
}

/// What a mount or a recovery found.
public struct RecoverySummary: Sendable, Equatable {
    /// Journal segments replayed.
    public var segments: Int
    /// Requests named `recovered` (journal records and the ledger of checkpointed ids).
    public var recovered: Int
    /// Bytes of journal payload replayed into the data area.
    public var bytesReplayed: Int
    /// Why the journal scan stopped: `end` (no next segment), `torn` (a checksum failed),
    /// `stale` (a segment of an older pass of the ring).
    public var stop: String
    /// The epoch the device serves from now on.
    public var epoch: Int

    /// Makes a summary.
    package init(segments: Int, recovered: Int, bytesReplayed: Int, stop: String, epoch: Int) {
        self.segments = segments
        self.recovered = recovered
        self.bytesReplayed = bytesReplayed
        self.stop = stop
        self.epoch = epoch
    }
}
