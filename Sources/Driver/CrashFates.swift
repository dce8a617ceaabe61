import Trace

/// The writes power cuts left undecided on a medium, and what reads have decided of them: the
/// lazy form of `VolatileCacheDevice.cut(_:)`. Instead of choosing each cached write's fate at
/// the cut (lost, durable, or torn after its first k sectors), the cut hands the writes here
/// with every fate still possible; a read later decides only what the bytes it reads depend on
/// (`outcomes(sectors:)`, `observe(_:)`), and what it decided stays decided.
///
/// The fate of write `w` is one number `t_w`, the sectors of it that reached the medium: sector
/// `i` of the write (counted from its first) survives iff `t_w > i`. So `0` is lost, its
/// sector count is durable, and anything between is torn after `t_w` sectors (only when the
/// cut allows tearing). A sector of the medium shows the last write (in cache order, across
/// cuts) that covers it, is still *alive* there, and survived there; else the medium's own
/// bytes (kept by the owner, `LazyCrashMedium`). A write is alive at a sector until a durable
/// write (a flush, a later cut's write read back, a write through `fua`) covers it.
///
/// What is known is kept as a domain per write (the values of `t_w` still possible) and a list
/// of constraints (`Constraint`: one read's outcome, a disjunction of boxes over the writes it
/// involved). The constraints are always satisfiable together: a read only offers outcomes
/// some fate assignment gives.
///
/// The order of writes follows the cache's order; flush order needs no constraint of its
/// own: a write completed before a completed flush is on the medium, never here, and a `fua`
/// write reaches the medium at once (see `VolatileCacheDevice`), which is what the Linux
/// kernel's dm-log-writes documentation says may survive.
///
/// A value type; deterministic (arrays only, no hashed iteration). Writes of more than 63
/// sectors are not supported (a precondition): domains are 64-bit masks.
package struct CrashFates: Sendable, Equatable {
    /// One write a cut left undecided.
    package struct Write: Sendable, Equatable {
        /// The first sector of the medium it covers.
        package var firstSector: Int
        /// How many sectors it covers.
        package var sectors: Int
        /// Its bytes (`sectors * sectorSize`).
        package var bytes: [UInt8]
        /// Bit `i` set: its sector `i` is still alive (no durable write covered it since).
        package var alive: UInt64
        /// Bit `v` set: `t == v` is still possible (`0 ... sectors`).
        package var domain: UInt64
        /// Which cut it came from (1 for the first), for descriptions.
        package var cut: Int
        /// Its place among the writes and pieces of that cut, from 0 (oldest first).
        package var place: Int
        /// The cached write of that cut it is a piece of, from 0 (its `place` unless a longer
        /// write before it was taken in pieces).
        package var whole: Int
        /// Its piece number in that cached write, from 0, and how many pieces the write was
        /// taken in (1: the whole write), for descriptions.
        package var piece = 0, pieces = 1
        /// A stable hash of `bytes`.
        var digest: UInt64

        /// The sectors of the medium it covers.
        package var range: Range<Int> { firstSector ..< firstSector + sectors }
    }

    /// One read's outcome: the fates of `writes` (indices into `writes`) lie in one of `boxes`,
    /// each box a mask of allowed values per write (in `writes` order).
    package struct Constraint: Sendable, Equatable {
        /// The writes it involves, ascending.
        package var writes: [Int]
        /// The allowed boxes: `boxes[b][j]` masks the values of `writes[j]` allowed in box `b`.
        package var boxes: [[UInt64]]
    }

    /// The undecided writes, in cache order (later ones win where they survive).
    package internal(set) var writes: [Write] = []
    /// What reads decided, beyond the domains.
    package internal(set) var constraints: [Constraint] = []
    /// How many cuts handed writes here.
    package internal(set) var cuts = 0
    /// Sectors per block of the medium.
    package let sectorsPerBlock: Int

    /// No undecided write, on a medium of `blockSize`-byte blocks.
    package init(blockSize: Int) {
        precondition(blockSize % sectorSize == 0, "blocks are whole sectors")
        sectorsPerBlock = blockSize / sectorSize
    }

    /// Whether no write is undecided anywhere.
    package var isEmpty: Bool { writes.isEmpty }

    /// The number of fate assignments still possible if the constraints are ignored: the
    /// product of the domains' sizes (an upper bound; exact right after a cut).
    package var assignmentBound: Double {
        writes.reduce(1) { $0 * Double($1.domain.nonzeroBitCount) }
    }

    // MARK: Changes

    /// Takes the writes a power cut left in the cache (block and bytes, oldest first) with every
    /// fate possible: lost, durable, and with `torn`, each torn fate.
    ///
    /// A write of more than 63 sectors (a fate is a 64-bit mask) is taken as consecutive writes
    /// of whole blocks, at most 63 sectors each, and a constraint keeps them one write with the
    /// fates the eager cut gives it: all lost or all durable, and with `torn`, torn after any
    /// of its sectors (the pieces before the one it tears in durable, those after it lost).
    package mutating func add(cutWrites: [(block: Int, bytes: [UInt8])], torn: Bool) {
        cuts += 1
        let piece = (63 / sectorsPerBlock) * sectorsPerBlock * sectorSize
        precondition(piece > 0, "a block of \(sectorsPerBlock) sectors (at most 63 supported)")
        var pieces: [(block: Int, bytes: [UInt8])] = []
        var wholes: [Int] = []
        for (whole, write) in cutWrites.enumerated() {
            guard write.bytes.count > piece else { pieces.append(write); wholes.append(whole); continue }
            let first = writes.count + pieces.count
            for start in stride(from: 0, to: write.bytes.count, by: piece) {
                let end = min(start + piece, write.bytes.count)
                pieces.append((write.block + start / (sectorsPerBlock * sectorSize), Array(write.bytes[start..<end])))
                wholes.append(whole)
            }
            // Each piece's fates: 1 is lost, `durable[k]` durable, `durable[k] - 1` lost or torn.
            let durable = pieces[(first - writes.count)...].map { UInt64(1) << UInt64($0.bytes.count / sectorSize) }
            let boxes = torn
                ? durable.indices.map { i in durable.indices.map { k in k < i ? durable[k] : k == i ? durable[i] - 1 : 1 } }
                    + [durable]
                : [durable.map { _ in 1 }, durable]
            constraints.append(Constraint(writes: Array(first ..< first + durable.count), boxes: boxes))
        }
        var pieceOf = [Int](repeating: 0, count: pieces.count), counts: [Int: Int] = [:]
        for (place, whole) in wholes.enumerated() {
            pieceOf[place] = counts[whole, default: 0]
            counts[whole, default: 0] += 1
        }
        for (place, write) in pieces.enumerated() {
            let sectors = write.bytes.count / sectorSize
            precondition(sectors > 0 && sectors < 64, "a cached write of \(sectors) sectors (1 ... 63 supported)")
            let all: UInt64 = sectors == 63 ? ~0 >> 1 : (1 << UInt64(sectors)) - 1
            let domain: UInt64 = torn ? (all << 1) | 1 : 1 | (1 << UInt64(sectors))
            var hash = StableHasher()
            hash.combine(bytes: write.bytes)
            writes.append(Write(firstSector: write.block * sectorsPerBlock, sectors: sectors, bytes: write.bytes,
                                alive: all, domain: domain, cut: cuts, place: place, whole: wholes[place],
                                piece: pieceOf[place], pieces: counts[wholes[place]] ?? 1, digest: hash.value))
        }
    }

    /// A durable write covered `sectors`: no undecided write shows there any more.
    package mutating func overwrite(sectors: Range<Int>) {
        guard !writes.isEmpty, !sectors.isEmpty else { return }
        var changed = false
        for w in writes.indices {
            let mask = writes[w].mask(of: sectors)
            if writes[w].alive & mask != 0 {
                writes[w].alive &= ~mask
                changed = true
            }
        }
        if changed { prune() }
    }

    /// Whether an undecided write is alive at any of `sectors`.
    package func touches(sectors: Range<Int>) -> Bool {
        writes.contains { $0.alive & $0.mask(of: sectors) != 0 }
    }

    /// Drops what can no longer change any sector's content: the constraints whose writes
    /// (with those linked to them through other constraints) are all dead, then the dead
    /// writes no constraint names. Constraints stay satisfiable together, so dropping a
    /// group that shows nowhere changes no possible content.
    mutating func prune() {
        let root = linkedGroups()
        var showing = [Bool](repeating: false, count: writes.count)
        for w in writes.indices where writes[w].alive != 0 { showing[root[w]] = true }
        constraints.removeAll { !showing[root[$0.writes[0]]] }
        var named = [Bool](repeating: false, count: writes.count)
        for constraint in constraints { for w in constraint.writes { named[w] = true } }
        let kept = writes.indices.filter { writes[$0].alive != 0 || named[$0] }
        guard kept.count < writes.count else { return }
        var renumber = [Int](repeating: -1, count: writes.count)
        for (new, old) in kept.enumerated() { renumber[old] = new }
        writes = kept.map { writes[$0] }
        for c in constraints.indices { constraints[c].writes = constraints[c].writes.map { renumber[$0] } }
    }

    /// Per write, a representative of the writes the constraints link it to (union-find over
    /// write indices): two writes are in one group iff they have the same one.
    func linkedGroups() -> [Int] {
        var parent = Array(writes.indices)
        func root(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        for constraint in constraints {
            for w in constraint.writes.dropFirst() { parent[root(w)] = root(constraint.writes[0]) }
        }
        return writes.indices.map(root)
    }

    /// Adds the fates' state to `hash`: each write's place, bytes, alive sectors and domain,
    /// and the constraints, in order.
    package func hash(into hash: inout StableHasher) {
        hash.combine(writes.count)
        for write in writes {
            hash.combine(write.firstSector)
            hash.combine(write.sectors)
            hash.combine(write.digest)
            hash.combine(write.alive)
            hash.combine(write.domain)
        }
        hash.combine(constraints.count)
        for constraint in constraints {
            hash.combine(constraint.writes)
            hash.combine(constraint.boxes.count)
            for box in constraint.boxes { for mask in box { hash.combine(mask) } }
        }
    }
}

extension CrashFates.Write {
    /// The mask of its sectors (bit `i` for sector `firstSector + i`) that lie in `sectors`.
    func mask(of sectors: Range<Int>) -> UInt64 {
        let lo = max(sectors.lowerBound, firstSector) - firstSector
        let hi = min(sectors.upperBound, firstSector + self.sectors) - firstSector
        guard lo < hi else { return 0 }
        let width = hi - lo
        return (width == 64 ? ~0 : (1 << UInt64(width)) - 1) << UInt64(lo)
    }

    /// The mask of its sectors that lie in any of `ranges`.
    func mask(of ranges: [Range<Int>]) -> UInt64 {
        ranges.reduce(0) { $0 | mask(of: $1) }
    }

    /// `cached write 3`, `cached write 2 of power loss 2`, `cached write 1 (piece 2 of 3)`.
    package var name: String {
        "cached write \(whole + 1)" + (pieces > 1 ? " (piece \(piece + 1) of \(pieces))" : "")
            + (cut > 1 ? " of power loss \(cut)" : "")
    }
}
