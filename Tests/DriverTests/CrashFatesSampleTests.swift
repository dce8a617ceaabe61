@testable import Driver
import XCTest

/// Reads of undecided sectors with many writes under them: writes stacked on the same sectors
/// give one content per write that can show on top, not one per combination; a read with too
/// many contents gets a sample of them, each one a content some fate assignment gives, and
/// says so.
final class CrashFatesSampleTests: XCTestCase {
    /// A sector of `byte`.
    func sector(_ byte: UInt8) -> [UInt8] { [UInt8](repeating: byte, count: sectorSize) }

    /// The medium's own bytes: sector `s` holds `s + 100` (mod 256).
    func medium(_ sectors: Int) -> [UInt8] { (0 ..< sectors).flatMap { sector(UInt8(truncatingIfNeeded: 100 + $0)) } }

    func read(_ fates: CrashFates, _ ranges: [Range<Int>], over bytes: [UInt8], sampled: inout Bool) -> [CrashFates.ReadOutcome] {
        fates.outcomes(sectors: ranges, medium: { Array(bytes[$0.lowerBound * sectorSize ..< $0.upperBound * sectorSize]) },
                       sampled: &sampled)
    }

    /// The contents a read of `ranges` can return, over the medium's `bytes`.
    func read(_ fates: CrashFates, _ ranges: [Range<Int>], over bytes: [UInt8]) -> [CrashFates.ReadOutcome] {
        var sampled = false
        return read(fates, ranges, over: bytes, sampled: &sampled)
    }

    /// Asserts that each outcome is the read of the image some assignment in each of its
    /// boxes leaves (the least fate of each write's mask), so no outcome is impossible.
    func assertPossible(_ outcomes: [CrashFates.ReadOutcome], _ fates: CrashFates, _ ranges: [Range<Int>], over bytes: [UInt8],
                        file: StaticString = #filePath, line: UInt = #line) {
        for (n, outcome) in outcomes.enumerated() {
            for box in outcome.constraint.boxes {
                var assignment = fates.writes.map { $0.domain.trailingZeroBitCount }
                for (j, w) in outcome.constraint.writes.enumerated() { assignment[w] = box[j].trailingZeroBitCount }
                XCTAssertTrue(fates.allows(assignment), "outcome \(n)", file: file, line: line)
                let image = fates.image(assignment, over: bytes)
                let shown = ranges.flatMap { image[$0.lowerBound * sectorSize ..< $0.upperBound * sectorSize] }
                XCTAssertEqual(shown, outcome.bytes, "outcome \(n)", file: file, line: line)
            }
        }
    }

    func testWritesStackedOnTheSameSectorsGiveOneContentPerWriteOnTopNotEveryCombination() {
        // Twenty writes of two sectors each to the same place (a journal ring going round):
        // 2^20 combinations of lost and durable, 21 contents.
        var fates = CrashFates(blockSize: sectorSize)
        fates.add(cutWrites: (0 ..< 20).map { (block: 4, bytes: sector(UInt8($0)) + sector(UInt8(50 + $0))) }, torn: false)
        let bytes = medium(8)
        XCTAssertEqual(fates.combinations(sectors: [4 ..< 6]), Double(1 << 20 as Int))
        var sampled = false
        let outcomes = read(fates, [4 ..< 6], over: bytes, sampled: &sampled)
        XCTAssertFalse(sampled)
        XCTAssertEqual(outcomes.count, 21)
        XCTAssertEqual(outcomes.first?.bytes, sector(104) + sector(105), "first, none shows")
        XCTAssertEqual(Set(outcomes.map(\.bytes)), Set([sector(104) + sector(105)] + (0 ..< 20).map { sector(UInt8($0)) + sector(UInt8(50 + $0)) }))
        XCTAssertEqual(outcomes.last?.showing, [19], "the newest write on top")
        // Every assignment is in exactly one outcome's boxes.
        let covered = outcomes.reduce(0.0) { total, outcome in
            total + outcome.constraint.boxes.reduce(0.0) { $0 + $1.reduce(1.0) { $0 * Double($1.nonzeroBitCount) } }
        }
        XCTAssertEqual(covered, Double(1 << 20 as Int))
        assertPossible(outcomes, fates, [4 ..< 6], over: bytes)
    }

    func testAReadOverTooManyIndependentWritesGetsASampleOfPossibleContents() {
        // Twelve writes of a sector each: 4,096 contents, all enumerated.
        var twelve = CrashFates(blockSize: sectorSize)
        twelve.add(cutWrites: (0 ..< 12).map { (block: $0, bytes: sector(UInt8($0))) }, torn: false)
        var sampled = false
        XCTAssertEqual(read(twelve, [0 ..< 12], over: medium(13), sampled: &sampled).count, CrashFates.mostContents)
        XCTAssertFalse(sampled)

        // Thirteen: 8,192, more than enumerated; the sample is none, all, and each alone lost.
        var fates = CrashFates(blockSize: sectorSize)
        fates.add(cutWrites: (0 ..< 13).map { (block: $0, bytes: sector(UInt8($0))) }, torn: false)
        let bytes = medium(13)
        let outcomes = read(fates, [0 ..< 13], over: bytes, sampled: &sampled)
        XCTAssertTrue(sampled)
        XCTAssertEqual(outcomes.count, 2 + 13)
        XCTAssertEqual(outcomes[0].bytes, bytes, "none shows")
        XCTAssertEqual(outcomes[1].bytes, (0 ..< 13).flatMap { sector(UInt8($0)) }, "every one as written")
        XCTAssertEqual(outcomes[2].bytes, sector(100) + (1 ..< 13).flatMap { sector(UInt8($0)) }, "the first alone lost")
        XCTAssertEqual(Set(outcomes.map(\.bytes)).count, outcomes.count)
        assertPossible(outcomes, fates, [0 ..< 13], over: bytes)
    }

    func testATornSampleTearsEachWriteHalfwayAlone() {
        // Thirteen writes of three sectors that may tear: 4^13 combinations; the sample adds,
        // for each write alone, lost and kept for two sectors of three.
        var fates = CrashFates(blockSize: sectorSize)
        fates.add(cutWrites: (0 ..< 13).map { (block: 3 * $0, bytes: sector(UInt8($0)) + sector(UInt8($0)) + sector(UInt8($0))) },
                  torn: true)
        let bytes = medium(39)
        var sampled = false
        let outcomes = read(fates, [0 ..< 39], over: bytes, sampled: &sampled)
        XCTAssertTrue(sampled)
        XCTAssertEqual(outcomes.count, 2 + 2 * 13)
        XCTAssertEqual(outcomes[3].bytes, sector(0) + sector(0) + sector(102) + Array(outcomes[1].bytes[(3 * sectorSize)...]),
                       "the first torn after two sectors, the rest as written")
        assertPossible(outcomes, fates, [0 ..< 39], over: bytes)
    }

    func testASampleTheConstraintsRuleOutFallsBackToTheFirstContentTheyAllow() {
        // Exactly one of the first three writes survived (what earlier reads decided): 3 x 2^11
        // contents are left, too many; no content of the sample has that, so the read returns
        // the first one that does.
        var fates = CrashFates(blockSize: sectorSize)
        fates.add(cutWrites: (0 ..< 14).map { (block: $0, bytes: sector(UInt8($0))) }, torn: false)
        let lost: UInt64 = 0b01, kept: UInt64 = 0b10
        fates.constraints = [CrashFates.Constraint(writes: [0, 1, 2], boxes: [[kept, lost, lost], [lost, kept, lost], [lost, lost, kept]])]
        let bytes = medium(14)
        var sampled = false
        let outcomes = read(fates, [0 ..< 14], over: bytes, sampled: &sampled)
        XCTAssertTrue(sampled)
        XCTAssertEqual(outcomes.count, 1)
        XCTAssertTrue(outcomes.first?.bytes == sector(100) + sector(101) + sector(2) + (3 ..< 14).flatMap { sector(UInt8(100 + $0)) },
                      "the first and second writes lost, the third kept, the rest lost")
        assertPossible(outcomes, fates, [0 ..< 14], over: bytes)

        // With eleven writes in all, the 3 x 2^8 contents the constraint leaves are enumerated.
        var fewer = CrashFates(blockSize: sectorSize)
        fewer.add(cutWrites: (0 ..< 11).map { (block: $0, bytes: sector(UInt8($0))) }, torn: false)
        fewer.constraints = fates.constraints
        XCTAssertEqual(read(fewer, [0 ..< 11], over: medium(11), sampled: &sampled).count, 3 << 8)
        XCTAssertFalse(sampled)
    }

    func testALongReadEnumeratesFewerContentsToHoldItsBytes() {
        // A read of 1 MiB holds at most 256 MiB of contents: 256 of them.
        let sectors = (1 << 20) / sectorSize
        var fates = CrashFates(blockSize: sectorSize)
        fates.add(cutWrites: (0 ..< 9).map { (block: $0 * 200, bytes: sector(UInt8($0))) }, torn: false)
        var sampled = false
        let outcomes = read(fates, [0 ..< sectors], over: medium(sectors), sampled: &sampled)
        XCTAssertTrue(sampled, "512 contents of 1 MiB each")
        XCTAssertEqual(outcomes.count, 2 + 9)
    }

    func testEachCachedWriteOfASampleIsLostWithAllItsPieces() {
        // Fourteen writes of 70 sectors that may not tear, each in two linked pieces: 2^14
        // contents, too many. A piece lost alone is no possible content; the whole write is.
        var fates = CrashFates(blockSize: sectorSize)
        fates.add(cutWrites: (0 ..< 14).map { w in (block: 70 * w, bytes: (0 ..< 70).flatMap { _ in sector(UInt8(w)) }) },
                  torn: false)
        XCTAssertEqual(fates.writes.count, 28)
        let bytes = medium(980)
        var sampled = false
        let outcomes = read(fates, [0 ..< 980], over: bytes, sampled: &sampled)
        XCTAssertTrue(sampled)
        XCTAssertEqual(outcomes.count, 2 + 14, "none, all, and each write lost")
        XCTAssertEqual(outcomes[2].showing, Array(2 ..< 28), "the first write (pieces 0 and 1) lost")
        assertPossible(outcomes, fates, [0 ..< 980], over: bytes)
    }

    func testATornSampleTearsEachPieceOfALongWriteWithTheRestOfItLost() {
        // Fourteen writes of 70 sectors that may tear, each in two linked pieces (63 and 7
        // sectors): too many contents. A piece torn halfway is a possible content only with the
        // write's later pieces lost, so the sample tears each piece so, the first one too.
        var fates = CrashFates(blockSize: sectorSize)
        fates.add(cutWrites: (0 ..< 14).map { w in (block: 70 * w, bytes: (0 ..< 70).flatMap { _ in sector(UInt8(w)) }) },
                  torn: true)
        XCTAssertEqual(fates.writes.count, 28)
        let bytes = medium(980)
        var sampled = false
        let outcomes = read(fates, [0 ..< 980], over: bytes, sampled: &sampled)
        XCTAssertTrue(sampled)
        XCTAssertEqual(outcomes.count, 2 + 14 + 28, "none, all, each write lost, each piece torn halfway")
        let firstTorn = sector(0).count * 32
        XCTAssertTrue(outcomes.contains { $0.bytes[..<firstTorn] == Array(repeating: 0, count: firstTorn)[...]
                && $0.bytes[firstTorn ..< 70 * sectorSize] == bytes[firstTorn ..< 70 * sectorSize] },
                      "the first write kept for 32 sectors of its first piece, the rest of it lost")
        assertPossible(outcomes, fates, [0 ..< 980], over: bytes)
    }

    func testAReadAmongManyLongWritesThatMayNotTearAsksOnlyAboutItsOwn() {
        // Forty long writes, each linked to its pieces: a read of the last one is two contents,
        // and the questions it asks leave the other 39 writes' constraints alone (through all
        // of them, a failing question took 2^39 steps).
        var fates = CrashFates(blockSize: sectorSize)
        fates.add(cutWrites: (0 ..< 40).map { w in (block: 100 * w, bytes: (0 ..< 100).flatMap { _ in sector(UInt8(w)) }) },
                  torn: false)
        XCTAssertEqual(fates.constraints.count, 40)
        var sampled = false
        let outcomes = read(fates, [3900 ..< 4000], over: medium(4000), sampled: &sampled)
        XCTAssertFalse(sampled)
        XCTAssertEqual(outcomes.map(\.showing), [[], [78, 79]])
        XCTAssertFalse(fates.satisfiable(restricting: [78, 79], to: [0b1, 1 << 37]), "one piece lost, the other durable")
    }

    func testRandomReadsGiveExactlyTheContentsTheAssignmentsLeave() {
        // Random writes over 12 sectors (some overlapping, and in half the rounds one of 70
        // sectors, in pieces), a random earlier read decided, then a read of two ranges: the
        // contents are the images every allowed assignment leaves there, and every allowed
        // assignment is in exactly one box of one outcome, the one with its image's bytes.
        var rng = XorShift(state: 0x9E37_79B9_7F4A_7C15)
        func next(_ bound: Int) -> Int { rng.next(bound) }
        var checked = 0
        for round in 0 ..< 300 {
            let torn = round % 2 == 0
            var fates = CrashFates(blockSize: sectorSize)
            var writes: [(block: Int, bytes: [UInt8])] = (0 ..< 1 + next(4)).map { w in
                let first = next(12)
                return (first, (0 ..< 1 + next(min(3, 12 - first))).flatMap { _ in sector(UInt8(w + 1)) })
            }
            if next(2) == 0 { writes.append((0, (0 ..< 70).flatMap { _ in sector(9) })) }
            fates.add(cutWrites: writes, torn: torn)
            let size = 70
            var bytes = medium(size)
            let earlier = next(size - 1)
            let first = read(fates, [earlier ..< earlier + 1 + next(2)], over: bytes)
            if first.count > 1 {
                let chosen = first[next(first.count)]
                fates.observe(chosen)
                let range = earlier ..< earlier + chosen.bytes.count / sectorSize
                bytes.replaceSubrange(range.lowerBound * sectorSize ..< range.upperBound * sectorSize, with: chosen.bytes)
                fates.overwrite(sectors: range)
            }
            let a = next(6), b = 7 + next(4)
            let ranges = [a ..< a + 1 + next(3), b ..< b + 1 + next(2)]
            let outcomes = read(fates, ranges, over: bytes)
            let assignments = fates.assignments()
            func shown(_ image: [UInt8]) -> [UInt8] {
                ranges.flatMap { image[$0.lowerBound * sectorSize ..< $0.upperBound * sectorSize] }
            }
            if outcomes.isEmpty { continue }
            checked += 1
            let images: [[UInt8]] = assignments.map { shown(fates.image($0, over: bytes)) }
            XCTAssertEqual(Set(outcomes.map { $0.bytes }), Set(images), "round \(round)")
            for (assignment, image) in zip(assignments, images) {
                var holding: [Int] = []
                for (o, outcome) in outcomes.enumerated() {
                    let writes = outcome.constraint.writes
                    for box in outcome.constraint.boxes
                    where writes.indices.allSatisfy({ box[$0] & (1 << UInt64(assignment[writes[$0]])) != 0 }) {
                        holding.append(o)
                    }
                }
                XCTAssertEqual(holding.count, 1, "round \(round): \(assignment)")
                if let o = holding.first { XCTAssertEqual(outcomes[o].bytes, image, "round \(round)") }
            }
        }
        XCTAssertGreaterThan(checked, 150)
    }
}
