import Trace

/// The driver's core: staging, the journal, checkpoints and recovery of a byte-addressable
/// persistent device on a block device, as a deterministic state machine.
///
/// A value type with no I/O, clock or randomness: `handle(_:)` takes one input and returns the
/// actions a runtime carries out in order (record an event, write or patch blocks, flush, read,
/// complete a request). Trace events are numbered by the core; `t` is left for the runtime.
///
/// The design, in short (the crash-safety argument is in `DriverCore+Persistence.swift` and
/// `DriverCore+ChunkMap.swift`; the on-disk layout, version 2, in `DeviceLayout` and `Superblock`):
/// - A write is copied into the open staging region as a journal record and completed at once.
///   A write that covers whole chunks of the data area is instead written once, out of place,
///   to free chunks, and its record names them (its bytes stay in staging for reads).
///   A region is sealed when the next record does not fit, when a sync needs it, or on `idle`
///   with no journal write outstanding; it then becomes one journal segment.
/// - Segments are written to the journal ring in arrival order, each once its out-of-place data
///   is flushed; a flush makes them durable, and only a prefix of segments is ever called
///   durable, so per interface durability follows arrival order and every dependency (deps
///   name earlier arrivals) is durable first.
/// - Durable segments are checkpointed lazily and in bulk: when staging or the ring runs short
///   (or at shutdown), one patch writes every durable segment's inline records into the data
///   area (sorted into runs of blocks by `BlockDevice.patch`, later records winning); once it
///   is flushed their regions are free again. Ring space and displaced chunks are reclaimed by a
///   superblock commit, which first writes the ledger (the retired segments' ids, so recovery
///   can still name every request of the epoch) and the chunk map as of those segments.
/// - Recovery reads the newer superblock copy and its map copy, names the ledger's ids and
///   replays the journal from the tail while each segment checks out (checksum, seq, previous
///   checksum), then starts a new epoch with an empty journal.
public struct DriverCore: Sendable {
    /// One input to the core.
    public enum Input: Sendable, Equatable {
        /// Format a new image on a device of this geometry; `nonce` (from the runtime's random
        /// source) anchors the journal chain so segments of an earlier image are never replayed.
        case format(blockSize: Int, blockCount: Int, staging: StagingConfig, nonce: UInt32)
        /// Mount an existing image: recover quietly (nothing recorded), then serve.
        case mount(blockSize: Int, blockCount: Int)
        /// Power came back after a loss that ended an earlier core's run of this same trace (a
        /// controller restarting): record `crash`, then recover as `powerLoss` does. Make the core
        /// with `lastSeq` of the earlier one so the trace goes on.
        case recover(blockSize: Int, blockCount: Int)
        /// A caller submits a write.
        case submit(WriteRequest)
        /// A caller asks for everything it submitted on `iface` so far to be durable.
        case sync(iface: Int)
        /// A caller reads `length` bytes at `offset` of the data area.
        case read(ReadTicket, offset: Int, length: Int)
        /// An I/O the core asked for finished; `bytes` for a read.
        case completed(IOTicket, bytes: [UInt8]?)
        /// The runtime has nothing else to give: a good moment to seal a partly filled region.
        case idle
        /// Power is lost: staging and every I/O in flight are gone; recovery starts.
        case powerLoss
        /// Make everything durable, checkpoint it, and stop serving.
        case shutdown
    }

    /// What the runtime must do, in order.
    public enum Action: Sendable, Equatable {
        /// Record this trace event.
        case record(TraceEvent)
        /// Write whole blocks at `block`, then report `.completed(ticket, bytes: nil)`.
        case write(IOTicket, block: Int, bytes: [UInt8])
        /// Read-modify-write these byte extents (device offsets) in order, with
        /// `BlockDevice.patch`, then report completion.
        case patch(IOTicket, [ByteExtent])
        /// Flush the device's cache, then report completion.
        case flush(IOTicket)
        /// Read `count` blocks at `block`, then report `.completed(ticket, bytes:)`.
        case read(IOTicket, block: Int, count: Int)
        /// The request is staged: deliver its completion to the caller.
        case complete(id: Int)
        /// The earliest unfinished sync of `iface` finished.
        case syncDone(iface: Int)
        /// Answer a caller's read: the device's bytes of `pieces`, one after another, with
        /// `overlay` (the newer staged bytes, offsets counted from the read's first byte) laid over
        /// them in order (`BlockDevice.readBytes(pieces:overlay:)`).
        case serveRead(ReadTicket, pieces: [DeviceRange], overlay: [ByteExtent])
        /// A submit, sync or read was refused; nothing was recorded.
        case refused(RequestRefusal)
        /// The device serves requests (after a format, a mount or a recovery).
        case online(RecoverySummary)
        /// The image cannot be mounted or recovered; the core stops.
        case failed(DriverImageError)
        /// After `shutdown`: everything is durable and checkpointed.
        case stopped
    }

    /// Where the core is.
    public enum Phase: Sendable, Equatable {
        /// Waiting for `format` or `mount`.
        case unmounted
        /// Formatting, mounting or recovering.
        case recovering
        /// Serving requests.
        case online
        /// Finishing a shutdown.
        case stopping
        /// Shut down.
        case stopped
        /// The image could not be mounted or recovered.
        case failed
    }

    /// The node name events are recorded under.
    public let node: String
    /// Where the core is.
    public internal(set) var phase: Phase = .unmounted
    /// The image's layout, once formatted or mounted.
    public internal(set) var layout: DeviceLayout?

    /// The last seq recorded.
    var seq = 0
    var nextTicket = 0
    /// What each outstanding I/O is for.
    var pendingIO = PendingIO()

    // Staging.
    var regions: [Region] = []
    var openRegion: Int?
    var freeRegions: [Int] = []
    /// Submitted requests waiting for room in staging (back-pressure), oldest first.
    var waiting: [Arrival] = []
    var waitingHead = 0

    // Arrivals and durability in the current epoch.
    var arrivals = 0
    var durableArrivals = 0
    /// Ids submitted in this epoch or recovered at its start (for deps and duplicates); set
    /// through `know(_:)` and `setKnown(_:)`, which keep `knownDigest`.
    private(set) var known: Set<Int> = []
    /// The sum of the known ids' hashes: what the fingerprint takes of `known`, in a time that
    /// does not grow with the ids (a multiset sum, like the explorer's other running digests).
    private(set) var knownDigest: UInt64 = 0
    /// Per interface, the arrival count each pending sync waits for, oldest first.
    var syncs: [Int: [Int]] = [:]
    /// Per interface, one past its latest arrival.
    var lastArrival: [Int: Int] = [:]

    // The journal.
    var journal = JournalState()

    // The chunk map.
    /// Logical chunk → physical chunk, as every arrival so far left it.
    var chunkMap: [Int] = [] { didSet { mapsChanged = true } }
    /// The map as of the retired segments: what the next superblock commit writes.
    var checkpointMap: [Int] = [] { didSet { mapsChanged = true } }
    /// Physical chunks free to take, ascending.
    var freeChunks: [Int] = [] { didSet { mapsChanged = true } }
    /// `mapsHash()` as of the last `refreshDigests()` (the explorer's fingerprints read it).
    var mapsDigest: UInt64 = 0
    /// Whether the chunk maps changed since `mapsDigest` was taken.
    var mapsChanged = true
    /// A large write waits for free chunks: a checkpoint and a commit would free some.
    var needsChunks = false

    // Flushes: a flush covers every write whose completion index is below its mark.
    var completions = 0
    var durableMark = 0
    var flushIssuedMark = 0
    var flushInFlight: IOTicket?

    /// The recovery in progress.
    var recovery: RecoveryState?
    var shutdownRequested = false

    /// Deliberate bugs, for the explorer's tests only (see `DriverCoreFaults`); none by default.
    package var faults = DriverCoreFaults.none

    /// Makes a core that records as `node`; `lastSeq` is the last seq an earlier core of the
    /// same trace recorded, if the trace goes on (see `Input.recover`).
    public init(node: String = "driver", lastSeq: Int = 0) {
        self.node = node
        self.seq = lastSeq
    }

    /// The last seq recorded: where a core that takes this trace over after a power loss starts.
    public var lastSeq: Int { seq }

    /// Takes one input; returns what the runtime must do, in order.
    public mutating func handle(_ input: Input) -> [Action] {
        var out: [Action] = []
        switch input {
        case let .format(blockSize, blockCount, staging, nonce):
            guard phase == .unmounted else { return [.refused(.notOnline)] }
            startFormat(blockSize: blockSize, blockCount: blockCount, staging: staging, nonce: nonce, &out)
        case let .mount(blockSize, blockCount):
            guard phase == .unmounted else { return [.refused(.notOnline)] }
            startRecovery(traced: false, geometry: (blockSize, blockCount), &out)
        case let .recover(blockSize, blockCount):
            guard phase == .unmounted else { return [.refused(.notOnline)] }
            record(.crash, &out)
            startRecovery(traced: true, geometry: (blockSize, blockCount), &out)
        case let .submit(request):
            submit(request, &out)
        case let .sync(iface):
            sync(iface: iface, &out)
        case let .read(ticket, offset, length):
            read(ticket, offset: offset, length: length, &out)
        case let .completed(ticket, bytes):
            guard let purpose = pendingIO.removeValue(forKey: ticket) else { return [] }
            completed(ticket, purpose, bytes: bytes, &out)
        case .idle:
            if phase == .online || phase == .stopping, let open = openRegion,
               regions[open].records.count > 0, !journal.hasUndurableWrites {
                seal(&out)
            }
        case .powerLoss:
            guard phase != .unmounted, phase != .failed else { return [] }
            record(.crash, &out)
            let geometry = layout.map { ($0.blockSize, $0.blockCount) }
            dropVolatileState()
            if let geometry { startRecovery(traced: true, geometry: geometry, &out) } else { phase = .unmounted }
            return out
        case .shutdown:
            guard phase == .online else { return [.refused(.notOnline)] }
            phase = .stopping
            shutdownRequested = true
            if openRegion != nil, regions[openRegion!].records.count > 0 { seal(&out) }
        }
        if phase == .online || phase == .stopping { progress(&out) }
        return out
    }

    /// Records one event.
    mutating func record(_ kind: EventKind, _ out: inout [Action]) {
        seq += 1
        out.append(.record(TraceEvent(node: node, seq: seq, kind: kind)))
    }

    /// A new ticket for `purpose`.
    mutating func ticket(for purpose: IOPurpose) -> IOTicket {
        nextTicket += 1
        let t = IOTicket(nextTicket)
        pendingIO[t] = purpose
        return t
    }

    /// Forgets everything a power loss takes: staging, I/O in flight, the epoch's bookkeeping.
    mutating func dropVolatileState() {
        pendingIO = [:]
        regions = []
        openRegion = nil
        freeRegions = []
        waiting = []
        waitingHead = 0
        arrivals = 0
        durableArrivals = 0
        setKnown([])
        syncs = [:]
        lastArrival = [:]
        journal = JournalState()
        chunkMap = []
        checkpointMap = []
        freeChunks = []
        needsChunks = false
        completions = 0
        durableMark = 0
        flushIssuedMark = 0
        flushInFlight = nil
        recovery = nil
        shutdownRequested = false
    }
}

extension DriverCore {
    /// Adds `id` to `known`.
    mutating func know(_ id: Int) {
        if known.insert(id).inserted { knownDigest &+= Self.digest(ofKnown: id) }
    }

    /// Makes `ids` the known ids.
    mutating func setKnown(_ ids: Set<Int>) {
        known = ids
        knownDigest = 0
        for id in ids { knownDigest &+= Self.digest(ofKnown: id) }
    }

    /// One known id's term of `knownDigest`.
    private static func digest(ofKnown id: Int) -> UInt64 { StableHasher.hash(UInt64(bitPattern: Int64(id))) }
}
