/// One staging region: a journal segment being built in memory, then held until its data is
/// checkpointed into the data area.
struct Region: Sendable {
    /// The region's number, as `stage` events name it.
    let index: Int
    /// The segment's bytes: a header placeholder, then the records; padded to blocks at seal.
    var buffer: [UInt8]
    /// The records, in arrival order.
    var records: [StagedRecord] = []
    /// Bytes the buffer may reach before sealing (header plus the region's size).
    let limit: Int

    init(index: Int, regionBytes: Int) {
        self.index = index
        self.limit = SegmentHeader.size + regionBytes
        buffer = [UInt8](repeating: 0, count: SegmentHeader.size)
        buffer.reserveCapacity(limit)
    }

    /// Whether a record of `size` bytes still fits.
    func fits(_ size: Int) -> Bool { buffer.count + size <= limit }

    /// Empties the region for reuse.
    mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: repeatElement(0, count: SegmentHeader.size))
        records.removeAll(keepingCapacity: true)
    }
}

/// A request copied into a region.
struct StagedRecord: Sendable {
    var iface: Int
    var id: Int
    /// Data-area offset.
    var offset: Int
    /// Where its bytes are in the region's buffer.
    var payload: Range<Int>
    /// Its place in the epoch's arrival order.
    var arrival: Int
}

/// A submitted request with its place in the epoch's arrival order.
struct Arrival: Sendable {
    var request: WriteRequest
    var arrival: Int
}
