/// Where things live on a driver image, in blocks, and the staging it was formatted for.
///
/// Block 0 and block 1 hold the two superblock copies, written in turn; then the ledger of
/// checkpointed request ids; then the journal ring; then the data area, the bytes callers
/// address. The staging configuration is part of the format because the journal ring is sized
/// for it (every region's segment, plus as much again for segments awaiting a checkpoint).
public struct DeviceLayout: Sendable, Equatable {
    /// Bytes per block.
    public var blockSize: Int
    /// Blocks on the device.
    public var blockCount: Int
    /// First block of the ledger.
    public var ledgerStart: Int
    /// Blocks of the ledger.
    public var ledgerBlocks: Int
    /// First block of the journal ring.
    public var journalStart: Int
    /// Blocks of the journal ring.
    public var journalBlocks: Int
    /// First block of the data area.
    public var dataStart: Int
    /// Bytes of the data area: the device's capacity as callers see it.
    public var dataBytes: Int
    /// The staging the journal is sized for.
    public var staging: StagingConfig

    /// The layout for a device of `blockCount` blocks of `blockSize`, or nil when the device is
    /// too small to hold the journal and a data area at least as large.
    public static func make(blockSize: Int, blockCount: Int, staging: StagingConfig) -> DeviceLayout? {
        guard blockSize >= 512, blockSize % sectorSize == 0, staging.regionBytes >= blockSize,
              staging.regionCount >= 2 else { return nil }
        let segmentBlocks = (staging.regionBytes + SegmentHeader.size + blockSize - 1) / blockSize
        let journalBlocks = 2 * staging.regionCount * segmentBlocks + 2 * segmentBlocks
        let ledgerBlocks = max(16, blockCount / 64)
        let dataStart = 2 + ledgerBlocks + journalBlocks
        let dataBlocks = blockCount - dataStart
        guard dataBlocks >= journalBlocks else { return nil }
        return DeviceLayout(
            blockSize: blockSize, blockCount: blockCount, ledgerStart: 2, ledgerBlocks: ledgerBlocks,
            journalStart: 2 + ledgerBlocks, journalBlocks: journalBlocks, dataStart: dataStart,
            dataBytes: dataBlocks * blockSize, staging: staging)
    }

    /// The most blocks one segment (one region's records) takes in the journal.
    public var maxSegmentBlocks: Int {
        (staging.regionBytes + SegmentHeader.size + blockSize - 1) / blockSize
    }

    /// The largest request (in bytes) with `deps` dependencies that one staging region takes.
    public func maxRequestBytes(deps: Int = 0) -> Int {
        staging.regionBytes - JournalRecord.headerSize - 8 * deps
    }

    /// The most ids ranges the ledger holds.
    public var ledgerCapacity: Int { ledgerBlocks * blockSize / IDRange.size }

    /// Where a segment that follows one ending at ring position `end` starts: at `end`, or at
    /// the ring's start when fewer than `maxSegmentBlocks` remain (writer and recovery agree).
    func nextSegmentPosition(after end: Int) -> Int {
        journalBlocks - end < maxSegmentBlocks ? 0 : end
    }

    /// The device byte offset of data-area offset `offset`.
    func deviceOffset(ofData offset: Int) -> Int { dataStart * blockSize + offset }
}

/// A run of consecutive request ids, `first ..< first + count`: how the ledger stores ids.
public struct IDRange: Sendable, Equatable {
    /// The first id.
    public var first: Int
    /// How many.
    public var count: Int
    /// Bytes per range on disk.
    static let size = 16
}
