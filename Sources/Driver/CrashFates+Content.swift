#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Trace

// The contents of reads of undecided sectors, laid out only when taken: a read of a journal
// segment can have a thousand contents of a few hundred kilobytes each, and building them all
// to tell them apart cost more than the rest of the search (and a page fault per page).
extension CrashFates {
    /// One content a read of undecided sectors can return, and the fate assignments that give
    /// it (a disjunction of boxes over the writes the read involves).
    package struct ReadOutcome: Sendable, Equatable {
        /// The constraint choosing this outcome adds.
        package var constraint: Constraint
        /// The writes whose bytes show in it (on top of any other there) in the first box
        /// giving it, ascending (for descriptions).
        package var showing: [Int]
        /// Where its bytes come from.
        let layers: Layers

        /// The bytes read, `sectorSize` per sector (laid out anew at each use).
        package var bytes: [UInt8] { layers.bytes }

        /// Equal bytes, constraint and showing writes.
        package static func == (a: Self, b: Self) -> Bool {
            a.constraint == b.constraint && a.showing == b.showing && a.layers.sameBytes(as: b.layers)
        }
    }

    /// A content as the medium's bytes of the read with runs of the writes' bytes over them:
    /// every content of one read shares the medium's bytes and the writes' (arrays, not copied).
    struct Layers: Sendable {
        /// One run of a write's bytes in the content.
        struct Run: Sendable, Equatable {
            /// Where in the content it goes (bytes).
            var at: Int
            /// The write's bytes.
            var source: [UInt8]
            /// Where in `source` it starts (bytes).
            var from: Int
            /// How many bytes.
            var count: Int

            /// The same bytes from the same place of the very same array (not equal arrays:
            /// `sameBytes` compares those).
            static func == (a: Run, b: Run) -> Bool {
                a.at == b.at && a.from == b.from && a.count == b.count
                    && a.source.withUnsafeBytes { x in b.source.withUnsafeBytes { $0.baseAddress == x.baseAddress } }
            }
        }

        /// The medium's own bytes of the sectors read, one after another.
        var base: [UInt8]
        /// The writes' bytes over them, in content order.
        var runs: [Run]

        /// The content.
        var bytes: [UInt8] {
            var bytes = base
            bytes.withUnsafeMutableBytes { out in
                for run in runs {
                    run.source.withUnsafeBytes { from in
                        out.baseAddress!.advanced(by: run.at)
                            .copyMemory(from: from.baseAddress!.advanced(by: run.from), byteCount: run.count)
                    }
                }
            }
            return bytes
        }

        /// Whether the content is the same as `other`'s (of the same read, or another of as
        /// many bytes): compared in place, part by part, without laying either out.
        func sameBytes(as other: Layers) -> Bool {
            guard base.count == other.base.count else { return false }
            if runs == other.runs && base == other.base { return true }
            let mine = parts, theirs = other.parts
            var i = 0, j = 0, at = 0
            while at < base.count {
                let a = mine[i], b = theirs[j]
                let end = min(a.at + a.count, b.at + b.count)
                let same = a.source.withUnsafeBytes { x in
                    b.source.withUnsafeBytes { y in
                        memcmp(x.baseAddress! + a.from + (at - a.at), y.baseAddress! + b.from + (at - b.at), end - at) == 0
                    }
                }
                if !same { return false }
                at = end
                if at == a.at + a.count { i += 1 }
                if at == b.at + b.count { j += 1 }
            }
            return true
        }

        /// The content as consecutive parts, each from a run or from `base`, covering it all.
        private var parts: [Run] {
            var parts: [Run] = []
            var at = 0
            for run in runs {
                if run.at > at { parts.append(Run(at: at, source: base, from: at, count: run.at - at)) }
                parts.append(run)
                at = run.at + run.count
            }
            if at < base.count { parts.append(Run(at: at, source: base, from: at, count: base.count - at)) }
            return parts
        }
    }

    /// The stable hashes of 512-byte sectors a read's contents are made of, so that a content
    /// is hashed as the sequence of its sectors' hashes (equal bytes, equal hash) without
    /// laying it out.
    struct SectorDigests {
        /// Per sector read, the hash of the medium's own bytes there.
        let base: [UInt64]
        /// Per involved write, per sector of it (from its first), the hash of its bytes there
        /// (0 where it is not read or not alive).
        let writes: [[UInt64]]

        /// The hashes of `base` (the medium's bytes of the read) and of the sectors of each of
        /// `involved` that `places` lists.
        init(base bytes: [UInt8], involved: [Write], places: [[(offset: Int, position: Int)]]) {
            func digest(_ bytes: ArraySlice<UInt8>) -> UInt64 {
                var hash = StableHasher()
                bytes.withUnsafeBytes { hash.combine(contiguous: $0) }
                return hash.value
            }
            base = stride(from: 0, to: bytes.count, by: sectorSize).map { digest(bytes[$0 ..< $0 + sectorSize]) }
            writes = involved.indices.map { j in
                var digests = [UInt64](repeating: 0, count: involved[j].sectors)
                for place in places[j] {
                    let at = place.offset * sectorSize
                    digests[place.offset] = digest(involved[j].bytes[at ..< at + sectorSize])
                }
                return digests
            }
        }
    }

    /// Each involved write's read sectors: (offset in the write, position in the read), for
    /// the sectors it is alive at.
    func places(of involved: [Int], in sectors: [Range<Int>]) -> [[(offset: Int, position: Int)]] {
        var readAt = 0
        var starts: [(range: Range<Int>, at: Int)] = []
        for range in sectors { starts.append((range, readAt)); readAt += range.count }
        return involved.map { w in
            let write = writes[w]
            var result: [(offset: Int, position: Int)] = []
            for start in starts {
                let lo = max(start.range.lowerBound, write.firstSector), hi = min(start.range.upperBound, write.range.upperBound)
                for sector in lo ..< max(lo, hi) where write.alive & (1 << UInt64(sector - write.firstSector)) != 0 {
                    result.append((sector - write.firstSector, start.at + sector - start.range.lowerBound))
                }
            }
            return result
        }
    }

    /// The content `sectors` show when each of `involved` has a fate in its mask of `box`
    /// (as layers over `base`, the medium's bytes there), its hash (from `digests`), and the
    /// writes of `involved` that show in it (on top), ascending.
    func content(of sectors: [Range<Int>], involved: [Int], box: [UInt64], base: [UInt8],
                 digests: SectorDigests) -> (layers: Layers, digest: UInt64, showing: [Int]) {
        var shows = [Bool](repeating: false, count: involved.count)
        // Per involved write, the sectors it keeps, from its first (every value of the class
        // keeps a sector or none does: the least tells).
        let firsts = involved.map { writes[$0].firstSector }
        let kept = involved.indices.map { j in min(box[j].trailingZeroBitCount, writes[involved[j]].sectors) }
        let alive = involved.map { writes[$0].alive }
        var runs: [Layers.Run] = []
        var hash = StableHasher()
        var position = -1
        var lastWrite = -1
        for sector in sectors.joined() {
            position += 1
            var top: (j: Int, offset: Int)?
            for j in involved.indices.reversed() {
                let offset = sector - firsts[j]
                if offset >= 0, offset < kept[j], alive[j] & (1 << UInt64(offset)) != 0 {
                    top = (j, offset)
                    break
                }
            }
            guard let (j, offset) = top else {
                hash.combine(digests.base[position])
                continue
            }
            hash.combine(digests.writes[j][offset])
            shows[j] = true
            let at = position * sectorSize, from = offset * sectorSize
            // The next sector of the same write right after the last run's: one run.
            if let last = runs.indices.last, lastWrite == j, runs[last].at + runs[last].count == at,
               runs[last].from + runs[last].count == from {
                runs[last].count += sectorSize
            } else {
                runs.append(Layers.Run(at: at, source: writes[involved[j]].bytes, from: from, count: sectorSize))
                lastWrite = j
            }
        }
        return (Layers(base: base, runs: runs), hash.value, involved.indices.filter { shows[$0] }.map { involved[$0] })
    }
}
