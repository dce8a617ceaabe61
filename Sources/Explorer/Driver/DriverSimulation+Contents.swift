import Driver

// The contents check with undecided crash states: sector by sector, never deciding a fate.
extension DriverSimulation {
    /// One sector of the data area that undecided writes may show over: where its bytes sit
    /// in the data area and in the sector.
    struct UndecidedSector {
        /// The data-area offset of the first of its bytes the area holds.
        var logical: Int
        /// The medium's sector.
        var sector: Int
        /// The bytes of the sector the area holds.
        var within: Range<Int>
    }

    /// Checks the data area against `expected` (`driver.contents`) while the medium holds
    /// undecided writes, without deciding any: the sectors they cannot show over are compared
    /// byte for byte, a window at a time (`checkWindows`, in place where `baseHolds`);
    /// for the others, each way the sector can get its content
    /// (`CrashFates.sources(ofSector:)`) whose bytes differ from the model's is a *bad*
    /// source. None: every remaining image is right (closed with no query). Else Z3 decides
    /// whether any assignment the reads so far allow gives a bad source
    /// (`CrashFatesProver`): UNSAT closes the crash point's remaining fates in one query; SAT
    /// is a violation, reported with the assignment that shows it.
    mutating func checkUndecidedDataArea(when: String, expected: (Range<Int>) -> [UInt8], baseHolds: (Range<Int>) -> Bool) {
        let unreadable = "the data area cannot be read \(when)"
        guard let layout = core.layout else { return report(Self.contentsInvariant, unreadable) }
        let fates = disk.lazy.fates
        let area = layout.dataBytes
        let undecided = undecidedSectors(core.dataRanges(offset: 0, length: area))
        guard checkWindows(of: area, undecided: undecided, when: when, expected: expected, baseHolds: baseHolds) else { return }
        guard !undecided.isEmpty else { return }

        var bad: [CrashFates.Source] = []
        for sector in undecided {
            let medium = disk.medium.bytes(in: sector.sector * sectorSize ..< (sector.sector + 1) * sectorSize)
            let model = expected(sector.logical ..< sector.logical + sector.within.count)
            for source in fates.sources(ofSector: sector.sector) {
                let shown = fates.bytes(ofSector: sector.sector, from: source, medium: medium)
                if !shown[sector.within].elementsEqual(model) { bad.append(source) }
            }
        }
        guard !bad.isEmpty else {
            statistics?.closedWithoutQuery()
            return
        }
        var witness: [Int]?
        switch CrashFatesProver.shared.someAllowed(fates, gives: bad) {
        case .unsat:
            statistics?.z3Closed(crashPoint)
            return
        case let .sat(assignment) where assignment.count == fates.writes.count && fates.allows(assignment):
            witness = assignment
        case .sat, .unknown:
            // Z3 gave up (or an assignment it gave does not check out): backtrack in Swift.
            var solver = FateSolver(fates)
            guard bad.contains(where: { solver.satisfiable(restricting: $0.writes, to: $0.masks) }) else { return }
            let models = undecided.map { expected($0.logical ..< $0.logical + $0.within.count) }
            witness = fates.assignments(limit: 1 << 16).first { assignment in
                let image = fates.image(assignment, over: disk.medium.bytes)
                return undecided.indices.contains { k in
                    let sector = undecided[k], at = undecided[k].sector * sectorSize
                    return !image[at + sector.within.lowerBound ..< at + sector.within.upperBound].elementsEqual(models[k])
                }
            }
        }
        guard let witness else {
            return report(Self.contentsInvariant, "some fate of the cached writes the power loss left makes the data area "
                          + "differ from the model \(when)")
        }
        let all = expected(0 ..< area)
        guard var actual = decidedDataArea(undecided: undecided, expected: all) else {
            return report(Self.contentsInvariant, unreadable)
        }
        let image = fates.image(witness, over: disk.medium.bytes)
        for sector in undecided {
            let at = sector.sector * sectorSize
            actual.replaceSubrange(sector.logical ..< sector.logical + sector.within.count,
                                   with: image[at + sector.within.lowerBound ..< at + sector.within.upperBound])
        }
        let involved = Set(bad.flatMap(\.writes))
        let fatesThatMatter = fates.writes.indices.filter(involved.contains)
        let described = fatesThatMatter.map { w in
            CrashFates.describe(write: fates.writes[w], fate: witness[w])
        }.joined(separator: ", ")
        reportDifference(actual, all, when: when, under: described)
    }

    /// The data-area sectors, of those `pieces` (device ranges, the whole area in order) hold,
    /// where an undecided write is alive and no cached write lies over it: the sectors whose
    /// content the fates still decide, in data-area order.
    func undecidedSectors(_ pieces: [DeviceRange]) -> [UndecidedSector] {
        let fates = disk.lazy.fates
        let blockSize = disk.medium.blockSize
        var alive: [Int] = []
        for write in fates.writes {
            var rest = write.alive
            while rest != 0 {
                alive.append(write.firstSector + rest.trailingZeroBitCount)
                rest &= rest - 1
            }
        }
        alive.sort()
        var result: [UndecidedSector] = []
        var logical = 0
        for piece in pieces {
            let end = piece.offset + piece.count
            // The first alive sector that ends after the piece starts.
            var k = alive.partitioningIndex { ($0 + 1) * sectorSize > piece.offset }
            while k < alive.count, alive[k] * sectorSize < end {
                let sector = alive[k]
                k += 1
                if k < alive.count, alive[k] == sector { continue }  // alive in several writes: once
                let lo = max(piece.offset, sector * sectorSize), hi = min(end, (sector + 1) * sectorSize)
                let cached = disk.cache.baseBlocks(reading: .read(block: lo / blockSize, count: 1)).isEmpty
                if cached { continue }
                result.append(UndecidedSector(logical: logical + lo - piece.offset, sector: sector,
                                              within: lo - sector * sectorSize ..< hi - sector * sectorSize))
            }
            logical += piece.count
        }
        return result
    }
}

extension Array {
    /// The first index whose element satisfies `belongs`, which must hold for a suffix of the
    /// array (a binary search); `count` when none does.
    fileprivate func partitioningIndex(where belongs: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if belongs(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
