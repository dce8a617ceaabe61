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
    /// byte for byte; for the others, each way the sector can get its content
    /// (`CrashFates.sources(ofSector:)`) whose bytes differ from the model's is a *bad*
    /// source. None: every remaining image is right (closed with no query). Else Z3 decides
    /// whether any assignment the reads so far allow gives a bad source
    /// (`CrashFatesProver`): UNSAT closes the crash point's remaining fates in one query; SAT
    /// is a violation, reported with the assignment that shows it.
    mutating func checkUndecidedDataArea(against expected: [UInt8], when: String) {
        guard let layout = core.layout else {
            return report(Self.contentsInvariant, "the data area cannot be read \(when)")
        }
        let fates = disk.lazy.fates
        let blockSize = disk.medium.blockSize
        var actual: [UInt8] = []
        actual.reserveCapacity(expected.count)
        var undecided: [UndecidedSector] = []
        for piece in core.dataRanges(offset: 0, length: layout.dataBytes) {
            var offset = piece.offset
            let end = piece.offset + piece.count
            while offset < end {
                let sector = offset / sectorSize
                let stop = min(end, (sector + 1) * sectorSize)
                let cached = disk.cache.baseBlocks(reading: .read(block: offset / blockSize, count: 1)).isEmpty
                if !cached, fates.touches(sectors: sector ..< sector + 1), actual.count + stop - offset <= expected.count {
                    let start = sector * sectorSize
                    undecided.append(UndecidedSector(logical: actual.count, sector: sector, within: offset - start ..< stop - start))
                    actual += expected[actual.count ..< actual.count + stop - offset]
                } else {
                    guard let bytes = try? disk.cache.readBytes(at: offset, count: stop - offset) else {
                        return report(Self.contentsInvariant, "the data area cannot be read \(when)")
                    }
                    actual += bytes
                }
                offset = stop
            }
        }
        guard actual == expected, !undecided.isEmpty else { return reportDifference(actual, expected, when: when) }

        var bad: [CrashFates.Source] = []
        for sector in undecided {
            let medium = disk.medium.bytes(in: sector.sector * sectorSize ..< (sector.sector + 1) * sectorSize)
            for source in fates.sources(ofSector: sector.sector) {
                let shown = fates.bytes(ofSector: sector.sector, from: source, medium: medium)
                if !shown[sector.within].elementsEqual(expected[sector.logical ..< sector.logical + sector.within.count]) {
                    bad.append(source)
                }
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
            guard bad.contains(where: { fates.satisfiable(restricting: $0.writes, to: $0.masks) }) else { return }
            witness = fates.assignments(limit: 1 << 16).first { assignment in
                let image = fates.image(assignment, over: disk.medium.bytes)
                return undecided.contains { sector in
                    let at = sector.sector * sectorSize
                    return !image[at + sector.within.lowerBound ..< at + sector.within.upperBound]
                        .elementsEqual(expected[sector.logical ..< sector.logical + sector.within.count])
                }
            }
        }
        guard let witness else {
            return report(Self.contentsInvariant, "some fate of the cached writes the power loss left makes the data area "
                          + "differ from the model \(when)")
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
        reportDifference(actual, expected, when: when, under: described)
    }
}
