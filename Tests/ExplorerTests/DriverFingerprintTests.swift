import Driver
@testable import Explorer
import Specs
import Trace
import XCTest

/// The driver's fingerprint hashes the core and the spec field by field; a field added later
/// and forgotten there would merge states that differ. Over many explored states, states whose
/// explicit hashes agree must agree in a reflection encoding of every stored field too.
final class DriverFingerprintTests: XCTestCase {
    /// States of random walks through a configuration with torn writes and a crash.
    func states() throws -> [DriverSimulation] {
        let start = try XCTUnwrap(DriverSimulation(parsing: "ifaces=2 requests=3 crashes=1 torn=1"))
        var result: [DriverSimulation] = []
        var rng = SplitMix64(seed: 0xD15C)
        for _ in 0..<150 {
            var state = start
            result.append(state)
            while true {
                let choices = state.choices()
                if choices.isEmpty { break }
                state.apply(choices[Int(rng.next() % UInt64(choices.count))])
                result.append(state)
            }
        }
        return result
    }

    func testEqualCoreHashesMeanEqualCores() throws {
        var encodings: [UInt64: [UInt8]] = [:]
        var distinct = 0
        for state in try states() {
            var hasher = StableHasher()
            state.core.hash(into: &hasher)
            var encoder = DriverStateEncoder()
            encoder.skipped = ["layout", "node", "faults", "index", "limit"]
            encoder.encode(state.core)
            if let seen = encodings[hasher.value] {
                XCTAssertEqual(seen, encoder.bytes, "two cores with one hash differ")
            } else {
                encodings[hasher.value] = encoder.bytes
                distinct += 1
            }
        }
        XCTAssertEqual(Set(encodings.values).count, distinct, "two cores with different hashes encode alike")
        XCTAssertGreaterThan(distinct, 200)
    }

    func testEqualSpecHashesMeanEqualSpecs() throws {
        var encodings: [UInt64: [UInt8]] = [:]
        for state in try states() {
            var hasher = StableHasher()
            state.monitor.spec.hash(into: &hasher)
            var encoder = DriverStateEncoder()
            encoder.skipped = ["seq", "line", "file", "node", "lostAt"]
            encoder.stampsAsNames = true
            encoder.encode(state.monitor.spec)
            if let seen = encodings[hasher.value] {
                XCTAssertEqual(seen, encoder.bytes, "two specs with one hash differ")
            } else {
                encodings[hasher.value] = encoder.bytes
            }
        }
        XCTAssertEqual(Set(encodings.values).count, encodings.count, "two specs with different hashes encode alike")
        XCTAssertGreaterThan(encodings.count, 50)
    }
}
