/// One staging region: a journal segment being built in memory, then held until its data is
/// checkpointed into the data area.
struct Region: Sendable {
    /// The region's number, as `stage` events name it.
    let index: Int
    /// The segment's bytes: a header placeholder, then the records; padded to blocks at seal.
    var buffer: [UInt8] { didSet { contentChanged = true } }
    /// The records, in arrival order.
    var records: [StagedRecord] = [] { didSet { contentChanged = true } }
    /// Bytes the buffer may reach before sealing (header plus the region's size); the payloads
    /// held for records written out of place have a budget of the region's size of their own.
    let limit: Int
    /// Payload bytes held for records written out of place (for reads until they retire).
    var heldBytes = 0 { didSet { contentChanged = true } }
    /// Records whose payload is in the buffer: what a checkpoint patches.
    var inlineRecords = 0 { didSet { contentChanged = true } }
    /// Out-of-place data writes of its records still outstanding.
    var dataWrites = 0
    /// The completion index of its last out-of-place data write, if any completed.
    var dataWritten: Int?
    /// Physical chunks its out-of-place records took over from earlier data: free once a
    /// superblock commit moves the journal's tail past its segment.
    var displaced: [Int] = [] { didSet { contentChanged = true } }
    /// `contentHash()` as of the last `refreshDigest()`: what the explorer's fingerprints
    /// take, so that they do not hash the buffer and records at every state.
    private(set) var contentDigest: UInt64 = 0
    /// Whether the content changed since `contentDigest` was taken.
    private(set) var contentChanged = true

    init(index: Int, regionBytes: Int) {
        self.index = index
        self.limit = SegmentHeader.size + regionBytes
        buffer = [UInt8](repeating: 0, count: SegmentHeader.size)
        buffer.reserveCapacity(limit)
    }

    /// Takes `contentDigest` again if the content changed.
    mutating func refreshDigest() {
        guard contentChanged else { return }
        contentDigest = contentHash()
        contentChanged = false
    }

    /// Whether a record of `size` bytes in the buffer, holding `held` more bytes, still fits.
    func fits(_ size: Int, held: Int = 0) -> Bool {
        buffer.count + size <= limit && heldBytes + held <= limit - SegmentHeader.size
    }

    /// Whether its out-of-place data is on the platter: every data write completed before a
    /// completed flush (`durableMark`), so its segment may be written.
    func dataDurable(before durableMark: Int) -> Bool {
        dataWrites == 0 && (dataWritten.map { $0 < durableMark } ?? true)
    }

    /// Empties the region for reuse.
    mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: repeatElement(0, count: SegmentHeader.size))
        records.removeAll(keepingCapacity: true)
        heldBytes = 0
        inlineRecords = 0
        dataWrites = 0
        dataWritten = nil
        displaced.removeAll()
    }
}

/// A request copied into a region.
struct StagedRecord: Sendable {
    var iface: Int
    var id: Int
    /// Data-area offset.
    var offset: Int
    /// Where its bytes are in the region's buffer (empty when written out of place).
    var payload: Range<Int>
    /// Its place in the epoch's arrival order.
    var arrival: Int
    /// Where its bytes go on the device (the chunk map at its arrival), for an inline record.
    var pieces: [DeviceRange] = []
    /// For a record written out of place: the physical chunk of each logical chunk it covers,
    /// and its bytes, held for reads until it retires.
    var chunks: [Int] = []
    var held: [UInt8] = []

    /// Bytes it writes.
    var length: Int { chunks.isEmpty ? payload.count : held.count }
}

/// A submitted request with its place in the epoch's arrival order.
struct Arrival: Sendable {
    var request: WriteRequest
    var arrival: Int
}
