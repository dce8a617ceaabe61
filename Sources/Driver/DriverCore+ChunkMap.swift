import Checksum

// The chunk map: which physical chunk of the data area holds each logical chunk.
//
// Why a remap never shows a torn or lost write (the rest of the argument is in
// `DriverCore+Persistence.swift`):
// - A request that covers whole chunks is written to free physical chunks, and its journal
//   record names them. Its segment is written only after those data writes completed before a
//   completed flush, so a segment recovery can read never names chunks that do not hold its data.
// - A chunk is free when no map can name it: not the live map, not the map of the last
//   superblock commit, and no journal record between that commit's tail and the head. A chunk a
//   remap displaced is freed only once a superblock commit has moved the tail past the remapping
//   segment (with the map as of that point), so an older record that recovery may still replay
//   into it can never overwrite a new owner's data.
// - Recovery rebuilds the map by replaying the records from the tail in order onto the map copy
//   the superblock names (its checksum checked), so each inline record lands in the physical
//   chunk its logical chunk had at its arrival, as it did live.
extension DriverCore {
    /// Device ranges of logical bytes `offset ..< offset + length` under `map`, consecutive
    /// physical chunks merged.
    static func pieces(offset: Int, length: Int, map: [Int], layout: DeviceLayout) -> [DeviceRange] {
        let chunk = layout.chunkBytes
        var out: [DeviceRange] = []
        var at = offset
        let end = offset + length
        while at < end {
            let logical = at / chunk
            let within = at - logical * chunk
            let count = min(chunk - within, end - at)
            let device = layout.block(ofChunk: map[logical]) * layout.blockSize + within
            if let last = out.last, last.offset + last.count == device {
                out[out.count - 1].count += count
            } else {
                out.append(DeviceRange(offset: device, count: count))
            }
            at += count
        }
        return out
    }

    /// Takes `count` free physical chunks, the lowest run of consecutive ones if there is one
    /// (so a large write is one device write), else the lowest ones; nil when too few are free.
    mutating func takeChunks(_ count: Int) -> [Int]? {
        guard count <= freeChunks.count else { return nil }
        var start = 0
        for i in freeChunks.indices {
            if i > 0, freeChunks[i] != freeChunks[i - 1] + 1 { start = i }
            if i - start + 1 == count {
                defer { freeChunks.removeSubrange(start ... i) }
                return Array(freeChunks[start ... i])
            }
        }
        defer { freeChunks.removeFirst(count) }
        return Array(freeChunks.prefix(count))
    }

    /// Returns chunks to the free list, kept ascending.
    mutating func releaseChunks(_ chunks: [Int]) {
        guard !chunks.isEmpty else { return }
        freeChunks = (freeChunks + chunks).sorted()
    }

    /// The physical chunks no entry of `map` names, ascending.
    static func freeList(of map: [Int], layout: DeviceLayout) -> [Int] {
        var used = [Bool](repeating: false, count: layout.physicalChunks)
        for chunk in map { used[chunk] = true }
        return used.indices.filter { !used[$0] }
    }

    /// The identity map of a new image: logical chunk `c` in physical chunk `c`.
    static func identityMap(_ layout: DeviceLayout) -> [Int] { Array(0 ..< layout.logicalChunks) }

    /// One map copy's blocks (a u32 per logical chunk, zero padded) and its entries' checksum.
    static func encodeMap(_ map: [Int], _ layout: DeviceLayout) -> (bytes: [UInt8], checksum: UInt32) {
        var w = LittleEndianWriter(capacity: layout.mapBlocks * layout.blockSize)
        for chunk in map { w.put(chunk, as: UInt32.self) }
        let checksum = CRC32.checksum(w.bytes)
        w.bytes += [UInt8](repeating: 0, count: layout.mapBlocks * layout.blockSize - w.bytes.count)
        return (w.bytes, checksum)
    }

    /// The map a copy holds, if its checksum is `checksum` and it names distinct chunks that
    /// exist; nil otherwise.
    static func decodeMap(_ bytes: [UInt8], checksum: UInt32, _ layout: DeviceLayout) -> [Int]? {
        let length = layout.logicalChunks * 4
        guard bytes.count >= length,
              bytes.withUnsafeBytes({ CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0 ..< length])) }) == checksum
        else { return nil }
        var r = LittleEndianReader(bytes, end: length)
        var map: [Int] = []
        map.reserveCapacity(layout.logicalChunks)
        var used = [Bool](repeating: false, count: layout.physicalChunks)
        for _ in 0 ..< layout.logicalChunks {
            guard let chunk = r.count32(), chunk < layout.physicalChunks, !used[chunk] else { return nil }
            used[chunk] = true
            map.append(chunk)
        }
        return map
    }
}
