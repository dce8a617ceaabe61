import Driver
import Specs
import Trace
import XCTest

/// The version-3 layout: large writes written once out of place, small writes checkpointed in
/// bulk, the chunk map across a crash and a mount, and images the driver must refuse.
final class DriverLayoutTests: XCTestCase {
    /// A core over a volatile cache on memory, I/O carried out in issue order with
    /// `BlockDevice.perform`, counting the bytes each device area received.
    final class Harness {
        let medium: MemoryBlockDevice
        let device: VolatileCacheDevice
        var core = DriverCore()
        var queue: [(IOTicket, DeviceOperation)] = []
        var events: [TraceEvent] = []
        var failure: DriverImageError?
        var stopped = false
        var reads: [[UInt8]] = []
        /// Bytes written by whole-block writes into the journal ring and into the data area.
        var journalBytes = 0
        var dataBytes = 0
        /// Checkpoint patches carried out, and the extents they held.
        var patches = 0
        var patchedExtents = 0

        init(blockCount: Int = 1024, medium: MemoryBlockDevice? = nil) {
            self.medium = medium ?? MemoryBlockDevice(blockSize: 4096, blockCount: blockCount)
            device = VolatileCacheDevice(base: self.medium)
        }

        func send(_ input: DriverCore.Input) {
            for action in core.handle(input) {
                if let io = action.deviceOperation { queue.append(io); continue }
                switch action {
                case let .record(event): events.append(event)
                case let .serveRead(_, pieces, overlay): reads.append(try! device.readBytes(pieces: pieces, overlay: overlay))
                case let .failed(error): failure = error
                case .stopped: stopped = true
                default: break
                }
            }
        }

        /// Carries out I/O (feeding `idle` when none is queued) until nothing is left.
        func drain() {
            while true {
                guard !queue.isEmpty else {
                    send(.idle)
                    if queue.isEmpty { return }
                    continue
                }
                let (ticket, operation) = queue.removeFirst()
                if let layout = core.layout {
                    switch operation {
                    case let .write(block, bytes) where block >= layout.dataStart: dataBytes += bytes.count
                    case let .write(block, bytes) where block >= layout.journalStart: journalBytes += bytes.count
                    case let .patch(extents) where core.phase == .online || core.phase == .stopping:
                        if extents.allSatisfy({ $0.offset >= layout.dataStart * layout.blockSize }) {
                            patches += 1
                            patchedExtents += extents.count
                        }
                    default: break
                    }
                }
                let bytes = try! device.perform(operation)
                send(.completed(ticket, bytes: bytes))
            }
        }

        /// The data area as the device holds it (the staged bytes not included).
        func dataArea() -> [UInt8] {
            try! device.readBytes(pieces: core.dataRanges(offset: 0, length: core.layout!.dataBytes), overlay: [])
        }
    }

    static let staging = StagingConfig(stagingBytes: 8 * 16384, regionBytes: 16384, chunkBytes: 4096)

    func formatted() -> Harness {
        let h = Harness()
        h.send(.format(blockSize: 4096, blockCount: 1024, staging: Self.staging, nonce: 9))
        h.drain()
        XCTAssertEqual(h.core.phase, .online)
        return h
    }

    func bytes(_ count: Int, _ seed: Int) -> [UInt8] { (0 ..< count).map { UInt8(truncatingIfNeeded: seed * 31 + $0 / 7) } }

    func testWholeChunksAreWrittenOnceOutOfPlace() {
        let h = formatted()
        let payload = bytes(3 * 4096, 1)
        h.send(.submit(WriteRequest(iface: 0, id: 1, offset: 2 * 4096, bytes: payload)))
        h.send(.sync(iface: 0))
        h.drain()
        XCTAssertEqual(h.dataBytes, 3 * 4096, "the payload went to the data area once")
        XCTAssertEqual(h.journalBytes, 4096, "the journal got one block: the segment header and the record naming the chunks")
        h.send(.shutdown)
        h.drain()
        XCTAssertTrue(h.stopped)
        XCTAssertEqual(h.dataBytes, 3 * 4096, "no checkpoint copy of the payload")
        XCTAssertEqual(h.patches, 0, "nothing inline to checkpoint")
        XCTAssert(Array(h.dataArea()[2 * 4096 ..< 5 * 4096]) == payload)
        // The remap is durable: a mount of the image reads the new chunks.
        let mounted = Harness(medium: h.medium)
        mounted.send(.mount(blockSize: 4096, blockCount: 1024))
        mounted.drain()
        XCTAssertEqual(mounted.core.phase, .online)
        XCTAssert(Array(mounted.dataArea()[2 * 4096 ..< 5 * 4096]) == payload)
    }

    func testReadsSeeAnOutOfPlaceWriteBeforeItsDataIsWritten() {
        let h = formatted()
        h.send(.submit(WriteRequest(iface: 0, id: 1, offset: 100, bytes: bytes(300, 1))))
        h.drain()
        let whole = bytes(4096, 2)
        h.send(.submit(WriteRequest(iface: 0, id: 2, offset: 0, bytes: whole)))
        h.send(.submit(WriteRequest(iface: 0, id: 3, offset: 200, bytes: bytes(50, 3))))
        h.send(.read(ReadTicket(1), offset: 0, length: 4096))
        var expected = whole
        expected.replaceSubrange(200 ..< 250, with: bytes(50, 3))
        XCTAssertEqual(h.reads.last, expected, "the newest arrival wins, with nothing on the device yet")
        h.send(.shutdown)
        h.drain()
        XCTAssert(Array(h.dataArea()[0 ..< 4096]) == expected)
        XCTAssertEqual(try SpecRunner.run(DriverSpec.self, events: h.events).violations.map(\.message), [])
    }

    func testSmallWritesAreCheckpointedInBulk() {
        let h = formatted()
        var model = [UInt8](repeating: 0, count: h.core.layout!.dataBytes)
        var id = 0
        // Eight syncs of 20 small writes: eight segments, checkpointed together.
        for round in 0 ..< 8 {
            for k in 0 ..< 20 {
                id += 1
                let offset = (round * 7919 + k * 3001) % (model.count - 600)
                let b = bytes(512, id)
                model.replaceSubrange(offset ..< offset + 512, with: b)
                h.send(.submit(WriteRequest(iface: 0, id: id, offset: offset, bytes: b)))
            }
            h.send(.sync(iface: 0))
            h.drain()
        }
        h.send(.shutdown)
        h.drain()
        XCTAssertTrue(h.stopped)
        XCTAssertLessThanOrEqual(h.patches, 2, "eight segments checkpointed in at most two patches")
        XCTAssertEqual(h.patchedExtents, 160)
        XCTAssert(h.dataArea() == model)
    }

    func testImagesOfEarlierVersionsAreRefusedNamingBothVersions() {
        let h = formatted()
        for version: UInt8 in [1, 2] {
            var image = h.medium.bytes
            for copy in 0 ..< 2 { image[copy * 4096 + 8] = version }  // the version field, after the magic
            let old = Harness(medium: MemoryBlockDevice(blockSize: 4096, blockCount: 1024))
            old.medium.bytes = image
            old.send(.mount(blockSize: 4096, blockCount: 1024))
            old.drain()
            guard case let .incompatible(why) = old.failure else {
                return XCTFail("expected incompatible, got \(String(describing: old.failure))")
            }
            XCTAssertTrue(why.contains("version \(version)") && why.contains("version 3"), why)
            XCTAssert(old.medium.bytes == image, "a refused image is left as it was")
        }
    }

    func testAFlippedByteInTheLedgerIsRefusedAndTheImageLeftAsItWas() {
        // Small writes on two interleaved ids ranges, shut down: the ledger holds their runs.
        let h = formatted()
        for id in 1 ... 40 {
            h.send(.submit(WriteRequest(iface: id % 2, id: id % 2 == 0 ? id : 1000 + id, offset: id * 512,
                                        bytes: bytes(512, id))))
            h.drain()
        }
        h.send(.shutdown)
        h.drain()
        XCTAssertTrue(h.stopped)
        let layout = h.core.layout!
        // Entries are `first u64 | count u64` with count > 0; the formatted image is zero past them.
        let start = layout.ledgerStart * 4096
        let ledgerCount = stride(from: start, to: start + 4096, by: 16).prefix { h.medium.bytes[$0 + 8 ..< $0 + 16].contains { $0 != 0 } }.count
        XCTAssertGreaterThan(ledgerCount, 1, "the test needs a ledger of several entries")
        for offset in [start, start + 13, start + ledgerCount * 16 - 1] {
            var image = h.medium.bytes
            image[offset] ^= 0x04
            let damaged = Harness(medium: MemoryBlockDevice(blockSize: 4096, blockCount: 1024))
            damaged.medium.bytes = image
            damaged.send(.mount(blockSize: 4096, blockCount: 1024))
            damaged.drain()
            guard case let .damaged(why) = damaged.failure else {
                return XCTFail("byte \(offset): expected damaged, got \(String(describing: damaged.failure))")
            }
            XCTAssertTrue(why.contains("ledger") && why.contains("bytes \(start) ..<"), why)
            XCTAssert(damaged.medium.bytes == image, "byte \(offset): a refused image is left as it was")
        }
        // Past the valid entries nothing is read: a flip there changes nothing.
        var image = h.medium.bytes
        image[start + ledgerCount * 16 + 3] ^= 0x04
        let fine = Harness(medium: MemoryBlockDevice(blockSize: 4096, blockCount: 1024))
        fine.medium.bytes = image
        fine.send(.mount(blockSize: 4096, blockCount: 1024))
        fine.drain()
        XCTAssertNil(fine.failure)
        XCTAssertEqual(fine.core.phase, .online)
    }

    func testADamagedChunkMapIsRefused() {
        let h = formatted()
        let layout = h.core.layout!
        var image = h.medium.bytes
        // The format's newest superblock is generation 1: it names map copy 1.
        image[layout.mapBlock(copy: 1) * 4096 + 5] ^= 0x40
        let damaged = Harness(medium: MemoryBlockDevice(blockSize: 4096, blockCount: 1024))
        damaged.medium.bytes = image
        damaged.send(.mount(blockSize: 4096, blockCount: 1024))
        damaged.drain()
        guard case let .damaged(why) = damaged.failure else { return XCTFail("expected damaged, got \(String(describing: damaged.failure))") }
        XCTAssertTrue(why.contains("chunk-map copy 1"), why)
    }

    func testTwoRemapsOfAChunkSurviveAPowerCutNewestWinning() {
        let h = formatted()
        let first = bytes(4096, 1), second = bytes(4096, 2)
        h.send(.submit(WriteRequest(iface: 0, id: 1, offset: 0, bytes: first)))
        h.send(.sync(iface: 0))
        h.drain()
        let layout = h.core.layout!
        let chunkOfFirst = (h.core.dataRanges(offset: 0, length: 4096)[0].offset / 4096 - layout.dataStart)
        XCTAssertGreaterThanOrEqual(chunkOfFirst, layout.logicalChunks, "written to a spare chunk")
        h.send(.submit(WriteRequest(iface: 1, id: 2, offset: 0, bytes: second)))
        h.send(.sync(iface: 1))
        h.drain()
        // Power fails with nothing unflushed: both remaps are durable, the newest wins.
        try! h.device.cut { _, _ in .durable }
        h.send(.powerLoss)
        h.drain()
        XCTAssertEqual(h.core.phase, .online)
        XCTAssert(Array(h.dataArea()[0 ..< 4096]) == second)
        let recovered = h.events.compactMap { if case let .recovered(id) = $0.kind { id } else { nil } }
        XCTAssertEqual(recovered, [1, 2])
    }
}
