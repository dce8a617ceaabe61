import Checksum

/// The root of a driver image: its layout, its epoch, where the journal's oldest live segment
/// is, how much of the ledger is valid and its checksum, and the checksum of its chunk-map copy.
///
/// Two copies (blocks 0 and 1) are written in turn, each after the previous write was flushed,
/// with a generation number; the valid copy with the higher generation is current, so a write
/// torn by a power cut leaves the other copy intact. Copy k names chunk-map copy k, written and
/// flushed before it. A CRC-32 covers every field.
///
/// Layout version 3 (this driver): `magic "PLUMBDRV" | version u32 | blockSize u32 | 17 u64
/// fields (blockCount, ledgerStart, ledgerBlocks, mapStart, mapBlocks, journalStart,
/// journalBlocks, dataStart, physicalChunks, dataBytes, stagingBytes, regionBytes, chunkBytes,
/// generation, epoch, tail, tailSeq) | tailPrev u32 | ledgerCount u64 | ledgerChecksum u32 |
/// mapChecksum u32 | crc u32`, little-endian, zero padded to a block. Every structure on the
/// image is checksummed: the superblocks here, the ledger's valid entries and the chunk-map copy
/// by the checksums named here, each journal segment by its own. Version 2 (the same without
/// the ledger's checksum) and version 1 (no chunk map; every byte written to the journal and
/// then in place) are refused with both versions named, never misread.
struct Superblock: Sendable, Equatable {
    static let magic: [UInt8] = Array("PLUMBDRV".utf8)
    static let version: UInt32 = 3

    var layout: DeviceLayout
    /// Bumped at every write; the higher valid copy wins.
    var generation: Int
    /// Bumped at every recovery (and format): segments carry it.
    var epoch: Int
    /// Ring position (block within the journal) of the oldest segment recovery must read.
    var tail: Int
    /// The seq the segment at `tail` must carry.
    var tailSeq: Int
    /// The checksum the segment at `tail` must name as its predecessor's.
    var tailPrev: UInt32
    /// Valid entries of the ledger.
    var ledgerCount: Int
    /// The CRC-32 of the ledger's valid entries (`IDRange.size` bytes each, from its start).
    var ledgerChecksum: UInt32
    /// The CRC-32 of chunk-map copy `block`'s entries.
    var mapChecksum: UInt32

    /// Which block (and which chunk-map copy) this generation is written to.
    var block: Int { generation % 2 }

    /// The block image (one block, zero padded).
    func encode() -> [UInt8] {
        var w = LittleEndianWriter(capacity: layout.blockSize)
        w.bytes.append(contentsOf: Self.magic)
        w.put(Self.version)
        w.put(layout.blockSize, as: UInt32.self)
        for v in [layout.blockCount, layout.ledgerStart, layout.ledgerBlocks, layout.mapStart, layout.mapBlocks,
                  layout.journalStart, layout.journalBlocks, layout.dataStart, layout.physicalChunks, layout.dataBytes,
                  layout.staging.stagingBytes, layout.staging.regionBytes, layout.staging.chunkBytes,
                  generation, epoch, tail, tailSeq] {
            w.put(v, as: UInt64.self)
        }
        w.put(tailPrev)
        w.put(ledgerCount, as: UInt64.self)
        w.put(ledgerChecksum)
        w.put(mapChecksum)
        w.put(CRC32.checksum(w.bytes))
        w.bytes += [UInt8](repeating: 0, count: layout.blockSize - w.bytes.count)
        return w.bytes
    }

    /// What one superblock copy holds.
    enum Copy: Equatable {
        case valid(Superblock)
        /// No magic: never written, or not a driver image.
        case blank
        /// The magic is there but the checksum or a field is wrong.
        case damaged
        /// The magic is there with a layout version this driver does not read.
        case otherVersion(UInt32)
    }

    /// Decodes one copy from the start of `bytes`.
    static func decode(_ bytes: [UInt8], from start: Int = 0) -> Copy {
        guard bytes.count >= start + 8, Array(bytes[start ..< start + 8]) == magic else { return .blank }
        var r = LittleEndianReader(bytes, from: start + 8)
        guard let version = r.get(UInt32.self) else { return .damaged }
        guard version == Self.version else { return .otherVersion(version) }
        guard let blockSize = r.count32() else { return .damaged }
        var v: [Int] = []
        for _ in 0..<17 {
            guard let x = r.count64() else { return .damaged }
            v.append(x)
        }
        guard let tailPrev = r.get(UInt32.self), let ledgerCount = r.count64(), let ledgerChecksum = r.get(UInt32.self),
              let mapChecksum = r.get(UInt32.self)
        else { return .damaged }
        let covered = r.index - start
        guard let sum = r.get(UInt32.self),
              sum == bytes.withUnsafeBytes({ CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[start ..< start + covered])) })
        else { return .damaged }
        let layout = DeviceLayout(
            blockSize: blockSize, blockCount: v[0], ledgerStart: v[1], ledgerBlocks: v[2], mapStart: v[3], mapBlocks: v[4],
            journalStart: v[5], journalBlocks: v[6], dataStart: v[7], physicalChunks: v[8], dataBytes: v[9],
            staging: StagingConfig(stagingBytes: v[10], regionBytes: v[11], chunkBytes: v[12]))
        return .valid(Superblock(
            layout: layout, generation: v[13], epoch: v[14], tail: v[15], tailSeq: v[16],
            tailPrev: tailPrev, ledgerCount: ledgerCount, ledgerChecksum: ledgerChecksum, mapChecksum: mapChecksum))
    }
}
