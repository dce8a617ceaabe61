import Driver
import Trace
import XCTest

/// The shared model of expected contents (`DriverContentsModel`): what it says from a trace, and
/// that the simulated driver's data area matches it after random crashes.
final class DriverContentsModelTests: XCTestCase {
    private var seq = 0

    private func event(_ kind: EventKind) -> TraceEvent {
        seq += 1
        return TraceEvent(node: "driver", seq: seq, kind: kind)
    }

    /// Request `id`'s bytes: `length` copies of `id`.
    private func bytes(_ request: DriverContentsModel.Request) -> [UInt8] {
        [UInt8](repeating: UInt8(request.id), count: request.length)
    }

    private func submit(_ model: inout DriverContentsModel, id: Int, offset: Int, length: Int, complete: Bool = true) {
        model.observe(event(.submit(iface: 0, id: id, off: offset, len: length, deps: [])))
        if complete { model.observe(event(.complete(id: id))) }
    }

    func testStagedRequestsShowInArrivalOrderAndUnstagedOnesDoNot() {
        var model = DriverContentsModel(base: [UInt8](repeating: 0, count: 8))
        submit(&model, id: 1, offset: 0, length: 4)
        submit(&model, id: 2, offset: 2, length: 4)
        submit(&model, id: 3, offset: 6, length: 2, complete: false)
        XCTAssertEqual(model.expected(bytes: bytes), [1, 1, 2, 2, 2, 2, 0, 0])
        XCTAssertEqual(model.expected(1 ..< 4, initial: [9, 9, 9], bytes: bytes), [1, 2, 2])
        XCTAssertEqual(model.arrivals, [1, 2, 3])
        XCTAssertEqual(model.knownCount, 3)
    }

    func testACrashKeepsWhatRecoveryNamesAcrossPassesAndFoldsIt() {
        var model = DriverContentsModel(base: [UInt8](repeating: 0, count: 8))
        submit(&model, id: 1, offset: 0, length: 4)
        submit(&model, id: 2, offset: 2, length: 4)
        submit(&model, id: 3, offset: 4, length: 4)
        model.observe(event(.crash))
        XCTAssertTrue(model.recovering)
        XCTAssertEqual(model.knownCount, 0, "the crashed epoch's ids are unknown until recovered")
        model.observe(event(.recovered(id: 1)))
        // Power fails again during the recovery; the next pass names only request 2.
        model.observe(event(.crash))
        model.observe(event(.recovered(id: 2)))
        model.observe(event(.online))
        XCTAssertFalse(model.recovering)
        XCTAssertEqual(model.crashFates.recovered, 2)
        XCTAssertEqual(model.crashFates.lost, 1)
        XCTAssertEqual(model.recoveredThisPass, [2])
        XCTAssertEqual((0 ..< model.knownCount).map(model.knownID(at:)), [2])
        XCTAssertEqual(model.expected(bytes: bytes), [1, 1, 2, 2, 2, 2, 0, 0])
        model.fold(bytes: bytes)
        XCTAssertEqual(model.base, [1, 1, 2, 2, 2, 2, 0, 0])
        XCTAssertEqual(model.requests.count, 0, "the finished epoch is folded into the base")
        submit(&model, id: 4, offset: 7, length: 1)
        XCTAssertEqual(model.expected(bytes: bytes), [1, 1, 2, 2, 2, 2, 0, 4])
        XCTAssertEqual(model.arrivals, [4])
    }

    func testWritersThroughTheIndexAreThoseOfAFullScan() {
        var model = DriverContentsModel()
        var random = SplitMix64(seed: 3)
        for id in 1 ... 500 {
            submit(&model, id: id, offset: Int(random.next() % 3_000_000), length: 1 + Int(random.next() % 70_000))
        }
        let index = model.writerIndex(shift: 16)
        for start in stride(from: 0, to: 3_200_000, by: 150_001) {
            let range = start ..< start + 40_000
            XCTAssertEqual(model.writers(of: range, index: index).map(\.id), model.writers(of: range).map(\.id))
        }
    }

    func testHashesTellApartWhatTheModelWouldAnswerDifferently() {
        var a = DriverContentsModel(base: [0, 0])
        var b = a
        submit(&a, id: 1, offset: 0, length: 1)
        submit(&b, id: 1, offset: 0, length: 1, complete: false)
        var ha = StableHasher(), hb = StableHasher()
        a.hash(into: &ha)
        b.hash(into: &hb)
        XCTAssertNotEqual(ha.value, hb.value)
    }

    /// The hash is kept as the requests change (not recomputed from them): the same requests in
    /// the same order hash alike however their `complete` events interleaved; another arrival
    /// order, or a request recovered, hashes otherwise.
    func testHashesFollowArrivalOrderNotTheOrderOfCompletions() {
        func value(_ model: DriverContentsModel) -> UInt64 {
            var h = StableHasher()
            model.hash(into: &h)
            return h.value
        }
        var a = DriverContentsModel(base: [0, 0, 0, 0])
        var b = a
        var c = a
        for id in 1 ... 40 { submit(&a, id: id, offset: id % 4, length: 1) }
        for id in 1 ... 40 { submit(&b, id: id, offset: id % 4, length: 1, complete: false) }
        for id in (1 ... 40).reversed() { b.observe(event(.complete(id: id))) }
        XCTAssertEqual(value(a), value(b))
        for id in [2, 1] + Array(3 ... 40) { submit(&c, id: id, offset: id % 4, length: 1) }
        XCTAssertNotEqual(value(a), value(c))
        var recovered = a
        recovered.observe(event(.crash))
        var crashed = a
        crashed.observe(event(.crash))
        recovered.observe(event(.recovered(id: 7)))
        // A second power loss empties this pass's list in both: only the flag tells them apart.
        recovered.observe(event(.crash))
        crashed.observe(event(.crash))
        XCTAssertNotEqual(value(recovered), value(crashed))
    }

    func testTheSimulatedDriverMatchesTheModelAfterEveryCrash() {
        var crashes = 0, torn = 0, reads = 0
        for seed: UInt64 in 1 ... 30 {
            let sim = SimulatedDriver(blockCount: 1024, seed: seed)
            sim.format(staging: StagingConfig(stagingBytes: 4 * 16384, regionBytes: 16384))
            guard let layout = sim.core.layout else { return XCTFail("seed \(seed): format failed") }
            var random = SplitMix64(seed: seed &* 31)
            var id = 0
            for step in 0 ..< 300 {
                switch random.next() % 10 {
                case 0 ..< 5:
                    id += 1
                    let length = 1 + Int(random.next() % 3000)
                    let offset = Int(random.next() % UInt64(layout.dataBytes - length))
                    let bytes = (0 ..< length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                    sim.send(.submit(WriteRequest(iface: Int(random.next() % 2), id: id, offset: offset, bytes: bytes)))
                case 5:
                    sim.send(.sync(iface: 0))
                case 6:
                    let offset = Int(random.next() % UInt64(layout.dataBytes - 4096))
                    XCTAssertEqual(sim.read(offset: offset, length: 4096), Array(sim.expectedDataArea()[offset ..< offset + 4096]),
                                   "seed \(seed) step \(step): a read shows the staged requests")
                    reads += 1
                default:
                    for _ in 0 ..< 3 { sim.step() }
                }
                if step % 97 == 96 {
                    torn += sim.powerCut().torn
                    crashes += 1
                    sim.drain()
                    XCTAssertEqual(sim.core.phase, .online, "seed \(seed)")
                    XCTAssertTrue(sim.dataArea() == sim.expectedDataArea(), "seed \(seed) step \(step): after recovery")
                    XCTAssertEqual(sim.model.requests.count, 0, "seed \(seed): the model folded the finished epoch")
                }
            }
            sim.send(.shutdown)
            sim.drain()
            XCTAssertTrue(sim.stopped, "seed \(seed)")
            XCTAssertTrue(sim.dataArea() == sim.expectedDataArea(), "seed \(seed): after shutdown")
        }
        XCTAssertEqual(crashes, 90)
        XCTAssertGreaterThan(torn, 0)
        XCTAssertGreaterThan(reads, 100)
    }
}
