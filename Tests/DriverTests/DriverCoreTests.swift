import Driver
import Specs
import Trace
import XCTest

/// The core on fixed sequences, with I/O completing in issue order.
final class DriverCoreTests: XCTestCase {
    /// A formatted device with 2 regions of 16 KiB, I/O in order.
    func makeDriver(regions: Int = 2) -> SimulatedDriver {
        let sim = SimulatedDriver(blockCount: 1024, seed: 7)
        sim.shuffle = false
        sim.format(staging: StagingConfig(stagingBytes: regions * 16384, regionBytes: 16384))
        XCTAssertEqual(sim.core.phase, .online)
        return sim
    }

    func bytes(_ count: Int, _ value: UInt8) -> [UInt8] { [UInt8](repeating: value, count: count) }

    func kinds(_ sim: SimulatedDriver) -> [EventKind] { sim.events.map(\.kind) }

    func assertSpecPasses(_ sim: SimulatedDriver, file: StaticString = #filePath, line: UInt = #line) {
        let outcome = try! SpecRunner.run(DriverSpec.self, events: sim.events)
        XCTAssertEqual(outcome.violations.map(\.message), [], file: file, line: line)
    }

    func testRegionsFillSealAndAreReused() {
        let sim = makeDriver()
        // 3 KiB records (plus a 28-byte header): five fit a 16 KiB region, the sixth opens the next.
        for id in 1 ... 6 { sim.send(.submit(WriteRequest(iface: 0, id: id, offset: id * 4096, bytes: bytes(3072, UInt8(id))))) }
        let regions = sim.events.compactMap { if case let .stage(_, region) = $0.kind { region } else { nil } }
        XCTAssertEqual(regions, [0, 0, 0, 0, 0, 1])
        XCTAssertEqual(sim.outstanding.count, 1, "the full region is sealed and written at once")
        sim.drain()
        XCTAssertEqual(kinds(sim).filter { if case .durable = $0 { true } else { false } }.count, 6)
        // Both regions are free again: the next write lands in region 0.
        sim.send(.submit(WriteRequest(iface: 0, id: 7, offset: 0, bytes: bytes(10, 7))))
        XCTAssertEqual(sim.events.last(where: { if case .stage = $0.kind { true } else { false } })?.kind, .stage(id: 7, region: 0))
        assertSpecPasses(sim)
    }

    func testBackPressureQueuesWithoutLosing() {
        let sim = makeDriver()
        // 40 writes of 8 KiB: two per region, so without I/O only four are staged.
        for id in 1 ... 40 {
            sim.send(.submit(WriteRequest(iface: id % 2, id: id, offset: id * 8192, bytes: bytes(8000, UInt8(id)))))
        }
        XCTAssertEqual(sim.completed, [1, 2, 3, 4], "staging full: the rest wait")
        XCTAssertEqual(kinds(sim).filter { if case .submit = $0 { true } else { false } }.count, 40)
        sim.drain()
        XCTAssertEqual(sim.completed, Array(1 ... 40), "every waiting write is staged, in arrival order")
        sim.send(.shutdown)
        sim.drain()
        XCTAssertTrue(sim.stopped)
        let data = sim.dataArea()
        for id in 1 ... 40 {
            XCTAssert(Array(data[id * 8192 ..< id * 8192 + 8000]) == bytes(8000, UInt8(id)), "write \(id)")
        }
        assertSpecPasses(sim)
    }

    func testDepsAcrossInterfacesAndUnknownDeps() {
        let sim = makeDriver()
        sim.send(.submit(WriteRequest(iface: 0, id: 1, offset: 0, bytes: bytes(100, 1))))
        sim.send(.submit(WriteRequest(iface: 1, id: 2, offset: 100, bytes: bytes(100, 2), deps: [1])))
        let before = sim.events.count
        sim.send(.submit(WriteRequest(iface: 1, id: 3, offset: 200, bytes: bytes(100, 3), deps: [99])))
        XCTAssertEqual(sim.refusals, [.unknownDependency(id: 3, dep: 99)])
        XCTAssertEqual(sim.events.count, before, "a refused submit records nothing")
        sim.drain()
        let durable = sim.events.compactMap { if case let .durable(id) = $0.kind { id } else { nil } }
        XCTAssertEqual(durable, [1, 2], "a dep is durable before the request that names it")
        assertSpecPasses(sim)
    }

    func testSyncSealsAndFinishesWhenDurable() {
        let sim = makeDriver()
        sim.send(.sync(iface: 3))
        XCTAssertEqual(sim.syncsDone[3], 1, "nothing submitted on iface 3: done at once")
        sim.send(.submit(WriteRequest(iface: 0, id: 1, offset: 0, bytes: bytes(100, 1))))
        sim.send(.submit(WriteRequest(iface: 1, id: 2, offset: 100, bytes: bytes(100, 2))))
        XCTAssertTrue(sim.outstanding.isEmpty, "a partly filled region waits")
        sim.send(.sync(iface: 0))
        XCTAssertEqual(sim.outstanding.count, 1, "the sync seals the region")
        XCTAssertNil(sim.syncsDone[0])
        sim.send(.sync(iface: 0))
        sim.drain()
        XCTAssertEqual(sim.syncsDone[0], 2)
        let tail = kinds(sim).suffix(4)
        XCTAssertEqual(Array(tail), [.durable(id: 1), .durable(id: 2), .syncDone(iface: 0), .syncDone(iface: 0)])
        assertSpecPasses(sim)
    }

    func testPartialBlockWritesMergeAndLaterArrivalsWin() {
        let sim = makeDriver()
        var expected = [UInt8](repeating: 0, count: 3 * 4096)
        let writes: [(Int, Int, UInt8)] = [(100, 10, 1), (4090, 20, 2), (4095, 2, 3), (0, 8192, 4), (8000, 300, 5), (4096, 1, 6)]
        for (i, (offset, length, value)) in writes.enumerated() {
            sim.send(.submit(WriteRequest(iface: i % 2, id: i + 1, offset: offset, bytes: bytes(length, value))))
            expected.replaceSubrange(offset ..< offset + length, with: bytes(length, value))
            XCTAssert(sim.read(offset: 0, length: expected.count) == expected, "staged bytes are read back at once (write \(i + 1))")
            if i == 2 { sim.drain() }
        }
        sim.send(.shutdown)
        sim.drain()
        XCTAssertTrue(sim.stopped)
        XCTAssert(Array(sim.dataArea()[0 ..< expected.count]) == expected, "the data area holds the merge")
        assertSpecPasses(sim)
    }

    func testRefusals() {
        let fresh = SimulatedDriver(blockCount: 1024, seed: 1)
        fresh.send(.submit(WriteRequest(iface: 0, id: 1, offset: 0, bytes: [1])))
        XCTAssertEqual(fresh.refusals, [.notOnline])
        let sim = makeDriver()
        let capacity = sim.core.layout!.dataBytes
        sim.send(.submit(WriteRequest(iface: 0, id: 1, offset: capacity - 1, bytes: [1, 2])))
        sim.send(.submit(WriteRequest(iface: 0, id: 2, offset: 0, bytes: [])))
        sim.send(.submit(WriteRequest(iface: 0, id: 3, offset: 0, bytes: bytes(16384, 0))))
        sim.send(.submit(WriteRequest(iface: -1, id: 4, offset: 0, bytes: [1])))
        sim.send(.submit(WriteRequest(iface: 0, id: 5, offset: 0, bytes: [1])))
        sim.send(.submit(WriteRequest(iface: 1, id: 5, offset: 0, bytes: [1])))
        XCTAssertEqual(sim.refusals, [
            .outOfRange(id: 1, offset: capacity - 1, length: 2, capacity: capacity),
            .outOfRange(id: 2, offset: 0, length: 0, capacity: capacity),
            .tooLarge(id: 3, length: 16384, limit: 16384 - 28),
            .badInterface(-1),
            .duplicateID(5),
        ])
        XCTAssertEqual(sim.events.filter { if case .submit = $0.kind { true } else { false } }.count, 1,
                       "only the accepted submit is recorded")
    }

    func testMountAfterShutdownSeesTheDataAndRecordsNothing() {
        let sim = makeDriver()
        sim.send(.submit(WriteRequest(iface: 0, id: 1, offset: 5000, bytes: bytes(3000, 9))))
        sim.send(.shutdown)
        sim.drain()
        let again = SimulatedDriver(blockCount: 1024, seed: 2)
        again.base.bytes = sim.base.bytes
        again.send(.mount(blockSize: 4096, blockCount: 1024))
        again.drain()
        XCTAssertEqual(again.core.phase, .online)
        XCTAssertEqual(again.events, [], "a mount at the start of a trace recovers quietly")
        XCTAssert(again.read(offset: 5000, length: 3000) == bytes(3000, 9))
    }

    func testMountRefusesWhatIsNotAnIntactImage() {
        // Not an image: nothing but zeros. The core only reads.
        let blank = SimulatedDriver(blockCount: 1024, seed: 3)
        blank.send(.mount(blockSize: 4096, blockCount: 1024))
        blank.drain()
        XCTAssertEqual(blank.failure, .notAnImage)
        XCTAssert(blank.base.bytes == [UInt8](repeating: 0, count: 1024 * 4096), "a failed mount writes nothing")

        // Both superblock copies damaged.
        let sim = makeDriver()
        var image = sim.base.bytes
        image[100] ^= 0xFF
        image[4096 + 100] ^= 0xFF
        let damaged = SimulatedDriver(blockCount: 1024, seed: 4)
        damaged.base.bytes = image
        damaged.send(.mount(blockSize: 4096, blockCount: 1024))
        damaged.drain()
        XCTAssertEqual(damaged.failure, .damagedSuperblock)
        XCTAssert(damaged.base.bytes == image, "a failed mount leaves the device untouched")

        // One copy damaged: the other one serves.
        var one = sim.base.bytes
        one[100] ^= 0xFF
        let half = SimulatedDriver(blockCount: 1024, seed: 5)
        half.base.bytes = one
        half.send(.mount(blockSize: 4096, blockCount: 1024))
        half.drain()
        XCTAssertEqual(half.core.phase, .online)

        // A device of another size than the image was formatted for.
        let bigger = SimulatedDriver(blockCount: 2048, seed: 6)
        bigger.base.bytes = sim.base.bytes + [UInt8](repeating: 0, count: 1024 * 4096)
        bigger.send(.mount(blockSize: 4096, blockCount: 2048))
        bigger.drain()
        guard case .incompatible = bigger.failure else { return XCTFail("expected incompatible, got \(String(describing: bigger.failure))") }
    }

    func testFormatRefusesATooSmallDevice() {
        let sim = SimulatedDriver(blockCount: 64, seed: 1)
        sim.format(staging: StagingConfig(stagingBytes: 4 * 16384, regionBytes: 16384))
        guard case .incompatible = sim.failure else { return XCTFail("expected incompatible") }
    }

    func testTornSegmentEndsTheReplayAndEarlierDurableOnesSurvive() {
        let sim = makeDriver()
        sim.send(.submit(WriteRequest(iface: 0, id: 1, offset: 0, bytes: bytes(6000, 1))))
        sim.send(.sync(iface: 0))
        sim.drain()
        XCTAssertEqual(sim.syncsDone[0], 1)
        sim.send(.submit(WriteRequest(iface: 1, id: 2, offset: 3000, bytes: bytes(6000, 2))))
        sim.send(.sync(iface: 1))
        // Only the journal write of the second segment runs: it is in the cache, unflushed (the
        // checkpoint of the first segment, due now that both regions are held, never runs).
        guard let journal = sim.outstanding.firstIndex(where: { if case .write = $0.1 { true } else { false } }) else {
            return XCTFail("expected the journal write")
        }
        sim.outstanding.insert(sim.outstanding.remove(at: journal), at: 0)
        sim.step()
        XCTAssertEqual(sim.device.pendingWriteSectors.count, 1)
        sim.outstanding = []
        // The cut keeps the write's first sector only: the segment is torn.
        try! sim.device.cut { _, _ in .torn(kept: [0 ..< 1]) }
        sim.send(.powerLoss)
        sim.drain()
        XCTAssertEqual(sim.summaries.last?.stop, "torn")
        let recovered = sim.events.compactMap { if case let .recovered(id) = $0.kind { id } else { nil } }
        XCTAssertEqual(recovered, [1])
        var expected = bytes(6000, 1) + bytes(3000, 0)
        XCTAssert(Array(sim.dataArea()[0 ..< 9000]) == expected, "the first write, and nothing of the torn one")
        expected = bytes(3000, 1) + bytes(6000, 2)
        sim.send(.submit(WriteRequest(iface: 1, id: 3, offset: 3000, bytes: bytes(6000, 2))))
        XCTAssert(sim.read(offset: 0, length: 9000) == expected)
        assertSpecPasses(sim)
    }

    func testAnotherCoreTakesTheTraceOverAfterAPowerLoss() {
        let sim = makeDriver()
        for id in 1 ... 3 { sim.send(.submit(WriteRequest(iface: id % 2, id: id, offset: id * 100, bytes: bytes(100, UInt8(id))))) }
        sim.send(.sync(iface: 1))
        sim.drain()
        sim.send(.submit(WriteRequest(iface: 0, id: 4, offset: 0, bytes: bytes(50, 4))))
        // The controller dies: nothing more is recorded by this core; its cache is cut.
        sim.outstanding = []
        try! sim.device.cut { _, _ in .lost }
        let restarted = SimulatedDriver(blockCount: 1024, seed: 9)
        restarted.base.bytes = sim.base.bytes
        restarted.core = DriverCore(lastSeq: sim.core.lastSeq)
        restarted.send(.recover(blockSize: 4096, blockCount: 1024))
        restarted.drain()
        XCTAssertEqual(restarted.core.phase, .online)
        XCTAssertEqual(restarted.events.first?.kind, .crash)
        XCTAssertEqual(restarted.events.first?.seq, sim.core.lastSeq + 1)
        let recovered = restarted.events.compactMap { if case let .recovered(id) = $0.kind { id } else { nil } }
        XCTAssertEqual(recovered, [1, 2, 3])
        XCTAssertEqual(restarted.events.last?.kind, .online)
        let outcome = try! SpecRunner.run(DriverSpec.self, events: sim.events + restarted.events)
        XCTAssertEqual(outcome.violations.map(\.message), [])
    }
}
