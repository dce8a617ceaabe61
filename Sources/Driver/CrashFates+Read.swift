import Trace

// Reads of sectors whose content is undecided: the distinct contents they can return, and
// what choosing one decides.
extension CrashFates {
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

    /// The most contents one read enumerates, counted by the fate combinations that tell
    /// them apart (equal bytes from two of them are one content); past it,
    /// `outcomes(sectors:medium:)` gives a sample. A recovery read of a journal segment covers
    /// every cached write in it: with tearing, 64 contents per 63-sector piece, and the pieces'
    /// contents multiply.
    package static let mostContents = 4096

    /// The most bytes of contents one read enumerates (its length times its contents): a long
    /// read enumerates fewer, or gets a sample. Contents are laid out only when taken, so this
    /// bounds the recoveries a long read sets off rather than memory.
    package static let mostContentBytes = 256 << 20

    /// The combinations of fate classes a read of `sectors` tells apart when each write alive
    /// there is taken on its own (the product; an upper bound on its contents, far above them
    /// where writes overlap): 1 when none is alive.
    package func combinations(sectors: [Range<Int>]) -> Double {
        writes.reduce(1) { product, write in
            write.alive & write.mask(of: sectors) == 0 ? product : product * Double(fateClasses(of: write, in: sectors).count)
        }
    }

    /// The distinct contents a read of `sectors` (ranges, ascending and disjoint; the content
    /// is theirs one after another) can return (see `outcomes(sectors:medium:sampled:)`).
    package func outcomes(sectors: [Range<Int>], medium: (Range<Int>) -> [UInt8]) -> [ReadOutcome] {
        var sampled = false
        return outcomes(sectors: sectors, medium: medium, sampled: &sampled)
    }

    /// The distinct contents a read of `sectors` (ranges, ascending and disjoint; the content
    /// is theirs one after another) can return, in a deterministic order (the first one shows
    /// no undecided write where possible); empty when no undecided write is alive there (the
    /// medium's bytes are the content). `medium` gives the medium's own bytes of a range.
    ///
    /// The writes alive in `sectors` are taken newest first, each only by which of its sectors
    /// there it keeps that no newer write it is under already shows over (a write of 8 sectors
    /// read at 1 has two classes of fates, not 9; a write whose read sectors a newer one keeps
    /// has one); a combination joins an outcome only if the constraints so far allow it.
    ///
    /// When there are more than `mostContents` such combinations, or their contents would hold
    /// more than `mostContentBytes`, `sampled` is set true (else false) and the outcomes are a
    /// sample, not all of them: none of the writes shows, every one shows as written, each
    /// cached write alone (all its pieces) lost, and each piece alone torn halfway (its write's
    /// later pieces lost, the others as written), as many as `mostContentBytes` holds (a search
    /// over them is then not exhaustive).
    package func outcomes(sectors: [Range<Int>], medium: (Range<Int>) -> [UInt8], sampled: inout Bool) -> [ReadOutcome] {
        sampled = false
        let involved = writes.indices.filter { writes[$0].alive & writes[$0].mask(of: sectors) != 0 }
        guard !involved.isEmpty else { return [] }
        let base = sectors.flatMap(medium)
        let places = places(of: involved, in: sectors)
        let digests = SectorDigests(base: base, involved: involved.map { writes[$0] }, places: places)
        var outcomes: [ReadOutcome] = []
        // Outcomes by a stable hash of their sectors' hashes (equal bytes, equal hash; the
        // bytes themselves compared on a match).
        var index: [UInt64: [Int]] = [:]
        let constrained = !constraints.isEmpty
        // Made once per read, and only when there is something to search.
        var solver = constrained ? FateSolver(self) : nil
        func offer(_ box: [UInt64], checked: Bool = false) {
            guard checked || solver?.satisfiable(restricting: involved, to: box) ?? true else { return }
            let (layers, digest, showing) = content(of: sectors, involved: involved, box: box, base: base, digests: digests)
            if let at = index[digest]?.first(where: { outcomes[$0].layers.sameBytes(as: layers) }) {
                outcomes[at].constraint.boxes.append(box)
            } else {
                index[digest, default: []].append(outcomes.count)
                outcomes.append(ReadOutcome(constraint: Constraint(writes: involved, boxes: [box]), showing: showing,
                                            layers: layers))
            }
        }
        let limit = min(Self.mostContents, max(2, Self.mostContentBytes / max(base.count, 1)))
        if let leaves = layeredBoxes(involved, places: places, readSectors: base.count / sectorSize, limit: limit,
                                     pruning: solver) {
            for box in leaves { offer(box, checked: true) }
            return outcomes
        }
        sampled = true
        let classes = involved.map { fateClasses(of: writes[$0], in: sectors) }
        func offer(choice: [Int]) { offer(choice.indices.map { classes[$0][choice[$0]] }) }
        let groups = involved.map { (writes[$0].cut, writes[$0].whole) }
        for choice in Self.sample(classes, groups: groups).prefix(limit) { offer(choice: choice) }
        if outcomes.isEmpty {
            var search = solver ?? FateSolver(self)
            if let choice = firstSatisfiable(involved, classes, &search) { offer(choice: choice) }
        }
        return outcomes
    }

    /// The boxes over `involved` (ascending, so newest last) that give a read of `readSectors`
    /// sectors its contents (`places`: each write's read sectors, see `places(of:in:)`), one
    /// per way of choosing, newest write first, which of its read sectors not yet
    /// shown over by a newer one it keeps (fewest kept first; a write with none left is free:
    /// its whole domain); nil when more than `limit`. With a solver to prune by, a choice the
    /// constraints rule out (with those made for newer writes) is not followed: the pieces of
    /// a long write give two contents, not 2^pieces.
    func layeredBoxes(_ involved: [Int], places: [[(offset: Int, position: Int)]], readSectors: Int, limit: Int,
                      pruning: FateSolver?) -> [[UInt64]]? {
        var solver = pruning
        var covered = [Bool](repeating: false, count: readSectors)
        var box = [UInt64](repeating: 0, count: involved.count)
        var leaves: [[UInt64]] = []
        func visit(_ j: Int) -> Bool {
            guard j >= 0 else {
                leaves.append(box)
                return leaves.count <= limit
            }
            let write = writes[involved[j]]
            var open: UInt64 = 0
            for place in places[j] where !covered[place.position] { open |= 1 << UInt64(place.offset) }
            guard open != 0 else {
                box[j] = write.domain
                return visit(j - 1)
            }
            for mask in fateClasses(of: write, shown: open) {
                box[j] = mask
                if solver != nil, !solver!.satisfiable(restricting: involved[j...], to: box[j...]) { continue }
                // Every value of the class keeps an open sector or none does: test the least.
                let least = mask.trailingZeroBitCount
                var kept: [Int] = []
                for place in places[j] where !covered[place.position] && least > place.offset {
                    covered[place.position] = true
                    kept.append(place.position)
                }
                let goOn = visit(j - 1)
                for position in kept { covered[position] = false }
                if !goOn { return false }
            }
            return true
        }
        return visit(involved.count - 1) ? leaves : nil
    }

    /// The combinations a read with too many contents gets (see `outcomes`), as indices into
    /// `classes` (the last class of a write keeps all it shows): none shows, all show, then
    /// each group (the pieces of one cached write share `groups`' value) alone lost and each
    /// piece alone torn halfway, with its group's later pieces lost (a write torn in one piece
    /// keeps nothing after it).
    static func sample(_ classes: [[UInt64]], groups: [(Int, Int)]) -> [[Int]] {
        let asWritten = classes.map { $0.count - 1 }
        var result = [[Int](repeating: 0, count: classes.count), asWritten]
        for j in classes.indices {
            if j == 0 || groups[j] != groups[j - 1] {
                var lost = asWritten
                var k = j
                while k < classes.count, groups[k] == groups[j] { lost[k] = 0; k += 1 }
                if lost != asWritten { result.append(lost) }
            }
            let halfway = classes[j].count / 2
            if halfway > 0, halfway < asWritten[j] {  // 1 or 2 classes have no halfway
                var torn = asWritten
                torn[j] = halfway
                var k = j + 1
                while k < classes.count, groups[k] == groups[j] { torn[k] = 0; k += 1 }
                result.append(torn)
            }
        }
        return result
    }

    /// The first combination (every write's classes in order, the last write's fastest) that
    /// the constraints allow, found by backtracking over the writes in order; nil if none does.
    func firstSatisfiable(_ involved: [Int], _ classes: [[UInt64]], _ solver: inout FateSolver) -> [Int]? {
        var choice: [Int] = []
        func extend() -> Bool {
            let j = choice.count
            if j == involved.count { return true }
            for k in classes[j].indices {
                let box = (0 ... j).map { $0 == j ? classes[j][k] : classes[$0][choice[$0]] }
                guard solver.satisfiable(restricting: involved[0 ... j], to: box) else { continue }
                choice.append(k)
                if extend() { return true }
                choice.removeLast()
            }
            return false
        }
        return extend() ? choice : nil
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
        fateClasses(of: write, shown: write.alive & write.mask(of: sectors))
    }

    /// The classes of `write`'s fates that its sectors `shown` (a mask) tell apart: by how many
    /// of them it keeps; each a non-empty mask of its domain, fewest kept first.
    func fateClasses(of write: Write, shown: UInt64) -> [UInt64] {
        var classes: [UInt64] = []
        var lower: UInt64 = ~0
        var rest = shown
        while rest != 0 {
            let cut = rest.trailingZeroBitCount
            rest &= rest - 1
            // Values in (previous cut, cut]: keeps the earlier shown sectors, not this one.
            let upTo = ~Self.above(cut)
            let mask = write.domain & lower & upTo
            if mask != 0 { classes.append(mask) }
            lower = Self.above(cut)
        }
        let last = write.domain & lower
        if last != 0 { classes.append(last) }
        return classes
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
