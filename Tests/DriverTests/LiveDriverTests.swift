import Checker
import Driver
import DriverLive
import Foundation
import Trace
import XCTest

/// The live driver on real files: writes and reads, syncs, back-pressure, power cuts with
/// recovery checked by the model and the checker, mounts that must refuse, shutdown and mount.
final class LiveDriverTests: XCTestCase {
    private var paths: [String] = []

    override func tearDown() {
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
        paths = []
        super.tearDown()
    }

    /// A unique path in the temporary directory, removed in tearDown.
    private func temporaryPath(_ suffix: String = ".img") -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("plumb-live-driver-\(UUID().uuidString)\(suffix)").path
        paths.append(path)
        return path
    }

    private static let small = StagingConfig(stagingBytes: 256 << 10, regionBytes: 64 << 10)

    /// A formatted file-backed driver recording to `recorder`.
    private func formatted(
        bytes: Int = 16 << 20, staging: StagingConfig = small, recorder: any TraceRecorder = MemoryRecorder()
    ) async throws -> (LiveDriver, FileBlockDevice) {
        let device = try FileBlockDevice.create(path: temporaryPath(), bytes: bytes)
        let driver = try await LiveDriver.format(device: device, staging: staging, recorder: recorder)
        return (driver, device)
    }

    private func pattern(_ count: Int, _ seed: UInt8) -> [UInt8] {
        (0 ..< count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    /// Checks a trace file: the verdict must be pass.
    private func assertPasses(_ path: String, file: StaticString = #filePath, line: UInt = #line) {
        let report = Checker().check(files: [path])
        XCTAssertEqual(report.verdict, .pass, "\(report.error.map { "\($0)" } ?? "") "
            + report.violations.prefix(5).map { "\($0.invariant): \($0.message)" }.joined(separator: "; "),
            file: file, line: line)
    }

    func testWritesReadBackUnalignedOverlappingAndStaged() async throws {
        let (driver, _) = try await formatted()
        var model = [UInt8](repeating: 0, count: 64 << 10)
        let writes: [(offset: Int, length: Int)] = [(1, 700), (513, 4000), (4095, 2), (300, 9000), (8191, 1), (20_000, 30_000)]
        for (i, w) in writes.enumerated() {
            let bytes = pattern(w.length, UInt8(i + 1))
            try await driver.write(WriteRequest(iface: i % 2, id: i + 1, offset: w.offset, bytes: bytes))
            model.replaceSubrange(w.offset ..< w.offset + w.length, with: bytes)
            // Read straight after the write: the staged bytes are visible before any sync.
            let back = try await driver.read(offset: w.offset, length: w.length)
            XCTAssertEqual(back, bytes, "write \(i + 1) read back")
        }
        let all = try await driver.read(offset: 0, length: model.count)
        XCTAssertEqual(all, model)
        try await driver.sync(iface: 0)
        try await driver.sync(iface: 1)
        let odd = try await driver.read(offset: 4093, length: 5000)
        XCTAssertEqual(odd, Array(model[4093 ..< 9093]))
        try await driver.shutdown()
    }

    func testSyncReturnsWhenDurableAndSyncsFinishInOrder() async throws {
        let recorder = MemoryRecorder()
        let (driver, _) = try await formatted(recorder: recorder)
        for id in 1 ... 50 {
            try await driver.write(WriteRequest(iface: id % 2, id: id, offset: id * 1000, bytes: pattern(777, UInt8(id))))
        }
        async let first: Void = driver.sync(iface: 0)
        async let second: Void = driver.sync(iface: 0)
        async let other: Void = driver.sync(iface: 1)
        _ = try await (first, second, other)
        let events = recorder.events
        let durable = Set(events.compactMap { if case let .durable(id) = $0.kind { id } else { nil } })
        XCTAssertEqual(durable, Set(1 ... 50), "every write is durable once the syncs returned")
        let dones = events.filter { if case .syncDone = $0.kind { true } else { false } }
        XCTAssertEqual(dones.count, 3)
        try await driver.shutdown()
    }

    func testRefusalsAreThrownAndRecordNothing() async throws {
        let recorder = MemoryRecorder()
        let (driver, device) = try await formatted(recorder: recorder)
        try await driver.write(WriteRequest(iface: 0, id: 1, offset: 0, bytes: [1]))
        let before = recorder.events.count
        let limit = driver.maxRequestBytes()
        let cases: [(WriteRequest, RequestRefusal)] = [
            (WriteRequest(iface: 0, id: 1, offset: 10, bytes: [2]), .duplicateID(1)),
            (WriteRequest(iface: 0, id: 2, offset: driver.layout.dataBytes, bytes: [2]),
             .outOfRange(id: 2, offset: driver.layout.dataBytes, length: 1, capacity: driver.layout.dataBytes)),
            (WriteRequest(iface: 0, id: 3, offset: 0, bytes: [UInt8](repeating: 0, count: limit + 1)),
             .tooLarge(id: 3, length: limit + 1, limit: limit)),
            (WriteRequest(iface: 0, id: 4, offset: 0, bytes: [2], deps: [99]), .unknownDependency(id: 4, dep: 99)),
            (WriteRequest(iface: -1, id: 5, offset: 0, bytes: [2]), .badInterface(-1)),
        ]
        for (request, expected) in cases {
            do {
                try await driver.write(request)
                XCTFail("request \(request.id) should be refused")
            } catch {
                XCTAssertEqual(error as? RequestRefusal, expected)
            }
        }
        // Request 1's persistence goes on in the background (its `durable` may be recorded
        // meanwhile); anything else recorded since would come from a refusal.
        let others = recorder.events.dropFirst(before).filter { event in
            switch event.kind {
            case .stage(1, _), .complete(1), .durable(1): false
            default: true
            }
        }
        XCTAssertEqual(others.map(\.kind), [], "a refusal records nothing")
        try await driver.write(WriteRequest(iface: 0, id: 6, offset: 0, bytes: pattern(limit, 6), deps: []))
        do {
            _ = try await driver.powerCut(seed: 1)
            XCTFail("a power cut needs a volatile cache")
        } catch {
            XCTAssertEqual(error as? LiveDriverError, .noVolatileCache(device: device.path))
        }
        try await driver.shutdown()
        do {
            try await driver.write(WriteRequest(iface: 0, id: 7, offset: 0, bytes: [1]))
            XCTFail("writes after shutdown must throw")
        } catch {
            XCTAssertEqual(error as? LiveDriverError, .stopped)
        }
    }

    func testBackPressureWithTinyStaging() async throws {
        let recorder = MemoryRecorder()
        let staging = StagingConfig(stagingBytes: 128 << 10, regionBytes: 64 << 10)
        let (driver, _) = try await formatted(bytes: 8 << 20, staging: staging, recorder: recorder)
        let model = DriverModel(seed: 7, forwardingTo: DiscardingRecorder())
        let perTask = 400
        try await withThrowingTaskGroup(of: Void.self) { group in
            for iface in 0 ..< 4 {
                group.addTask {
                    for n in 0 ..< perTask {
                        let id = iface * perTask + n + 1
                        let length = 1000 + (id * 7919) % 9000
                        let offset = (id * 104_729) % (driver.layout.dataBytes - length)
                        try await driver.write(WriteRequest(
                            iface: iface, id: id, offset: offset, bytes: model.payload(id: id, length: length)))
                    }
                }
            }
            try await group.waitForAll()
        }
        let events = recorder.events
        for event in events { model.record(event) }
        // Some request waited for room: other events came between its submit and its stage.
        var waited = 0
        for (i, event) in events.enumerated() {
            if case let .submit(_, id, _, _, _) = event.kind, i + 1 < events.count {
                if case let .stage(staged, _) = events[i + 1].kind, staged == id { continue }
                waited += 1
            }
        }
        XCTAssertGreaterThan(waited, 0, "4 writers of ~6 KiB on 128 KiB of staging must wait for room")
        XCTAssertEqual(model.counts.completed, 4 * perTask)
        let verification = try await model.verify(through: driver, label: "back-pressure")
        XCTAssertTrue(verification.passed, verification.mismatches.map(\.description).joined(separator: "\n"))
        try await driver.shutdown()
    }

    func testPowerCutsRecoverAndPassTheModelAndTheChecker() async throws {
        for seed: UInt64 in [1, 2, 3, 4, 5] {
            let tracePath = temporaryPath(".jsonl")
            let file = try FileRecorder(path: tracePath, system: .driver)
            let base = try FileBlockDevice.create(path: temporaryPath(), bytes: 16 << 20)
            let device = VolatileCacheDevice(base: base, name: "cache")
            let model = DriverModel(seed: seed, forwardingTo: file)
            let driver = try await LiveDriver.format(device: device, staging: Self.small, recorder: model)
            var workload = DriverWorkload(requests: 1200, ifaces: 3, crashAt: 700 + Int(seed) * 50, seed: seed)
            workload.syncEvery = 50
            workload.largeMax = 48 << 10
            let report = try await workload.run(driver: driver, device: device, model: model)
            try file.close()
            let crash = try XCTUnwrap(report.crash, "seed \(seed)")
            XCTAssertTrue(crash.verification.passed, "seed \(seed): " + crash.verification.mismatches.map(\.description).joined(separator: "\n"))
            XCTAssertTrue(report.finalVerification?.passed ?? false, "seed \(seed): "
                + (report.finalVerification?.mismatches.map(\.description).joined(separator: "\n") ?? "no final verification"))
            XCTAssertLessThanOrEqual(crash.recovered + crash.lost, crash.verification.requests, "seed \(seed)")
            XCTAssertEqual(crash.verification.lost, crash.lost, "seed \(seed): the lost requests are those of the crashed epoch recovery did not name")
            XCTAssertGreaterThan(crash.verification.bytesCompared, 0)
            XCTAssertEqual(report.events.crashes, 1)
            assertPasses(tracePath)
        }
    }

    func testPowerCutsLandWithWritesInTheCacheAndRecover() async throws {
        // The cut holds flushes and lands once nothing else is queued: with four writers busy on
        // a memory medium, it finds the writes since the last flush in the cache.
        var cached = 0, torn = 0
        for seed: UInt64 in [11, 12, 13] {
            let tracePath = temporaryPath(".jsonl")
            let file = try FileRecorder(path: tracePath, system: .driver)
            let device = VolatileCacheDevice(base: MemoryBlockDevice(blockCount: 4096, name: "memory"), name: "cache")
            let model = DriverModel(seed: seed, forwardingTo: file)
            let driver = try await LiveDriver.format(device: device, staging: Self.small, recorder: model)
            var workload = DriverWorkload(requests: 600, ifaces: 4, crashAt: 400, seed: seed)
            workload.largeMax = 32 << 10
            let report = try await workload.run(driver: driver, device: device, model: model)
            try file.close()
            let crash = try XCTUnwrap(report.crash)
            cached += crash.cut.writes
            torn += crash.cut.torn
            XCTAssertEqual(crash.cut.writes, crash.cut.lost + crash.cut.durable + crash.cut.torn, "seed \(seed)")
            XCTAssertTrue(crash.verification.passed, "seed \(seed): " + crash.verification.mismatches.map(\.description).joined(separator: "\n"))
            XCTAssertTrue(report.passed, "seed \(seed)")
            assertPasses(tracePath)
        }
        XCTAssertGreaterThan(cached, 0, "the cuts found unflushed writes in the cache")
        print("live cuts: \(cached) cached writes, \(torn) torn")
    }

    /// Writes `ids` of `length` bytes each (payloads of `model`) on interface 0.
    private func write(_ ids: ClosedRange<Int>, length: Int, _ driver: LiveDriver, _ model: DriverModel) async throws {
        for id in ids {
            let offset = (id * 7_919) % (driver.layout.dataBytes - length)
            try await driver.write(WriteRequest(iface: 0, id: id, offset: offset, bytes: model.payload(id: id, length: length)))
        }
    }

    func testACutWithFlushesHeldCatchesEveryLaterWriteAndTheModelVerifies() async throws {
        for seed: UInt64 in [1, 2, 3] {
            let tracePath = temporaryPath(".jsonl")
            let file = try FileRecorder(path: tracePath, system: .driver)
            let device = VolatileCacheDevice(base: try FileBlockDevice.create(path: temporaryPath(), bytes: 16 << 20), name: "cache")
            let model = DriverModel(seed: seed, forwardingTo: file)
            let driver = try await LiveDriver.format(device: device, staging: Self.small, recorder: model)
            try await write(1 ... 40, length: 3000, driver, model)
            try await driver.sync(iface: 0)
            // From here on no flush is done (unless a write waits for room): requests 41...80
            // are staged, and their journal segments written into the cache, not flushed.
            driver.holdFlushes()
            try await write(41 ... 80, length: 3000, driver, model)
            let cut = try await driver.powerCut(seed: seed, tornFraction: 1)
            // Every cached write spans whole blocks (8 sectors), so each one is torn.
            XCTAssertGreaterThan(cut.writes, 0, "seed \(seed)")
            XCTAssertEqual(cut.torn, cut.writes, "seed \(seed)")
            let verification = try await model.verify(through: driver, label: "after the cut")
            XCTAssertTrue(verification.passed, "seed \(seed): " + verification.mismatches.map(\.description).joined(separator: "\n"))
            XCTAssertEqual(verification.requests, 80)
            XCTAssertGreaterThanOrEqual(verification.survivors, 40, "seed \(seed): the synced requests survive")
            XCTAssertGreaterThanOrEqual(model.counts.durable, 40, "seed \(seed): the synced requests are durable")
            try await driver.shutdown()
            try file.close()
            assertPasses(tracePath)
        }
    }

    func testAHaltWithFlushesHeldLeavesWritesInTheCacheForTheRecovery() async throws {
        let tracePath = temporaryPath(".jsonl")
        let file = try FileRecorder(path: tracePath, system: .driver)
        let device = VolatileCacheDevice(base: try FileBlockDevice.create(path: temporaryPath(), bytes: 16 << 20), name: "cache")
        let model = DriverModel(seed: 4, forwardingTo: file)
        let driver = try await LiveDriver.format(device: device, staging: Self.small, recorder: model)
        try await write(1 ... 30, length: 2000, driver, model)
        try await driver.sync(iface: 0)
        driver.holdFlushes()
        try await write(31 ... 60, length: 2000, driver, model)
        let lastSeq = driver.halt()
        XCTAssertGreaterThan(device.pendingWrites, 0, "the halt left unflushed writes in the cache")
        let cut = try device.cut(seed: 4)
        XCTAssertEqual(cut.writes, cut.lost + cut.durable + cut.torn)
        let recovered = try await LiveDriver.recover(device: device, recorder: model, lastSeq: lastSeq)
        let verification = try await model.verify(through: recovered, label: "after the halt and recovery")
        XCTAssertTrue(verification.passed, verification.mismatches.map(\.description).joined(separator: "\n"))
        XCTAssertEqual(model.counts.crashes, 1)
        XCTAssertEqual(model.crashFates().recovered + model.crashFates().lost, 60)
        XCTAssertGreaterThanOrEqual(model.crashFates().recovered, 30, "the synced requests survive")
        try await recovered.shutdown()
        try file.close()
        assertPasses(tracePath)
    }

    func testPowerCutFailsWaitersAndTheDriverServesAgain() async throws {
        let recorder = MemoryRecorder()
        let base = try FileBlockDevice.create(path: temporaryPath(), bytes: 8 << 20)
        let device = VolatileCacheDevice(base: base, name: "cache")
        let staging = StagingConfig(stagingBytes: 128 << 10, regionBytes: 64 << 10)
        let driver = try await LiveDriver.format(device: device, staging: staging, recorder: recorder)
        // Fill staging from a writer that keeps going, then cut while it waits for room.
        let writer = Task {
            var outcomes: [String] = []
            for id in 1 ... 400 {
                do {
                    try await driver.write(WriteRequest(iface: 0, id: id, offset: id * 512, bytes: [UInt8](repeating: UInt8(id % 251), count: 8000)))
                    outcomes.append("ok")
                } catch {
                    outcomes.append("\(error)")
                    break
                }
            }
            return outcomes
        }
        try await Task.sleep(for: .milliseconds(5))
        let report = try await driver.powerCut(seed: 9)
        let outcomes = await writer.value
        XCTAssertGreaterThanOrEqual(report.writes, report.lost + report.durable + report.torn)
        if outcomes.count < 400 {
            XCTAssertTrue(outcomes.last!.contains("power") || outcomes.last!.contains("not online"), outcomes.last!)
        }
        XCTAssertNotNil(driver.lastRecovery)
        // Online again: a new epoch takes requests.
        try await driver.write(WriteRequest(iface: 0, id: 10_000, offset: 0, bytes: [42]))
        try await driver.sync(iface: 0)
        let back = try await driver.read(offset: 0, length: 1)
        XCTAssertEqual(back, [42])
        try await driver.shutdown()
        let kinds = recorder.events.map(\.kind.name)
        XCTAssertEqual(kinds.filter { $0 == "crash" }.count, 1)
        XCTAssertEqual(kinds.filter { $0 == "online" }.count, 1)
    }

    func testMountRefusesANonImageAndLeavesItByteIdentical() async throws {
        var random = SplitMix64(seed: 5)
        let noise = (0 ..< (1 << 20)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        for (content, expected) in [(noise, DriverImageError.notAnImage), (zeros, .notAnImage)] {
            let path = temporaryPath()
            try Data(content).write(to: URL(fileURLWithPath: path))
            let device = try FileBlockDevice.open(path: path)
            do {
                _ = try await LiveDriver.mount(device: device, recorder: MemoryRecorder())
                XCTFail("mount of a non-image must fail")
            } catch {
                XCTAssertEqual(error as? LiveDriverError, .image(device: path, expected))
            }
            device.close()
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data(content), "the file is untouched")
        }
    }

    func testMountRefusesADamagedImageAndLeavesItByteIdentical() async throws {
        let (driver, device) = try await formatted()
        try await driver.write(WriteRequest(iface: 0, id: 1, offset: 5, bytes: pattern(5000, 1)))
        try await driver.shutdown()
        device.close()
        let path = device.path
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // Damage both superblock copies (a byte inside the checksummed fields of each).
        bytes[20] ^= 0xFF
        bytes[4096 + 20] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let damaged = try FileBlockDevice.open(path: path)
        do {
            _ = try await LiveDriver.mount(device: damaged, recorder: MemoryRecorder())
            XCTFail("mount of a damaged image must fail")
        } catch {
            XCTAssertEqual(error as? LiveDriverError, .image(device: path, .damagedSuperblock))
        }
        damaged.close()
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), bytes, "the file is untouched")
    }

    func testShutdownThenMountSeesTheData() async throws {
        let (driver, device) = try await formatted()
        var expected: [(Int, [UInt8])] = []
        for id in 1 ... 300 {
            let bytes = pattern(100 + id * 13 % 3000, UInt8(id % 256))
            let offset = (id * 7_777) % (driver.layout.dataBytes - bytes.count)
            try await driver.write(WriteRequest(iface: id % 3, id: id, offset: offset, bytes: bytes))
            expected.append((offset, bytes))
        }
        try await driver.shutdown()
        device.close()
        let reopened = try FileBlockDevice.open(path: device.path)
        let (mounted, summary) = try await LiveDriver.mount(device: reopened, recorder: MemoryRecorder())
        XCTAssertEqual(summary.segments, 0, "a clean shutdown leaves nothing to replay")
        var image = [UInt8](repeating: 0, count: mounted.layout.dataBytes)
        for (offset, bytes) in expected { image.replaceSubrange(offset ..< offset + bytes.count, with: bytes) }
        let back = try await mounted.read(offset: 0, length: 4 << 20)
        XCTAssertEqual(back, Array(image[0 ..< 4 << 20]))
        try await mounted.shutdown()
    }

    func testADeviceErrorIsFatalForWaitersAndLaterCalls() async throws {
        let base = try FileBlockDevice.create(path: temporaryPath(), bytes: 8 << 20)
        let failing = FailingDevice(base: base)
        let staging = StagingConfig(stagingBytes: 128 << 10, regionBytes: 64 << 10)
        let driver = try await LiveDriver.format(device: failing, staging: staging, recorder: MemoryRecorder())
        failing.failFlushes()
        try await driver.write(WriteRequest(iface: 0, id: 1, offset: 0, bytes: [1, 2, 3]))
        do {
            try await driver.sync(iface: 0)
            XCTFail("the sync must see the device error (waiting for it, or after it)")
        } catch {
            XCTAssertEqual((error as? BlockDeviceError)?.operation, "flush")
        }
        do {
            _ = try await driver.read(offset: 0, length: 3)
            XCTFail("later calls must throw")
        } catch {
            XCTAssertEqual((error as? BlockDeviceError)?.operation, "flush")
        }
    }
}

/// A device over another whose flushes fail once told to. Called from the I/O thread only; the
/// switch is guarded by a lock.
private final class FailingDevice: BlockDevice, @unchecked Sendable {
    let base: any BlockDevice
    private let lock = NSLock()
    private var failing = false

    init(base: any BlockDevice) { self.base = base }

    var blockSize: Int { base.blockSize }
    var blockCount: Int { base.blockCount }

    func failFlushes() { lock.withLock { failing = true } }

    func read(block: Int, count: Int) throws(BlockDeviceError) -> [UInt8] { try base.read(block: block, count: count) }
    func write(block: Int, _ bytes: [UInt8], fua: Bool) throws(BlockDeviceError) { try base.write(block: block, bytes, fua: fua) }
    func flush() throws(BlockDeviceError) {
        if lock.withLock({ failing }) {
            throw BlockDeviceError(operation: "flush", device: "failing", message: "injected")
        }
        try base.flush()
    }
}
