import Checker
import Driver
import Foundation
import Specs
import Trace
import XCTest

/// Crash tests on the simulated device: for many seeds, a random workload with I/O completing
/// out of order, power cut at a random moment (a random subset of unflushed writes durable, some
/// torn), sometimes again during recovery; then the data area must equal the model byte for
/// byte and the trace must pass the driver spec.
final class DriverCrashTests: XCTestCase {
    /// The bytes callers wrote, as the driver must show them.
    struct Model {
        /// The data area as of the last online (what recovery must have left).
        var base: [UInt8]
        /// The data area with every staged request of the epoch applied.
        var current: [UInt8]
        /// The epoch's requests by id, and their arrival order.
        var requests: [Int: WriteRequest] = [:]
        var arrivals: [Int] = []

        init(size: Int) {
            base = [UInt8](repeating: 0, count: size)
            current = base
        }

        mutating func staged(_ id: Int) {
            let r = requests[id]!
            current.replaceSubrange(r.offset ..< r.offset + r.bytes.count, with: r.bytes)
        }

        /// A crash recovered `recovered`: the new base is the old one with those requests applied
        /// in arrival order.
        mutating func recover(_ recovered: Set<Int>) {
            for id in arrivals where recovered.contains(id) {
                let r = requests[id]!
                base.replaceSubrange(r.offset ..< r.offset + r.bytes.count, with: r.bytes)
            }
            current = base
            requests = [:]
            arrivals = []
        }
    }

    struct Run {
        var crashes = 0
        var recoveryCrashes = 0
        var torn = 0
        var recovered = 0
        var submitted = 0
        /// Recoveries whose journal scan ended at a stale segment (an earlier pass of the ring).
        var staleStops = 0
        var tornStops = 0
        /// Requests that covered whole chunks (written out of place).
        var large = 0
    }

    /// One seeded run; returns what it did. Fails the test on any mismatch.
    @discardableResult
    func run(
        seed: UInt64, steps: Int = 400, crashes: Int = 2, withChecker: Bool = false,
        file: StaticString = #filePath, line: UInt = #line
    ) -> Run {
        let sim = SimulatedDriver(blockCount: 1024, seed: seed)
        // One-block chunks, so that requests of whole blocks go out of place.
        sim.format(staging: StagingConfig(stagingBytes: 4 * 16384, regionBytes: 16384, chunkBytes: 4096))
        guard let layout = sim.core.layout else {
            XCTFail("format failed: \(String(describing: sim.failure))", file: file, line: line)
            return Run()
        }
        var rng = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15)
        var model = Model(size: layout.dataBytes)
        var nextID = 1
        var seenCompleted = 0
        var stats = Run()
        let crashSteps = Set((0 ..< crashes).map { _ in Int(rng.next() % UInt64(steps)) })

        func syncModel() {
            while seenCompleted < sim.completed.count {
                model.staged(sim.completed[seenCompleted])
                seenCompleted += 1
            }
        }

        for step in 0 ..< steps {
            let roll = rng.next() % 100
            if roll < 45 {
                let window = rng.next() % 4 == 0 ? layout.dataBytes : 64 * 1024
                var length = rng.next() % 10 == 0 ? 1 + Int(rng.next() % 12000) : 1 + Int(rng.next() % 3000)
                var offset = Int(rng.next() % UInt64(window - length))
                if rng.next() % 5 == 0 {
                    // Whole chunks, written out of place.
                    length = 4096 * (1 + Int(rng.next() % 3))
                    offset = 4096 * Int(rng.next() % UInt64((window - length) / 4096))
                    stats.large += 1
                }
                var deps: [Int] = []
                if rng.next() % 10 == 0, !model.arrivals.isEmpty {
                    deps = [model.arrivals[Int(rng.next() % UInt64(model.arrivals.count))]]
                }
                let bytes = (0 ..< length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                let request = WriteRequest(iface: Int(rng.next() % 3), id: nextID, offset: offset, bytes: bytes, deps: deps)
                nextID += 1
                model.requests[request.id] = request
                model.arrivals.append(request.id)
                stats.submitted += 1
                sim.send(.submit(request))
            } else if roll < 50 {
                sim.send(.sync(iface: Int(rng.next() % 3)))
            } else if roll < 55 {
                sim.send(.idle)
            } else if roll < 60 {
                syncModel()
                let offset = Int(rng.next() % UInt64(64 * 1024))
                let length = 1 + Int(rng.next() % 8192)
                let got = sim.read(offset: offset, length: length)
                XCTAssert(got == Array(model.current[offset ..< offset + length]),
                               "seed \(seed) step \(step): read of \(length) at \(offset)", file: file, line: line)
            } else {
                for _ in 0 ..< 1 + Int(rng.next() % 3) { sim.step() }
            }
            syncModel()
            XCTAssertEqual(sim.refusals, [], "seed \(seed)", file: file, line: line)
            if sim.refusals.count > 0 { return stats }

            if crashSteps.contains(step) {
                let crashAt = sim.events.count
                stats.torn += sim.powerCut().torn
                stats.crashes += 1
                // Sometimes power fails again during the recovery.
                while rng.next() % 3 == 0 {
                    for _ in 0 ..< Int(rng.next() % 6) { sim.step() }
                    if sim.core.phase == .online { break }
                    sim.powerCut()
                    stats.recoveryCrashes += 1
                }
                sim.drain()
                guard sim.core.phase == .online else {
                    XCTFail("seed \(seed): not online after recovery: \(String(describing: sim.failure))", file: file, line: line)
                    return stats
                }
                var recovered = Set<Int>()
                for e in sim.events[crashAt...] { if case let .recovered(id) = e.kind { recovered.insert(id) } }
                stats.recovered += recovered.count
                if sim.summaries.last?.stop == "stale" { stats.staleStops += 1 }
                if sim.summaries.last?.stop == "torn" { stats.tornStops += 1 }
                // The driver's own promise is stronger than per interface: a prefix of all arrivals.
                let prefix = model.arrivals.prefix(while: { recovered.contains($0) }).count
                XCTAssertEqual(prefix, recovered.count, "seed \(seed): recovered ids are not a prefix of arrivals", file: file, line: line)
                model.recover(recovered)
                seenCompleted = sim.completed.count
                XCTAssert(sim.dataArea() == model.base, "seed \(seed): data area differs from the model after recovery", file: file, line: line)
            }
        }
        sim.send(.shutdown)
        sim.drain()
        syncModel()
        XCTAssertTrue(sim.stopped, "seed \(seed): shutdown did not finish", file: file, line: line)
        XCTAssert(sim.dataArea() == model.current, "seed \(seed): data area differs from the model after shutdown", file: file, line: line)
        do {
            let outcome = try SpecRunner.run(DriverSpec.self, events: sim.events)
            XCTAssertEqual(outcome.violations.map { "\($0.invariant): \($0.message)" }, [], "seed \(seed)", file: file, line: line)
        } catch {
            XCTFail("seed \(seed): trace is not valid input: \(error)", file: file, line: line)
        }
        if withChecker { assertCheckerPasses(sim.events, seed: seed, file: file, line: line) }
        return stats
    }

    /// Writes the trace to a file and checks it with the checker (Z3 proofs and the graph engine).
    func assertCheckerPasses(_ events: [TraceEvent], seed: UInt64, file: StaticString, line: UInt) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("driver-crash-\(seed)-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var bytes: [UInt8] = []
        TraceEncoder.append(TraceHeader(system: .driver), to: &bytes)
        for event in events { TraceEncoder.append(event, to: &bytes) }
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let report = Checker().check(files: [path])
        XCTAssertEqual(report.verdict, .pass, "seed \(seed): " + report.violations.map { "\($0.invariant): \($0.message)" }
            .joined(separator: "; ") + (report.error.map { " \($0)" } ?? ""), file: file, line: line)
    }

    func testCrashAtRandomPointsForManySeeds() {
        var total = Run()
        for seed in 1 ... 150 {
            let r = run(seed: UInt64(seed), withChecker: seed % 10 == 0)
            total.crashes += r.crashes
            total.recoveryCrashes += r.recoveryCrashes
            total.torn += r.torn
            total.recovered += r.recovered
            total.submitted += r.submitted
            total.staleStops += r.staleStops
            total.tornStops += r.tornStops
            total.large += r.large
        }
        // The runs must really exercise crashes, torn writes and crashes during recovery.
        XCTAssertGreaterThan(total.crashes, 200)
        XCTAssertGreaterThan(total.torn, 20)
        XCTAssertGreaterThan(total.recoveryCrashes, 20)
        XCTAssertGreaterThan(total.recovered, 1000)
        XCTAssertGreaterThan(total.staleStops, 10)
        XCTAssertGreaterThan(total.tornStops, 2)
        XCTAssertGreaterThan(total.large, 1000)
        print("driver crash runs: \(total)")
    }
}
