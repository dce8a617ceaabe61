import Checksum

/// The root of a driver image: its layout, its epoch, where the journal's oldest live segment
/// is and how much of the ledger is valid.
///
/// Two copies (blocks 0 and 1) are written in turn, each after the previous write was flushed,
/// with a generation number; the valid copy with the higher generation is current, so a write
/// torn by a power cut leaves the other copy intact. A CRC-32 covers every field.
struct Superblock: Sendable, Equatable {
    static let magic: [UInt8] = Array("PLUMBDRV".utf8)
    static let version: UInt32 = 1

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

    /// Which block this generation is written to.
    var block: Int { generation % 2 }

    /// The block image (one block, zero padded).
    func encode() -> [UInt8] {
        var w = LittleEndianWriter(capacity: layout.blockSize)
        w.bytes.append(contentsOf: Self.magic)
        w.put(Self.version)
        w.put(layout.blockSize, as: UInt32.self)
        for v in [layout.blockCount, layout.ledgerStart, layout.ledgerBlocks, layout.journalStart,
                  layout.journalBlocks, layout.dataStart, layout.dataBytes,
                  layout.staging.stagingBytes, layout.staging.regionBytes,
                  generation, epoch, tail, tailSeq] {
            w.put(v, as: UInt64.self)
        }
        w.put(tailPrev)
        w.put(ledgerCount, as: UInt64.self)
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
    }

    /// Decodes one copy from the start of `bytes`.
    static func decode(_ bytes: [UInt8], from start: Int = 0) -> Copy {
        guard bytes.count >= start + 8, Array(bytes[start ..< start + 8]) == magic else { return .blank }
        var r = LittleEndianReader(bytes, from: start + 8)
        guard r.get(UInt32.self) == version, let blockSize = r.count32() else { return .damaged }
        var v: [Int] = []
        for _ in 0..<13 {
            guard let x = r.count64() else { return .damaged }
            v.append(x)
        }
        guard let tailPrev = r.get(UInt32.self), let ledgerCount = r.count64() else { return .damaged }
        let covered = r.index - start
        guard let sum = r.get(UInt32.self),
              sum == bytes.withUnsafeBytes({ CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[start ..< start + covered])) })
        else { return .damaged }
        let layout = DeviceLayout(
            blockSize: blockSize, blockCount: v[0], ledgerStart: v[1], ledgerBlocks: v[2],
            journalStart: v[3], journalBlocks: v[4], dataStart: v[5], dataBytes: v[6],
            staging: StagingConfig(stagingBytes: v[7], regionBytes: v[8]))
        return .valid(Superblock(
            layout: layout, generation: v[9], epoch: v[10], tail: v[11], tailSeq: v[12],
            tailPrev: tailPrev, ledgerCount: ledgerCount))
    }
}
