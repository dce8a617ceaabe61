import Driver
import XCTest

/// The undecided fates a lazy power cut leaves: what a read can return, what choosing a
/// content decides, and that the images left are exactly the eager cut's.
final class CrashFatesTests: XCTestCase {
    /// A sector of `byte`.
    func sector(_ byte: UInt8) -> [UInt8] { [UInt8](repeating: byte, count: sectorSize) }

    /// The medium's own bytes: sector `s` holds `s + 100`.
    func medium(_ sectors: Int) -> [UInt8] { (0 ..< sectors).flatMap { sector(UInt8(100 + $0)) } }

    func read(_ fates: CrashFates, _ ranges: [Range<Int>], over bytes: [UInt8]) -> [CrashFates.ReadOutcome] {
        fates.outcomes(sectors: ranges) { Array(bytes[$0.lowerBound * sectorSize ..< $0.upperBound * sectorSize]) }
    }

    /// A cached write longer than a fate mask (63 sectors) is taken as pieces of whole blocks,
    /// so a 104-sector write of 4 KiB blocks is 7 + 6 blocks, kept one write: all lost or all
    /// durable, or where writes may tear, torn after any of its sectors. The images are those
    /// the eager cut leaves.
    func testALongWriteIsTakenAsPiecesThatStayOneWrite() throws {
        let bytes: [UInt8] = (0 ..< 104).flatMap { sector(UInt8($0)) }
        let before = medium(128)
        /// The images the eager cut leaves with each of `fates` for the write.
        func eager(_ fates: [WriteFate]) throws -> Set<[UInt8]> {
            let memory = MemoryBlockDevice(blockSize: 8 * sectorSize, blockCount: 16)
            var images: Set<[UInt8]> = []
            for fate in fates {
                memory.bytes = before
                let cache = VolatileCacheDevice(base: memory)
                try cache.write(block: 3, bytes, fua: false)
                try cache.cut { _, _ in fate }
                images.insert(memory.bytes)
            }
            return images
        }

        var torn = CrashFates(blockSize: 8 * sectorSize)
        torn.add(cutWrites: [(block: 3, bytes: bytes)], torn: true)
        XCTAssertEqual(torn.writes.map(\.sectors), [56, 48])
        XCTAssertEqual(torn.writes.map(\.firstSector), [24, 80])
        XCTAssertEqual(torn.writes.map(\.place), [0, 1])
        XCTAssertEqual(torn.writes.map(\.whole), [0, 0])
        // Named as the cached write they are pieces of; a write after them keeps its number.
        var named = torn
        named.add(cutWrites: [(block: 3, bytes: bytes), (block: 1, bytes: sector(1) + sector(2))], torn: false)
        XCTAssertEqual(named.writes.map(\.name), [
            "cached write 1 (piece 1 of 2)", "cached write 1 (piece 2 of 2)",
            "cached write 1 (piece 1 of 2) of power loss 2", "cached write 1 (piece 2 of 2) of power loss 2",
            "cached write 2 of power loss 2",
        ])
        XCTAssertEqual(torn.writes[1].bytes, Array(bytes[(56 * sectorSize)...]))
        XCTAssertEqual(torn.assignments().count, 105, "torn after 0 ... 103 sectors, or durable")
        let tornFates = [WriteFate.lost, .durable] + (1 ..< 104).map { WriteFate.torn(kept: [0 ..< $0]) }
        XCTAssertEqual(Set(torn.assignments().map { torn.image($0, over: before) }), try eager(tornFates))

        var whole = CrashFates(blockSize: 8 * sectorSize)
        whole.add(cutWrites: [(block: 3, bytes: bytes)], torn: false)
        XCTAssertEqual(whole.assignments(), [[0, 0], [56, 48]], "both pieces lost or both durable")
        XCTAssertEqual(Set(whole.assignments().map { whole.image($0, over: before) }), try eager([.lost, .durable]))
        // A read of both pieces: two contents; of the first: two, which decide the second.
        XCTAssertEqual(read(whole, [24 ..< 128], over: before).count, 2)
        var decided = whole
        let first = read(decided, [24 ..< 80], over: before)
        XCTAssertEqual(first.count, 2)
        decided.observe(first[1])
        XCTAssertEqual(read(decided, [80 ..< 128], over: before).map(\.bytes), [Array(bytes[(56 * sectorSize)...])])
        // Torn: reading the second piece whole tells apart lost or torn (first piece any) and
        // each of its 48 fates with the first durable.
        XCTAssertEqual(read(torn, [80 ..< 128], over: before).count, 49)
    }

    func testOneWriteOfTwoSectorsGivesThreeContentsWhenItMayTear() {
        var fates = CrashFates(blockSize: sectorSize)
        fates.add(cutWrites: [(block: 2, bytes: sector(1) + sector(2))], torn: true)
        XCTAssertEqual(fates.assignmentBound, 3)
        let bytes = medium(4)
        let outcomes = read(fates, [2 ..< 4], over: bytes)
        // Lost (the medium's), torn after one sector, durable.
        XCTAssertEqual(outcomes.map(\.bytes), [sector(102) + sector(103), sector(1) + sector(103), sector(1) + sector(2)])
        // Reading only its second sector tells two classes apart: kept there or not.
        XCTAssertEqual(read(fates, [3 ..< 4], over: bytes).map(\.bytes), [sector(103), sector(2)])
        // Without tearing, two.
        var whole = CrashFates(blockSize: sectorSize)
        whole.add(cutWrites: [(block: 2, bytes: sector(1) + sector(2))], torn: false)
        XCTAssertEqual(read(whole, [2 ..< 4], over: bytes).count, 2)
    }

    func testAReadBranchesOncePerDistinctContentNotPerAssignment() {
        // Three writes of the same bytes to one sector: 8 assignments, 2 contents.
        var fates = CrashFates(blockSize: sectorSize)
        fates.add(cutWrites: (0 ..< 3).map { _ in (block: 1, bytes: sector(7)) }, torn: false)
        XCTAssertEqual(fates.assignments().count, 8)
        let outcomes = read(fates, [1 ..< 2], over: medium(2))
        XCTAssertEqual(outcomes.map(\.bytes), [sector(101), sector(7)])
        // Its boxes hold every assignment where some write survives, each once: the newest
        // kept (the others free), or lost and the next kept, or the two lost and the oldest kept.
        let assignments = outcomes[1].constraint.boxes.reduce(0) { $0 + $1.reduce(1) { $0 * $1.nonzeroBitCount } }
        XCTAssertEqual(assignments, 7, "every assignment where some write survives")
        XCTAssertEqual(outcomes[1].constraint.boxes.count, 3)
    }

    func testAWriteOfWhatTheMediumHoldsGivesOneContentWhereItShows() {
        // The write's second sector holds what the medium holds there (102's, as `medium` has it):
        // reading sectors 1 ... 2 of a torn 2-sector write at 1 gives lost (101, 102), torn
        // after one (1, 102) and durable (1, 102 again): two contents, the second with two
        // boxes; the bytes are compared in place, part by part, from different arrays.
        var fates = CrashFates(blockSize: sectorSize)
        fates.add(cutWrites: [(block: 1, bytes: sector(1) + sector(102))], torn: true)
        let outcomes = read(fates, [1 ..< 3], over: medium(4))
        XCTAssertEqual(outcomes.map(\.bytes), [sector(101) + sector(102), sector(1) + sector(102)])
        XCTAssertEqual(outcomes.map(\.constraint.boxes.count), [1, 2])
        XCTAssertEqual(outcomes[0], outcomes[0])
        XCTAssertNotEqual(outcomes[0], outcomes[1])
    }

    func testChoosingAContentDecidesWhatItDependsOnAndNothingElse() {
        // A torn-able write over sectors 0-1 and another over sector 3: reading sector 1 as
        // the first write's decides that it is durable, and leaves the second undecided.
        var fates = CrashFates(blockSize: sectorSize)
        fates.add(cutWrites: [(block: 0, bytes: sector(1) + sector(2)), (block: 3, bytes: sector(3))], torn: true)
        var bytes = medium(4)
        let outcomes = read(fates, [1 ..< 2], over: bytes)
        XCTAssertEqual(outcomes.count, 2)
        fates.observe(outcomes[1])
        bytes.replaceSubrange(sectorSize ..< 2 * sectorSize, with: outcomes[1].bytes)
        fates.overwrite(sectors: 1 ..< 2)
        XCTAssertEqual(fates.writes[0].domain, 1 << 2, "kept both sectors")
        XCTAssertEqual(fates.writes[1].domain, 0b11, "still lost or durable")
        // Sector 0 is now decided too: the only content left is the write's.
        XCTAssertEqual(read(fates, [0 ..< 1], over: bytes).map(\.bytes), [sector(1)])
        XCTAssertEqual(read(fates, [3 ..< 4], over: bytes).count, 2)
    }

    func testADurableWriteCoversUndecidedOnesAndTheyArePruned() {
        var fates = CrashFates(blockSize: sectorSize)
        fates.add(cutWrites: [(block: 0, bytes: sector(1)), (block: 1, bytes: sector(2) + sector(3))], torn: true)
        fates.overwrite(sectors: 0 ..< 2)
        XCTAssertEqual(fates.writes.count, 1, "the first write shows nowhere")
        XCTAssertFalse(fates.touches(sectors: 0 ..< 2))
        XCTAssertTrue(fates.touches(sectors: 2 ..< 3))
        fates.overwrite(sectors: 2 ..< 3)
        XCTAssertTrue(fates.isEmpty)
    }

    func testTheImagesLeftAreTheEagerCutsImages() throws {
        // Overlapping writes, each lost, durable or torn: the images every allowed assignment
        // gives are those `VolatileCacheDevice.cut` gives for every choice of fates.
        let writes: [(block: Int, bytes: [UInt8])] = [
            (0, sector(1) + sector(2)), (1, sector(3) + sector(4)), (2, sector(5)),
        ]
        var fates = CrashFates(blockSize: sectorSize)
        fates.add(cutWrites: writes, torn: true)
        let bytes = medium(4)
        let lazy = Set(fates.assignments().map { fates.image($0, over: bytes) })
        var eager: Set<[UInt8]> = []
        for a in 0 ... 2 { for b in 0 ... 2 { for c in 0 ... 1 {
            let memory = MemoryBlockDevice(blockSize: sectorSize, blockCount: 4)
            memory.bytes = bytes
            let cache = VolatileCacheDevice(base: memory)
            for write in writes { try cache.write(block: write.block, write.bytes, fua: false) }
            let chosen = [a, b, c]
            try cache.cut { index, sectors in
                let kept = chosen[index]
                return kept == 0 ? .lost : kept >= sectors ? .durable : .torn(kept: [0 ..< kept])
            }
            eager.insert(memory.bytes)
        } } }
        XCTAssertEqual(lazy, eager)
    }

    func testTheLazyMediumUnderACacheDecidesOnlyWhatIsRead() throws {
        let memory = MemoryBlockDevice(blockSize: sectorSize, blockCount: 4)
        let medium = LazyCrashMedium(memory: memory)
        let cache = VolatileCacheDevice(base: medium)
        try cache.write(block: 0, sector(1), fua: false)
        try cache.write(block: 2, sector(2), fua: false)
        cache.cutUndecided(into: medium, torn: true)
        XCTAssertEqual(cache.pendingWrites, 0)
        XCTAssertEqual(medium.fates.writes.count, 2)
        // A read of block 0 has two contents; a pending write over block 2 hides the medium.
        XCTAssertEqual(cache.baseBlocks(reading: .read(block: 0, count: 3)), [0, 1, 2])
        try cache.write(block: 2, sector(9), fua: false)
        XCTAssertEqual(cache.baseBlocks(reading: .read(block: 0, count: 3)), [0, 1])
        let outcomes = medium.outcomes(sectors: medium.sectors(of: [0]))
        XCTAssertEqual(outcomes.count, 2)
        medium.decide(sectors: medium.sectors(of: [0]), outcome: outcomes[1])
        XCTAssertEqual(try cache.read(block: 0, count: 1), sector(1))
        XCTAssertEqual(medium.fates.writes.count, 1, "the decided write no longer shows anywhere")
        // The flush makes the pending write durable over the last undecided one.
        try cache.flush()
        XCTAssertTrue(medium.fates.isEmpty)
        XCTAssertEqual(try cache.read(block: 2, count: 1), sector(9))
    }
}
