/// Where things live on a driver image, in blocks, and the staging it was formatted for
/// (layout version 3, see `Superblock`).
///
/// Block 0 and block 1 hold the two superblock copies, written in turn; then the ledger of
/// checkpointed request ids; then two copies of the chunk map, each paired with the superblock
/// copy of the same number; then the journal ring; then the data area of physical chunks.
/// Callers address logical bytes: logical chunk `c` lives in the physical chunk the map names,
/// and the spare physical chunks take large writes out of place. The staging configuration is
/// part of the format because the journal ring and the spares are sized for it.
public struct DeviceLayout: Sendable, Equatable {
    /// Bytes per block.
    public var blockSize: Int
    /// Blocks on the device.
    public var blockCount: Int
    /// First block of the ledger.
    package var ledgerStart: Int
    /// Blocks of the ledger.
    package var ledgerBlocks: Int
    /// First block of chunk-map copy 0 (copy 1 follows it).
    package var mapStart: Int
    /// Blocks of one chunk-map copy.
    package var mapBlocks: Int
    /// First block of the journal ring.
    package var journalStart: Int
    /// Blocks of the journal ring.
    package var journalBlocks: Int
    /// First block of the data area (physical chunk 0).
    package var dataStart: Int
    /// Physical chunks in the data area: the logical ones plus the spares.
    package var physicalChunks: Int
    /// Bytes callers address: the device's capacity as they see it (whole logical chunks).
    public var dataBytes: Int
    /// The staging the journal and the spares are sized for, and the chunk size.
    public var staging: StagingConfig

    /// The layout for a device of `blockCount` blocks of `blockSize`, or nil when the device is
    /// too small to hold the journal, the spare chunks and a data area of at least one region.
    package static func make(blockSize: Int, blockCount: Int, staging: StagingConfig) -> DeviceLayout? {
        guard blockSize >= 512, blockSize % sectorSize == 0, staging.regionBytes >= blockSize,
              staging.regionCount >= 2, staging.chunkBytes >= blockSize, staging.chunkBytes % blockSize == 0,
              blockCount > 0 else { return nil }
        let chunkBlocks = staging.chunkBytes / blockSize
        let segmentBlocks = (staging.regionBytes + SegmentHeader.size + blockSize - 1) / blockSize
        let journalBlocks = 2 * staging.regionCount * segmentBlocks + 2 * segmentBlocks
        let ledgerBlocks = max(16, blockCount / 64)
        // One u32 per logical chunk; the device's chunk count bounds it.
        let mapBlocks = max(1, ((blockCount / chunkBlocks) * 4 + blockSize - 1) / blockSize)
        let mapStart = 2 + ledgerBlocks
        let journalStart = mapStart + 2 * mapBlocks
        let dataStart = journalStart + journalBlocks
        guard blockCount > dataStart else { return nil }
        let physical = (blockCount - dataStart) / chunkBlocks
        let logical = physical - spareChunks(staging)
        guard logical > 0, logical * staging.chunkBytes >= staging.regionBytes else { return nil }
        return DeviceLayout(
            blockSize: blockSize, blockCount: blockCount, ledgerStart: 2, ledgerBlocks: ledgerBlocks,
            mapStart: mapStart, mapBlocks: mapBlocks, journalStart: journalStart, journalBlocks: journalBlocks,
            dataStart: dataStart, physicalChunks: physical, dataBytes: logical * staging.chunkBytes, staging: staging)
    }

    /// Spare physical chunks: room for a whole staging area of large writes out of place, and
    /// as much again for the chunks they displace until a superblock commit frees them.
    static func spareChunks(_ staging: StagingConfig) -> Int {
        max(2, 2 * ((staging.stagingBytes + staging.chunkBytes - 1) / staging.chunkBytes))
    }

    /// Bytes per chunk.
    package var chunkBytes: Int { staging.chunkBytes }

    /// Logical chunks: what the chunk map has an entry for.
    package var logicalChunks: Int { dataBytes / staging.chunkBytes }

    /// The most blocks one segment (one region's records) takes in the journal.
    package var maxSegmentBlocks: Int {
        (staging.regionBytes + SegmentHeader.size + blockSize - 1) / blockSize
    }

    /// The largest request (in bytes) with `deps` dependencies that one staging region takes
    /// inline; a request of whole chunks may be as large as the region.
    public func maxRequestBytes(deps: Int = 0) -> Int {
        staging.regionBytes - JournalRecord.headerSize - 8 * deps
    }

    /// The most ids ranges the ledger holds.
    package var ledgerCapacity: Int { ledgerBlocks * blockSize / IDRange.size }

    /// Where a segment that follows one ending at ring position `end` starts: at `end`, or at
    /// the ring's start when fewer than `maxSegmentBlocks` remain (writer and recovery agree).
    func nextSegmentPosition(after end: Int) -> Int {
        journalBlocks - end < maxSegmentBlocks ? 0 : end
    }

    /// The first block of physical chunk `chunk`.
    func block(ofChunk chunk: Int) -> Int { dataStart + chunk * (staging.chunkBytes / blockSize) }

    /// The first block of chunk-map copy `copy` (0 or 1).
    package func mapBlock(copy: Int) -> Int { mapStart + copy * mapBlocks }
}

/// A run of consecutive request ids, `first ..< first + count`: how the ledger stores ids.
package struct IDRange: Sendable, Equatable {
    /// The first id.
    package var first: Int
    /// How many.
    package var count: Int
    /// Bytes per range on disk.
    static let size = 16
}
