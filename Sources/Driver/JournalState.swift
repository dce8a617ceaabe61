/// The writer's view of the journal ring, the segments in flight and the pending checkpoint.
struct JournalState: Sendable {
    /// Sealed segments not yet retired, oldest first; each still holds its region.
    var segments: [SegmentState] = []
    /// Checkpointed segments whose ring space awaits a superblock commit, oldest first.
    var retired: [RetiredSegment] = [] { didSet { checkpointChanged = true } }
    /// Ring position the next segment is written at.
    var head = 0
    /// Ring blocks from the superblock's tail to `head`, wrap gaps included.
    var used = 0
    var nextSeq = 1
    var lastChecksum: UInt32 = 0
    var epoch = 0
    /// The superblock as last written.
    var superblock: Superblock? { didSet { checkpointChanged = true } }
    /// The ledger as on disk (ranges of retired ids of this epoch).
    var ledger: [IDRange] = [] { didSet { checkpointChanged = true } }
    var commit: CommitStep?
    /// A checkpoint patch (of every durable segment at its start) is out.
    var patchInFlight = false
    /// A queued segment is waiting for ring space.
    var needsSpace = false
    /// `checkpointHash()` as of the last `refreshDigest()` (the explorer's fingerprints read it).
    private(set) var checkpointDigest: UInt64 = 0
    /// Whether the retired segments, the superblock or the ledger changed since
    /// `checkpointDigest` was taken.
    private(set) var checkpointChanged = true

    /// Takes `checkpointDigest` again if what it covers changed.
    mutating func refreshDigest() {
        guard checkpointChanged else { return }
        checkpointDigest = checkpointHash()
        checkpointChanged = false
    }

    /// Whether some sealed segment is not durable yet.
    var hasUndurableWrites: Bool {
        segments.contains { $0.stage.isBeforeDurable }
    }

    /// Ring blocks held by retired segments.
    var retiredSpan: Int { retired.reduce(0) { $0 + $1.span } }

    /// Physical chunks that retired segments displaced: freed by the next superblock commit.
    var retiredDisplaced: Int { retired.reduce(0) { $0 + $1.displaced.count } }
}

/// One sealed segment, from its seal to its retirement.
struct SegmentState: Sendable {
    enum Stage: Sendable, Equatable {
        /// Sealed, waiting for ring space.
        case queued
        /// Its journal write is out.
        case writing
        /// Its journal write completed (completion index), awaiting a flush.
        case written(Int)
        /// Flushed, with every earlier segment: its requests are durable.
        case durable
        /// Its data-area patch is out.
        case patching
        /// Its patch completed (completion index), awaiting a flush.
        case patched(Int)

        var isBeforeDurable: Bool {
            switch self {
            case .queued, .writing, .written: true
            default: false
            }
        }
    }

    var seq: Int
    var region: Int
    var prev: UInt32
    var checksum: UInt32
    var blocks: Int
    /// Ring position, once placed.
    var position: Int?
    /// Ring blocks it consumed (itself plus a wrap gap after it).
    var span = 0
    var ids: [IDRange]
    /// One past the last arrival it holds.
    var endArrival: Int
    var stage: Stage = .queued
}

/// A checkpointed segment whose ring space is freed by the next superblock commit.
struct RetiredSegment: Sendable {
    var seq: Int
    var prev: UInt32
    var position: Int
    var span: Int
    var ids: [IDRange]
    /// Physical chunks its records displaced, free once the tail moves past it.
    var displaced: [Int]
}

/// The superblock commit in progress: ledger and chunk map (with the map's checksum), flush,
/// superblock, flush.
enum CommitStep: Sendable {
    case ledger(retired: Int, ledger: [IDRange], mapChecksum: UInt32)
    case ledgerWritten(Int, retired: Int, ledger: [IDRange], mapChecksum: UInt32)
    case superblock(Superblock, retired: Int, ledger: [IDRange])
    case superWritten(Int, Superblock, retired: Int, ledger: [IDRange])
}

/// What an outstanding I/O is for.
enum IOPurpose: Sendable, Equatable {
    case journal(seq: Int)
    /// An out-of-place data write of a record staged in this region.
    case data(region: Int)
    /// The checkpoint patch of `count` segments from seq `first`.
    case patch(first: Int, count: Int)
    case flush(mark: Int)
    case ledger
    case superblock
    case recovery
}

extension Array where Element == IDRange {
    /// Appends `id`, extending the last range when it is the next id.
    mutating func add(_ id: Int) {
        if let last = self.last, last.first + last.count == id {
            self[count - 1].count += 1
        } else {
            append(IDRange(first: id, count: 1))
        }
    }

    /// Appends ranges, merging where they continue one another.
    mutating func add(contentsOf ranges: [IDRange]) {
        for r in ranges {
            if let last = self.last, last.first + last.count == r.first {
                self[count - 1].count += r.count
            } else {
                append(r)
            }
        }
    }
}
