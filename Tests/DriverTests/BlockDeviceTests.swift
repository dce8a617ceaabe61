import Driver
import DriverLive
import Foundation
import Trace
import XCTest

/// The block devices: memory, volatile cache (with power cuts), file, and byte-level patching.
final class BlockDeviceTests: XCTestCase {
    private var paths: [String] = []

    override func tearDown() {
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
        paths = []
        super.tearDown()
    }

    /// A unique path in the temporary directory, removed in tearDown.
    private func temporaryPath() -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("plumb-blockdevice-\(UUID().uuidString)").path
        paths.append(path)
        return path
    }

    private func block(_ value: UInt8, size: Int = 512, count: Int = 1) -> [UInt8] {
        [UInt8](repeating: value, count: size * count)
    }

    private func randomBytes(_ count: Int, _ random: inout SplitMix64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            withUnsafeBytes(of: random.next()) { bytes.append(contentsOf: $0.prefix(count - bytes.count)) }
        }
        return bytes
    }

    private func assertError(
        _ operation: String, device: String, file: StaticString = #filePath, line: UInt = #line,
        _ body: () throws -> Void
    ) {
        do {
            try body()
            XCTFail("expected a \(operation) error", file: file, line: line)
        } catch {
            guard let error = error as? BlockDeviceError else {
                return XCTFail("\(error) is not a BlockDeviceError", file: file, line: line)
            }
            XCTAssertEqual(error.operation, operation, file: file, line: line)
            XCTAssertEqual(error.device, device, file: file, line: line)
            XCTAssertFalse(error.message.isEmpty, file: file, line: line)
        }
    }

    // MARK: Memory

    func testMemoryReadWrite() throws {
        let device = MemoryBlockDevice(blockSize: 512, blockCount: 4)
        XCTAssertEqual(device.bytes.count, 2048)
        try device.write(block: 1, block(7, count: 2), fua: false)
        XCTAssertEqual(try device.read(block: 0, count: 4), block(0) + block(7, count: 2) + block(0))
        XCTAssertEqual(try device.read(block: 2, count: 1), block(7))
        XCTAssertEqual(try device.read(block: 4, count: 0), [])
        try device.flush()
        XCTAssertEqual(Array(device.bytes[512..<1536]), block(7, count: 2))
    }

    func testAMemoryCopySharesPagesYetStaysIndependent() throws {
        // 200 blocks of 512 bytes: pages of 64 blocks, the last one of 8.
        let device = MemoryBlockDevice(blockSize: 512, blockCount: 200)
        var random = SplitMix64(seed: 7)
        let image = randomBytes(200 * 512, &random)
        device.bytes = image
        XCTAssertEqual(device.bytes, image)
        let copy = device.copy()
        // Writes across page boundaries, and into the short last page, change one device only.
        try device.write(block: 62, block(9, count: 4), fua: false)
        try copy.write(block: 196, block(5, count: 4), fua: false)
        var expected = image
        expected.replaceSubrange(62 * 512 ..< 66 * 512, with: block(9, count: 4))
        XCTAssertEqual(device.bytes, expected)
        var copied = image
        copied.replaceSubrange(196 * 512 ..< 200 * 512, with: block(5, count: 4))
        XCTAssertEqual(copy.bytes, copied)
        for range in [0 ..< 0, 100 ..< 40_000, 32_700 ..< 32_900, 102_300 ..< 102_400] {
            XCTAssertEqual(device.bytes(in: range), Array(expected[range]), "\(range)")
            XCTAssertEqual(copy.bytes(in: range), Array(copied[range]), "\(range)")
        }
        XCTAssertEqual(device.withUnsafeBytes(ofBlock: 63) { Array($0) }, block(9))
    }

    func testMemoryBoundsAndAlignment() {
        let device = MemoryBlockDevice(blockSize: 512, blockCount: 4, name: "mem0")
        assertError("read", device: "mem0") { _ = try device.read(block: 3, count: 2) }
        assertError("read", device: "mem0") { _ = try device.read(block: -1, count: 1) }
        assertError("read", device: "mem0") { _ = try device.read(block: 0, count: -1) }
        assertError("write", device: "mem0") { try device.write(block: 4, block(1), fua: false) }
        assertError("write", device: "mem0") { try device.write(block: 0, [1, 2, 3], fua: false) }
        assertError("read", device: "mem0") { _ = try device.readBytes(at: 2000, count: 49) }
        assertError("write", device: "mem0") {
            try device.patch([ByteExtent(offset: -1, bytes: [1])])
        }
        XCTAssertEqual(device.bytes, block(0, count: 4), "failed calls change nothing")
    }

    // MARK: Bytes

    func testReadBytesAtAnyAlignment() throws {
        let device = MemoryBlockDevice(blockSize: 512, blockCount: 4)
        var random = SplitMix64(seed: 1)
        device.bytes = randomBytes(2048, &random)
        for (offset, count) in [(0, 0), (0, 2048), (511, 2), (100, 1000), (2047, 1), (2048, 0)] {
            XCTAssertEqual(try device.readBytes(at: offset, count: count), Array(device.bytes[offset..<offset + count]))
        }
    }

    func testPatchMatchesByteModel() throws {
        var random = SplitMix64(seed: 0x5EED)
        for round in 0..<400 {
            let blockSize = [512, 1024, 4096][round % 3]
            let device = MemoryBlockDevice(blockSize: blockSize, blockCount: 8)
            device.bytes = randomBytes(device.bytes.count, &random)
            var model = device.bytes
            var extents: [ByteExtent] = []
            for _ in 0..<Int(random.next() % 12) {
                let length = Int(random.next() % UInt64(blockSize * 2 + 2))
                let offset = Int(random.next() % UInt64(model.count - length + 1))
                extents.append(ByteExtent(offset: offset, bytes: randomBytes(length, &random)))
            }
            for extent in extents {
                model.replaceSubrange(extent.offset..<extent.offset + extent.bytes.count, with: extent.bytes)
            }
            try device.patch(extents)
            XCTAssertEqual(device.bytes, model, "round \(round)")
        }
    }

    func testPatchReadsOnlyPartlyWrittenBlocksAndWritesEachRunOnce() throws {
        let memory = MemoryBlockDevice(blockSize: 512, blockCount: 16)
        let counter = CountingDevice(memory)
        try counter.patch([
            ByteExtent(offset: 512, bytes: block(1, count: 2)),  // blocks 1-2 whole
            ByteExtent(offset: 1536, bytes: block(2, size: 10)),  // block 3 in part
            ByteExtent(offset: 4096 + 500, bytes: block(3, size: 24)),  // blocks 8-9 in part
            ByteExtent(offset: 6144, bytes: block(4)),  // block 12 whole
            ByteExtent(offset: 6144 + 8, bytes: block(5, size: 8)),  // over the last one
        ])
        XCTAssertEqual(counter.reads, [3..<4, 8..<10])
        XCTAssertEqual(counter.writes, [1..<4, 8..<10, 12..<13])
        XCTAssertEqual(Array(memory.bytes[6144..<6160]), block(4, size: 8) + block(5, size: 8))
    }

    /// A patch of thousands of extents costs one read and one write per touched block, whatever
    /// the number of extents: each block is read at most once and written exactly once.
    func testPatchOfManySmallExtentsTouchesEachBlockOnce() throws {
        let device = MemoryBlockDevice(blockSize: 4096, blockCount: 4096)
        let counter = CountingDevice(device)
        var random = SplitMix64(seed: 9)
        let extents = (0..<5000).map { _ in
            ByteExtent(offset: Int(random.next() % 4095) * 4096 + 7, bytes: block(1))
        } + [ByteExtent(offset: 3, bytes: block(2, size: 1 << 20))]
        try counter.patch(extents)
        var touched = Set<Int>()
        for extent in extents {
            touched.formUnion(extent.offset / 4096...(extent.offset + extent.bytes.count - 1) / 4096)
        }
        let written = counter.writes.flatMap { Array($0) }
        XCTAssertEqual(written.count, touched.count, "each block written once")
        XCTAssertEqual(Set(written), touched)
        let read = counter.reads.flatMap { Array($0) }
        XCTAssertEqual(read.count, Set(read).count, "no block read twice")
        XCTAssertLessThanOrEqual(counter.reads.count + counter.writes.count, 2 * touched.count)
        XCTAssertEqual(Array(device.bytes[3..<(1 << 20) + 3]), block(2, size: 1 << 20))
    }

    func testReadBytesWithOverlay() throws {
        let device = MemoryBlockDevice(blockSize: 512, blockCount: 4)
        try device.write(block: 0, block(1, count: 4), fua: false)
        let overlay = [
            ByteExtent(offset: 90, bytes: block(2, size: 20)),  // clipped at the start
            ByteExtent(offset: 105, bytes: block(3, size: 10)),  // inside, over the first
            ByteExtent(offset: 195, bytes: block(4, size: 10)),  // clipped at the end
            ByteExtent(offset: 1000, bytes: block(5, size: 10)),  // outside
        ]
        var expected = block(1, size: 100)
        expected.replaceSubrange(0..<10, with: block(2, size: 10))
        expected.replaceSubrange(5..<15, with: block(3, size: 10))
        expected.replaceSubrange(95..<100, with: block(4, size: 5))
        XCTAssertEqual(try device.readBytes(at: 100, count: 100, overlay: overlay), expected)
    }

    // MARK: Volatile cache

    /// A cache over 8 blocks of 1024 bytes whose base holds 1s (flushed), with block 0 = 2
    /// and blocks 1-2 = 3 pending.
    private func cacheWithPending() throws -> (MemoryBlockDevice, VolatileCacheDevice) {
        let base = MemoryBlockDevice(blockSize: 1024, blockCount: 8)
        let cache = VolatileCacheDevice(base: base)
        try cache.write(block: 0, block(1, size: 1024, count: 8), fua: false)
        try cache.flush()
        try cache.write(block: 0, block(2, size: 1024), fua: false)
        try cache.write(block: 1, block(3, size: 1024, count: 2), fua: false)
        return (base, cache)
    }

    func testCacheReadsSeePendingWritesAndFlushPersists() throws {
        let (base, cache) = try cacheWithPending()
        try cache.write(block: 2, block(4, size: 1024), fua: false)  // later wins
        XCTAssertEqual(cache.pendingWrites, 3)
        XCTAssertEqual(cache.pendingWriteSectors, [2, 4, 2])
        let latest = block(2, size: 1024) + block(3, size: 1024) + block(4, size: 1024) + block(1, size: 1024)
        XCTAssertEqual(try cache.read(block: 0, count: 4), latest)
        XCTAssertEqual(Array(base.bytes[0..<4096]), block(1, size: 1024, count: 4), "base holds the flushed state")
        try cache.flush()
        XCTAssertEqual(cache.pendingWrites, 0)
        XCTAssertEqual(Array(base.bytes[0..<4096]), latest)
    }

    func testCutLosingEverythingLeavesTheLastFlush() throws {
        let (base, cache) = try cacheWithPending()
        try cache.cut { _, _ in .lost }
        XCTAssertEqual(base.bytes, block(1, size: 1024, count: 8))
        XCTAssertEqual(try cache.read(block: 0, count: 8), base.bytes)
        XCTAssertEqual(cache.pendingWrites, 0)
    }

    func testCutKeepingEverythingEqualsFlush() throws {
        let (flushedBase, flushed) = try cacheWithPending()
        try flushed.flush()
        let (base, cache) = try cacheWithPending()
        var asked: [[Int]] = []
        try cache.cut { index, sectors in
            asked.append([index, sectors])
            return .durable
        }
        XCTAssertEqual(asked, [[0, 2], [1, 4]])
        XCTAssertEqual(base.bytes, flushedBase.bytes)
    }

    func testTornCutKeepsExactlyTheChosenSectors() throws {
        let (base, cache) = try cacheWithPending()
        try cache.cut { index, _ in index == 0 ? .lost : .torn(kept: [0..<1, 3..<4]) }
        var expected = block(1, size: 1024, count: 8)
        expected.replaceSubrange(1024..<1536, with: block(3))  // sector 0 of the write
        expected.replaceSubrange(2560..<3072, with: block(3))  // sector 3 of the write
        XCTAssertEqual(base.bytes, expected)
    }

    func testFUAWriteSurvivesACutAndOlderPendingDataCannotOverwriteIt() throws {
        let (base, cache) = try cacheWithPending()
        try cache.write(block: 2, block(9, size: 1024), fua: true)
        XCTAssertEqual(Array(base.bytes[2048..<3072]), block(9, size: 1024), "durable at once")
        XCTAssertEqual(cache.pendingWriteSectors, [2, 2], "block 2 dropped from the pending write of 1-2")
        XCTAssertEqual(try cache.read(block: 2, count: 1), block(9, size: 1024))
        let (durableBase, durable) = try cacheWithPending()
        try durable.write(block: 2, block(9, size: 1024), fua: true)
        try durable.cut { _, _ in .durable }
        XCTAssertEqual(Array(durableBase.bytes[2048..<3072]), block(9, size: 1024))
        try cache.cut { _, _ in .lost }
        XCTAssertEqual(Array(base.bytes[0..<3072]), block(1, size: 1024, count: 2) + block(9, size: 1024))
    }

    func testFUAInTheMiddleOfAPendingWriteSplitsIt() throws {
        let base = MemoryBlockDevice(blockSize: 512, blockCount: 8)
        let cache = VolatileCacheDevice(base: base)
        try cache.write(block: 0, block(1, count: 6), fua: false)
        try cache.write(block: 2, block(2, count: 2), fua: true)
        XCTAssertEqual(cache.pendingWriteSectors, [2, 2])
        XCTAssertEqual(try cache.read(block: 0, count: 6), block(1, count: 2) + block(2, count: 2) + block(1, count: 2))
        try cache.flush()
        XCTAssertEqual(Array(base.bytes[0..<3072]), block(1, count: 2) + block(2, count: 2) + block(1, count: 2))
    }

    func testRandomCutIsDeterministicForASeed() throws {
        func run(seed: UInt64) throws -> ([UInt8], CutReport) {
            let base = MemoryBlockDevice(blockSize: 4096, blockCount: 64)
            let cache = VolatileCacheDevice(base: base)
            var random = SplitMix64(seed: 77)
            for _ in 0..<200 {
                let count = Int(random.next() % 4) + 1
                let at = Int(random.next() % UInt64(64 - count + 1))
                try cache.write(block: at, randomBytes(count * 4096, &random), fua: false)
            }
            let report = try cache.cut(seed: seed, tornFraction: 0.5)
            return (base.bytes, report)
        }
        let (first, report) = try run(seed: 42)
        let (again, reportAgain) = try run(seed: 42)
        XCTAssertEqual(first, again)
        XCTAssertEqual(report, reportAgain)
        XCTAssertEqual(report.writes, 200)
        XCTAssertEqual(report.lost + report.durable + report.torn, 200)
        XCTAssertGreaterThan(report.torn, 0)
        XCTAssertGreaterThan(report.lost, 0)
        XCTAssertGreaterThan(report.durable, 0)
        XCTAssertNotEqual(try run(seed: 43).0, first)
    }

    func testRandomTornWritesKeepAProperSubset() throws {
        for seed in 0..<50 as Range<UInt64> {
            let base = MemoryBlockDevice(blockSize: 4096, blockCount: 1)
            let cache = VolatileCacheDevice(base: base)
            try cache.write(block: 0, block(1, size: 4096), fua: false)
            let report = try cache.cut(seed: seed, tornFraction: 1)
            XCTAssertEqual(report, CutReport(writes: 1, torn: 1))
            let kept = base.bytes.filter { $0 == 1 }.count
            XCTAssertTrue(kept > 0 && kept < 4096 && kept % 512 == 0, "seed \(seed): \(kept) bytes kept")
        }
    }

    // MARK: File

    func testFileCreateWriteReadFlushReopen() throws {
        let path = temporaryPath()
        let device = try FileBlockDevice.create(path: path, bytes: 8192, blockSize: 1024)
        XCTAssertEqual(device.blockCount, 8)
        XCTAssertEqual(try device.read(block: 0, count: 8), block(0, size: 1024, count: 8))
        try device.write(block: 2, block(5, size: 1024, count: 2), fua: false)
        try device.write(block: 7, block(6, size: 1024), fua: true)
        try device.patch([ByteExtent(offset: 10, bytes: [1, 2, 3])])
        try device.flush()
        XCTAssertEqual(try device.read(block: 2, count: 2), block(5, size: 1024, count: 2))
        device.close()
        assertError("read", device: path) { _ = try device.read(block: 0, count: 1) }

        let reopened = try FileBlockDevice.open(path: path, blockSize: 1024)
        XCTAssertEqual(reopened.blockCount, 8)
        XCTAssertEqual(try reopened.readBytes(at: 9, count: 5), [0, 1, 2, 3, 0])
        XCTAssertEqual(try reopened.read(block: 2, count: 2), block(5, size: 1024, count: 2))
        XCTAssertEqual(try reopened.read(block: 7, count: 1), block(6, size: 1024))
        assertError("read", device: path) { _ = try reopened.read(block: 7, count: 2) }
        assertError("write", device: path) { try reopened.write(block: 0, [1], fua: false) }
    }

    func testFileErrorsNameThePath() throws {
        let missing = temporaryPath()
        assertError("open", device: missing) { _ = try FileBlockDevice.open(path: missing) }

        let odd = temporaryPath()
        _ = FileManager.default.createFile(atPath: odd, contents: Data(count: 4096 + 100))
        assertError("open", device: odd) { _ = try FileBlockDevice.open(path: odd) }
        let empty = temporaryPath()
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        assertError("open", device: empty) { _ = try FileBlockDevice.open(path: empty) }

        let existing = temporaryPath()
        _ = try FileBlockDevice.create(path: existing, bytes: 4096)
        do {
            _ = try FileBlockDevice.create(path: existing, bytes: 4096)
            XCTFail("created over an existing file")
        } catch {
            XCTAssertEqual(error.operation, "create")
            XCTAssertTrue(error.description.contains(existing), error.description)
        }
        XCTAssertEqual(try FileBlockDevice.open(path: existing).blockCount, 1, "the existing file is untouched")
    }
}

/// A device that records the block ranges of the reads and writes it passes on.
private final class CountingDevice: BlockDevice {
    let inner: any BlockDevice
    var reads: [Range<Int>] = []
    var writes: [Range<Int>] = []

    init(_ inner: any BlockDevice) { self.inner = inner }

    var blockSize: Int { inner.blockSize }
    var blockCount: Int { inner.blockCount }

    func read(block: Int, count: Int) throws(BlockDeviceError) -> [UInt8] {
        reads.append(block..<block + count)
        return try inner.read(block: block, count: count)
    }

    func write(block: Int, _ bytes: [UInt8], fua: Bool) throws(BlockDeviceError) {
        writes.append(block..<block + bytes.count / blockSize)
        try inner.write(block: block, bytes, fua: fua)
    }

    func flush() throws(BlockDeviceError) { try inner.flush() }
}
