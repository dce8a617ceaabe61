import Checksum

/// The header of one journal segment: one sealed staging region written as a unit.
///
/// A segment is `header | record | record | ...`, padded to whole blocks. Each record is
/// `iface u32, depCount u32, id u64, offset u64, length u32, deps u64..., payload`. The CRC-32
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

    var iface: Int
    var id: Int
    var offset: Int
    var deps: [Int]
    /// Where the payload sits in the segment's bytes.
    var payload: Range<Int>

    /// Bytes a record for `length` payload bytes and `deps` takes.
    static func size(length: Int, deps: Int) -> Int { headerSize + 8 * deps + length }

    /// Appends a record for `request` to a segment being built.
    static func append(_ request: WriteRequest, to bytes: inout [UInt8]) {
        var w = LittleEndianWriter(capacity: headerSize + 8 * request.deps.count)
        w.put(request.iface, as: UInt32.self)
        w.put(request.deps.count, as: UInt32.self)
        w.put(request.id, as: UInt64.self)
        w.put(request.offset, as: UInt64.self)
        w.put(request.bytes.count, as: UInt32.self)
        for dep in request.deps { w.put(dep, as: UInt64.self) }
        bytes.append(contentsOf: w.bytes)
        bytes.append(contentsOf: request.bytes)
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

    /// Checks and parses a segment whose header was `header`, given all its blocks.
    static func decode(
        header: SegmentHeader, bytes: [UInt8], expectedSeq: Int, expectedPrev: UInt32
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
                  let offset = r.count64(), let length = r.count32() else { return .failure(.torn) }
            var deps: [Int] = []
            for _ in 0 ..< depCount {
                guard let dep = r.count64() else { return .failure(.torn) }
                deps.append(dep)
            }
            guard r.index + length <= header.totalBytes else { return .failure(.torn) }
            records.append(JournalRecord(iface: iface, id: id, offset: offset, deps: deps, payload: r.index ..< r.index + length))
            r.index += length
        }
        guard r.index == header.totalBytes else { return .failure(.torn) }
        return .success(DecodedSegment(header: header, records: records, bytes: bytes))
    }
}
