import Checksum

/// The header of one journal segment: one sealed staging region written as a unit.
///
/// A segment is `header | record | record | ...`, padded to whole blocks. Each record is
/// `iface u32, depCount u32, id u64, offset u64, length u32, deps u64..., payload`; a record
/// written out of place has the top bit of `length` set and, instead of the payload, the
/// physical chunk (u32) that each of its `length / chunkBytes` logical chunks now lives in. The CRC-32
/// covers the whole segment (its own field zeroed), so a torn write is detected; `seq` (one more
/// than the previous segment's) and `prev` (the previous segment's checksum) chain the segments,
/// so a segment left over from an earlier pass of the ring, intact but stale, is not taken for
/// the next one.
struct SegmentHeader: Sendable, Equatable {
    static let magic: [UInt8] = Array("PLUMBSEG".utf8)
    static let size = 48
    static let checksumOffset = 40

    var seq: Int
    var epoch: Int
    var prev: UInt32
    var recordCount: Int
    /// Bytes of header and records, before padding.
    var totalBytes: Int
    var checksum: UInt32

    func encode(into bytes: inout [UInt8]) {
        var w = LittleEndianWriter(capacity: Self.size)
        w.bytes.append(contentsOf: Self.magic)
        w.put(seq, as: UInt64.self)
        w.put(epoch, as: UInt64.self)
        w.put(prev)
        w.put(recordCount, as: UInt32.self)
        w.put(totalBytes, as: UInt64.self)
        w.put(checksum)
        w.put(UInt32(0))
        bytes.replaceSubrange(0 ..< Self.size, with: w.bytes)
    }

    /// The header at the start of `bytes`, if it has the magic and its fields parse.
    static func decode(_ bytes: [UInt8]) -> SegmentHeader? {
        guard bytes.count >= size, Array(bytes[0..<8]) == magic else { return nil }
        var r = LittleEndianReader(bytes, from: 8)
        guard let seq = r.count64(), let epoch = r.count64(), let prev = r.get(UInt32.self),
              let count = r.count32(), let total = r.count64(), let sum = r.get(UInt32.self)
        else { return nil }
        return SegmentHeader(seq: seq, epoch: epoch, prev: prev, recordCount: count, totalBytes: total, checksum: sum)
    }

    /// The checksum of a segment's first `totalBytes` bytes with the checksum field read as 0.
    static func computeChecksum(_ bytes: [UInt8], totalBytes: Int) -> UInt32 {
        bytes.withUnsafeBytes { raw in
            var crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[0 ..< checksumOffset]))
            crc = withUnsafeBytes(of: UInt32(0)) { CRC32.checksum($0, continuing: crc) }
            return CRC32.checksum(
                UnsafeRawBufferPointer(rebasing: raw[checksumOffset + 4 ..< totalBytes]), continuing: crc)
        }
    }
}

/// One request as a journal segment holds it.
struct JournalRecord: Sendable, Equatable {
    static let headerSize = 28
    /// The bit of the length field that marks a record written out of place.
    static let outOfPlace: UInt32 = 1 << 31

    var iface: Int
    var id: Int
    var offset: Int
    var length: Int
    var deps: [Int]
    /// Where the payload sits in the segment's bytes (empty when written out of place).
    var payload: Range<Int>
    /// For a record written out of place: the physical chunk of each logical chunk it covers.
    var chunks: [Int]

    /// Bytes a record for `length` payload bytes and `deps` takes.
    static func size(length: Int, deps: Int) -> Int { headerSize + 8 * deps + length }

    /// Bytes a record written out of place to `chunks` chunks takes in the segment.
    static func size(chunks: Int, deps: Int) -> Int { headerSize + 8 * deps + 4 * chunks }

    /// Appends a record for `request` to a segment being built: its payload inline, or with
    /// `chunks`, the physical chunks its payload was written to.
    static func append(_ request: WriteRequest, chunks: [Int] = [], to bytes: inout [UInt8]) {
        var w = LittleEndianWriter(capacity: headerSize + 8 * request.deps.count + 4 * chunks.count)
        w.put(request.iface, as: UInt32.self)
        w.put(request.deps.count, as: UInt32.self)
        w.put(request.id, as: UInt64.self)
        w.put(request.offset, as: UInt64.self)
        w.put(UInt32(request.bytes.count) | (chunks.isEmpty ? 0 : outOfPlace))
        for dep in request.deps { w.put(dep, as: UInt64.self) }
        for chunk in chunks { w.put(chunk, as: UInt32.self) }
        bytes.append(contentsOf: w.bytes)
        if chunks.isEmpty { bytes.append(contentsOf: request.bytes) }
    }
}

/// A segment read back from the journal.
struct DecodedSegment: Sendable {
    var header: SegmentHeader
    var records: [JournalRecord]
    var bytes: [UInt8]

    /// Why a segment at the expected position is not the next one.
    enum Rejection: String, Error, Sendable {
        /// No magic, a checksum mismatch or records that do not parse: torn or never written.
        case torn
        /// Intact, but not the successor of the previous segment: left from an earlier pass.
        case stale
    }

    /// Checks and parses a segment whose header was `header`, given all its blocks; records
    /// written out of place name chunks of `layout`.
    static func decode(
        header: SegmentHeader, bytes: [UInt8], expectedSeq: Int, expectedPrev: UInt32, layout: DeviceLayout
    ) -> Result<DecodedSegment, Rejection> {
        guard header.totalBytes >= SegmentHeader.size, header.totalBytes <= bytes.count,
              SegmentHeader.computeChecksum(bytes, totalBytes: header.totalBytes) == header.checksum
        else { return .failure(.torn) }
        guard header.seq == expectedSeq, header.prev == expectedPrev else { return .failure(.stale) }
        var records: [JournalRecord] = []
        records.reserveCapacity(header.recordCount)
        var r = LittleEndianReader(bytes, from: SegmentHeader.size, end: header.totalBytes)
        for _ in 0 ..< header.recordCount {
            guard let iface = r.count32(), let depCount = r.count32(), let id = r.count64(),
                  let offset = r.count64(), let field = r.get(UInt32.self) else { return .failure(.torn) }
            let length = Int(field & ~JournalRecord.outOfPlace)
            var deps: [Int] = []
            for _ in 0 ..< depCount {
                guard let dep = r.count64() else { return .failure(.torn) }
                deps.append(dep)
            }
            var chunks: [Int] = []
            if field & JournalRecord.outOfPlace != 0 {
                // Whole chunks, each named by a physical chunk of the data area.
                guard length > 0, length % layout.chunkBytes == 0, offset % layout.chunkBytes == 0,
                      offset + length <= layout.dataBytes else { return .failure(.torn) }
                for _ in 0 ..< length / layout.chunkBytes {
                    guard let chunk = r.count32(), chunk < layout.physicalChunks else { return .failure(.torn) }
                    chunks.append(chunk)
                }
                records.append(JournalRecord(
                    iface: iface, id: id, offset: offset, length: length, deps: deps, payload: r.index ..< r.index, chunks: chunks))
                continue
            }
            guard r.index + length <= header.totalBytes, offset + length <= layout.dataBytes else { return .failure(.torn) }
            records.append(JournalRecord(
                iface: iface, id: id, offset: offset, length: length, deps: deps, payload: r.index ..< r.index + length, chunks: []))
            r.index += length
        }
        guard r.index == header.totalBytes else { return .failure(.torn) }
        return .success(DecodedSegment(header: header, records: records, bytes: bytes))
    }
}
