import Trace

// Reads of sectors whose content is undecided: the distinct contents they can return, and
// what choosing one decides.
extension CrashFates {
    /// One content a read of undecided sectors can return, and the fate assignments that give
    /// it (a disjunction of boxes over the writes the read involves).
    package struct ReadOutcome: Sendable, Equatable {
        /// The bytes read, `sectorSize` per sector.
        package var bytes: [UInt8]
        /// The constraint choosing this outcome adds.
        package var constraint: Constraint
        /// The writes that keep some sector read in the first fate class giving it (for
        /// descriptions).
        package var showing: [Int]
    }

    /// One way a sector can get its content: from a write (its index) or the medium (nil),
    /// under a box of fates (`writes`, `masks`).
    package struct Source: Sendable, Equatable {
        /// The write whose bytes show, or nil for the medium's own.
        package var write: Int?
        /// The writes the box constrains.
        package var writes: [Int]
        /// The allowed values of each of `writes`.
        package var masks: [UInt64]
    }

    /// The distinct contents a read of `sectors` (ranges, ascending and disjoint; the content
    /// is theirs one after another) can return, in a deterministic order (the first one shows
    /// no undecided write where possible); empty when no undecided write is alive there (the
    /// medium's bytes are the content). `medium` gives the medium's own bytes of a range.
    ///
    /// Only the writes alive in `sectors` are enumerated, and each only by which of its
    /// sectors there it keeps (a write of 8 sectors read at 1 has two classes of fates, not
    /// 9); a class joins an outcome only if the constraints so far allow it.
    package func outcomes(sectors: [Range<Int>], medium: (Range<Int>) -> [UInt8]) -> [ReadOutcome] {
        let involved = writes.indices.filter { writes[$0].alive & writes[$0].mask(of: sectors) != 0 }
        guard !involved.isEmpty else { return [] }
        let classes = involved.map { fateClasses(of: writes[$0], in: sectors) }
        let base = sectors.flatMap(medium)
        var outcomes: [ReadOutcome] = []
        // Outcomes by a stable hash of their bytes (the bytes themselves compared on a match):
        // hashing kilobytes with `Hasher` byte by byte would cost more than the rest.
        var index: [UInt64: [Int]] = [:]
        var choice = [Int](repeating: 0, count: involved.count)
        let constrained = !constraints.isEmpty
        while true {
            let box = choice.indices.map { classes[$0][choice[$0]] }
            if !constrained || satisfiable(restricting: involved, to: box) {
                let bytes = content(of: sectors, involved: involved, box: box, base: base)
                var hash = StableHasher()
                hash.combine(bytes: bytes)
                if let at = index[hash.value]?.first(where: { outcomes[$0].bytes == bytes }) {
                    outcomes[at].constraint.boxes.append(box)
                } else {
                    index[hash.value, default: []].append(outcomes.count)
                    let showing = involved.indices.filter { j in
                        let offsets = writes[involved[j]].alive & writes[involved[j]].mask(of: sectors)
                        return offsets != 0 && box[j].trailingZeroBitCount > offsets.trailingZeroBitCount
                    }.map { involved[$0] }
                    outcomes.append(ReadOutcome(bytes: bytes, constraint: Constraint(writes: involved, boxes: [box]),
                                                showing: showing))
                }
            }
            // The next combination, the last write's class fastest.
            var position = choice.count - 1
            while position >= 0 {
                choice[position] += 1
                if choice[position] < classes[position].count { break }
                choice[position] = 0
                position -= 1
            }
            if position < 0 { break }
        }
        return outcomes
    }

    /// Takes `outcome` (one of `outcomes(sectors:medium:)`) as what the read returned: its
    /// constraint joins the others and the domains narrow to what it allows. The caller then
    /// writes the bytes to the medium and calls `overwrite(sectors:)`.
    package mutating func observe(_ outcome: ReadOutcome) {
        constraints.append(outcome.constraint)
        propagate()
    }

    /// The ways `sector` can get its content: from each write alive there that may survive
    /// there with no later one surviving over it, or from the medium; empty when no write is
    /// alive there. Boxes use the domains only (not the constraints).
    package func sources(ofSector sector: Int) -> [Source] {
        let covering = writes.indices.filter { writes[$0].alive & writes[$0].mask(of: sector ..< sector + 1) != 0 }
        guard !covering.isEmpty else { return [] }
        var result: [Source] = []
        // Write covering[j] shows: it keeps the sector, each later one does not.
        for j in covering.indices.reversed() {
            var masks: [UInt64] = []
            for (k, w) in covering.enumerated() where k >= j {
                let offset = sector - writes[w].firstSector
                let keeps = Self.above(offset) & writes[w].domain
                masks.append(k == j ? keeps : writes[w].domain & ~keeps)
            }
            if masks.allSatisfy({ $0 != 0 }) {
                result.append(Source(write: covering[j], writes: Array(covering[j...]), masks: masks))
            }
        }
        let none = covering.map { writes[$0].domain & ~Self.above(sector - writes[$0].firstSector) }
        if none.allSatisfy({ $0 != 0 }) { result.append(Source(write: nil, writes: covering, masks: none)) }
        return result
    }

    /// The bytes `sector` shows from `source`, given the medium's own.
    package func bytes(ofSector sector: Int, from source: Source, medium: [UInt8]) -> [UInt8] {
        guard let w = source.write else { return medium }
        let at = (sector - writes[w].firstSector) * sectorSize
        return Array(writes[w].bytes[at ..< at + sectorSize])
    }

    // MARK: Helpers

    /// The values `v` with `v > offset` (the write keeps its sector `offset`).
    static func above(_ offset: Int) -> UInt64 {
        offset >= 63 ? 0 : ~0 << UInt64(offset + 1)
    }

    /// The classes of `write`'s fates that a read of `sectors` tells apart: by how many of its
    /// alive sectors there it keeps; each a non-empty mask of its domain, fewest kept first.
    func fateClasses(of write: Write, in sectors: [Range<Int>]) -> [UInt64] {
        let shown = write.alive & write.mask(of: sectors)
        var cuts: [Int] = []
        for i in 0 ..< write.sectors where shown & (1 << UInt64(i)) != 0 { cuts.append(i) }
        var classes: [UInt64] = []
        var lower: UInt64 = ~0
        for cut in cuts {
            // Values in (previous cut, cut]: keeps the earlier shown sectors, not this one.
            let upTo = ~Self.above(cut)
            let mask = write.domain & lower & upTo
            if mask != 0 { classes.append(mask) }
            lower = Self.above(cut)
        }
        let rest = write.domain & lower
        if rest != 0 { classes.append(rest) }
        return classes
    }

    /// The bytes `sectors` show when each of `involved` has a fate in its mask of `box`.
    func content(of sectors: [Range<Int>], involved: [Int], box: [UInt64], base: [UInt8]) -> [UInt8] {
        var bytes = base
        var to = -sectorSize
        for sector in sectors.joined() {
            to += sectorSize
            for j in involved.indices.reversed() {
                let write = writes[involved[j]]
                let offset = sector - write.firstSector
                guard offset >= 0, offset < write.sectors, write.alive & (1 << UInt64(offset)) != 0 else { continue }
                // Every value of the class keeps the sector or none does: test the least.
                let least = UInt64(box[j].trailingZeroBitCount)
                guard least > UInt64(offset) else { continue }
                bytes.replaceSubrange(to ..< to + sectorSize, with: write.bytes[offset * sectorSize ..< (offset + 1) * sectorSize])
                break
            }
        }
        return bytes
    }

    /// Narrows the domains to what the constraints allow and folds the constraints that are
    /// boxes (one box, or one write) into them, until nothing changes.
    mutating func propagate() {
        var changed = true
        while changed {
            changed = false
            var c = 0
            while c < constraints.count {
                var constraint = constraints[c]
                constraint.boxes = constraint.boxes.compactMap { box in
                    var narrowed = box
                    for (j, w) in constraint.writes.enumerated() {
                        narrowed[j] &= writes[w].domain
                        if narrowed[j] == 0 { return nil }
                    }
                    return narrowed
                }
                precondition(!constraint.boxes.isEmpty, "the fates' constraints contradict each other")
                for (j, w) in constraint.writes.enumerated() {
                    let allowed = constraint.boxes.reduce(0) { $0 | $1[j] }
                    if writes[w].domain & ~allowed != 0 {
                        writes[w].domain &= allowed
                        changed = true
                    }
                }
                if constraint.boxes.count == 1 || constraint.writes.count == 1 {
                    constraints.remove(at: c)
                } else {
                    constraints[c] = constraint
                    c += 1
                }
            }
        }
    }
}
