@testable import Driver
@testable import Explorer
@testable import Specs
import Trace
import XCTest

/// The driver's fingerprint hashes the core and the spec field by field; a field added later
/// and forgotten there would merge states that differ. Over many explored states, states whose
/// explicit hashes agree must agree in a reflection encoding of every stored field too (of the
/// core's canonical form: its counters as the fingerprint reads them, `DriverCore.canonical()`),
/// and that canonical form must act as the original core does.
final class DriverFingerprintTests: XCTestCase {
    /// States of random walks through a configuration with torn writes and a crash.
    func states() throws -> [DriverSimulation] {
        try walks("ifaces=2 requests=3 crashes=1 torn=1", seed: 0xD15C, count: 150)
    }

    func testEqualCoreHashesMeanEqualCores() throws {
        var encodings: [UInt64: [UInt8]] = [:]
        var distinct = 0
        for state in try states() {
            var hasher = StableHasher()
            state.core.hash(into: &hasher)
            var encoder = DriverStateEncoder()
            // The digests of what changes seldom, and their flags, are hashes of what is
            // encoded, and when they were taken.
            encoder.skipped = [
                "layout", "node", "faults", "index", "limit", "contentDigest", "contentChanged", "mapsDigest",
                "mapsChanged", "checkpointDigest", "checkpointChanged",
            ]
            encoder.encode(state.core.canonical())
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

    /// The digests of what changes seldom (`DriverCore.refreshDigests()`) stand for what they
    /// cover: at every state of random walks, the core's hash reading them is the hash of the
    /// same core with every one marked changed, which hashes the parts themselves. And a
    /// change that is not yet refreshed is seen: the hash differs once a part changes.
    func testSeldomChangedPartsHashAsTheirDigests() throws {
        var checked = 0, changedParts = 0
        for state in try states() {
            var cached = StableHasher()
            state.core.hash(into: &cached)
            // Each part set to itself: unchanged, but marked changed.
            var fresh = state.core
            let map = fresh.chunkMap, ledger = fresh.journal.ledger
            fresh.chunkMap = map
            fresh.journal.ledger = ledger
            for r in fresh.regions.indices {
                let displaced = fresh.regions[r].displaced
                fresh.regions[r].displaced = displaced
            }
            XCTAssertTrue(fresh.mapsChanged && fresh.journal.checkpointChanged)
            var recomputed = StableHasher()
            fresh.hash(into: &recomputed)
            XCTAssertEqual(cached.value, recomputed.value, "a digest differs from what it covers")
            checked += 1
            if let r = fresh.regions.indices.first(where: { !fresh.regions[$0].records.isEmpty }) {
                fresh.regions[r].records.removeLast()
                var changed = StableHasher()
                fresh.hash(into: &changed)
                XCTAssertNotEqual(changed.value, cached.value, "a change not yet refreshed went unseen")
                changedParts += 1
            }
        }
        XCTAssertGreaterThan(checked, 1_000)
        XCTAssertGreaterThan(changedParts, 100)
    }

    /// The fingerprint reads the core's counters only as far as the core asks of them (event
    /// seqs, ticket numbers, completion indices against the flush marks). So a state whose
    /// counters are moved to their canonical values must go on exactly as the original: the
    /// same choices (up to I/O names), and after each, the same fingerprint and verdict, to
    /// the end of a random walk from there. Walks start at states of every phase, with and
    /// without a crash left, at one and two interfaces.
    func testCanonicalCountersActAsTheOriginal() throws {
        var compared = 0, renumbered = 0
        try walk(["ifaces=2 requests=3 crashes=1 torn=1", "ifaces=1 requests=5 crashes=1 torn=1"], seed: 0xC0DE) {
            state, step, rng, configuration in
            guard step % 5 == 0 else { return }
            let canonical = state.canonical()
            if canonical.core.completions != state.core.completions { renumbered += 1 }
            compared += walkAlongside(state, canonical, seed: rng.next(), sameNames: false, "\(configuration), canonical")
        }
        XCTAssertGreaterThan(compared, 5_000)
        XCTAssertGreaterThan(renumbered, 100)
    }

    /// Once no power loss can come, the fingerprint reads of the device only the data blocks
    /// through the cache (`settledDataStart`). So a state whose blocks before the data area are
    /// scrambled, and (every other time) whose pending writes went to the medium, must go on
    /// exactly as the original: the same choices, and after each, the same fingerprint and
    /// verdict, to the end of a random walk. Walks start at such states with and without a
    /// crash behind them.
    func testBytesNoLongerReadDoNotSplitStates() throws {
        var compared = 0, variants = 0
        try walk(["ifaces=1 requests=4 crashes=1 torn=1", "ifaces=2 requests=3 crashes=0 torn=0"], seed: 0xB10C) {
            state, _, rng, configuration in
            guard let settled = state.settledDataStart, rng.next() % 4 == 0 else { return }
            var variant = state
            variant.disk = DriverDisk(copying: state.disk)
            let garbage = (0 ..< settled * DriverSimulation.blockSize).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            variant.disk.medium.replaceBytes(at: 0, with: garbage[...])
            if variants % 2 == 0 { _ = try variant.disk.cache.perform(.flush) }
            variant.mediumChanged()
            variant.pendingDigest = DriverSimulation.digest(of: variant.disk)
            variants += 1
            compared += walkAlongside(state, variant, seed: rng.next(), sameNames: true, "\(configuration), scrambled")
        }
        XCTAssertGreaterThan(variants, 100)
        XCTAssertGreaterThan(compared, 2_000)
    }

    /// Calls `body` at every state (after its `step`-th step) of 60 random walks from each
    /// configuration's start, with the walks' generator.
    func walk(_ configurations: [String], seed: UInt64,
              _ body: (DriverSimulation, _ step: Int, inout SplitMix64, _ configuration: String) throws -> Void) throws {
        for configuration in configurations {
            let start = try XCTUnwrap(DriverSimulation(parsing: configuration))
            var rng = SplitMix64(seed: seed)
            for _ in 0..<60 {
                var state = start
                var step = 0
                while !state.choices().isEmpty {
                    let choices = state.choices()
                    state.apply(choices[Int(rng.next() % UInt64(choices.count))])
                    step += 1
                    try body(state, step, &rng, configuration)
                }
            }
        }
    }

    /// Walks `original` and `other` side by side to the end, taking the same choice (by its
    /// place) at random: both must offer as many choices (the same ones where `sameNames`), and
    /// after each step have the same fingerprint and verdict. Returns the steps taken.
    func walkAlongside(_ original: DriverSimulation, _ other: DriverSimulation, seed: UInt64, sameNames: Bool,
                       _ what: String) -> Int {
        XCTAssertEqual(other.fingerprint(), original.fingerprint(), what)
        var original = original, other = other
        var walk = SplitMix64(seed: seed)
        var steps = 0
        while true {
            let a = original.choices(), b = other.choices()
            XCTAssertEqual(a.count, b.count, "\(what): other choices")
            if sameNames { XCTAssertEqual(a, b, "\(what): other choices") }
            guard a.count == b.count, !a.isEmpty else { return steps }
            let i = Int(walk.next() % UInt64(a.count))
            original.apply(a[i])
            other.apply(b[i])
            steps += 1
            XCTAssertEqual(other.fingerprint(), original.fingerprint(), "\(what): after \(a[i]) the states differ")
            XCTAssertEqual(other.violation()?.invariant, original.violation()?.invariant, what)
        }
    }

    /// The recovery's I/O count decides a future only while the core recovers (it is the
    /// `driver.stuck` bound, and a power loss sets it back to 0): once online, states that
    /// recovered in more or fewer I/Os merge; while recovering, they stay apart.
    func testTheRecoverysIOCountSplitsStatesOnlyWhileTheCoreRecovers() throws {
        var recovering = 0, online = 0
        for state in try states() where state.crashesLeft == 0 && state.verdict == nil {
            var other = state
            other.recoverySteps += 1
            if state.core.phase == .recovering {
                XCTAssertNotEqual(other.fingerprint(), state.fingerprint())
                recovering += 1
            } else {
                XCTAssertEqual(other.fingerprint(), state.fingerprint(), "\(state.core.phase)")
                online += 1
            }
        }
        XCTAssertGreaterThan(recovering, 20)
        XCTAssertGreaterThan(online, 20)
    }

    /// The spec's hash covers every field but those its doc leaves out: an interface's
    /// `survivor` always, and the survivors too when asked to (as the explorer asks).
    func testEqualSpecHashesMeanEqualSpecs() throws {
        let states = try states() + walks("ifaces=1 requests=4 crashes=2 torn=1", seed: 0x5EC, count: 150)
        for withSurvivors in [true, false] {
            var encodings: [UInt64: [UInt8]] = [:]
            for state in states {
                var hasher = StableHasher()
                state.monitor.spec.hash(into: &hasher, survivors: withSurvivors)
                var encoder = DriverStateEncoder()
                encoder.skipped = ["seq", "line", "file", "node", "lostAt", "survivor"]
                if !withSurvivors { encoder.skipped.insert("survivors") }
                encoder.stampsAsNames = true
                encoder.encode(state.monitor.spec)
                if let seen = encodings[hasher.value] {
                    XCTAssertEqual(seen, encoder.bytes, "two specs with one hash differ (survivors: \(withSurvivors))")
                } else {
                    encodings[hasher.value] = encoder.bytes
                }
            }
            XCTAssertEqual(Set(encodings.values).count, encodings.count, "two specs with different hashes encode alike")
            XCTAssertGreaterThan(encodings.count, 50)
        }
    }

    /// What lets the fingerprint leave the spec's survivors out (`DriverSimulation.digest(of:)`)
    /// and each interface's last survivor (`DriverSpec.hash(into:survivors:)`): along random
    /// walks with up to two power losses, on one interface and on two with seeded bugs, no
    /// event after a state names one of that state's survivors in a `stage`, `complete` or
    /// `durable`, so nothing reads them again; and every later event is of the survivor stamps'
    /// node with a greater seq, so each `require` from such a stamp holds. The walks reach
    /// states with survivors, and states that the survivors alone tell apart.
    func testNoLaterEventNamesASurvivor() throws {
        var withSurvivors = 0
        var splitBySurvivors = 0
        var stampsChecked = 0
        for (configuration, seed) in [("ifaces=1 requests=4 crashes=2 torn=1", UInt64(0x5017)),
                                      ("ifaces=2 requests=3 crashes=2 torn=1 faults=durableOutOfOrder+recoveryStopsEarly", 0x5018)] {
            let start = try XCTUnwrap(DriverSimulation(parsing: configuration), configuration)
            var rng = SplitMix64(seed: seed)
            var merged: [UInt64: UInt64] = [:]
            for _ in 0..<300 {
                var state = start
                var survivors: Set<Int> = []
                while case let choices = state.choices(), !choices.isEmpty {
                    let stamps = state.monitor.spec.ifaces.values.compactMap(\.survivor)
                    let before = state.events.count
                    state.apply(choices[Int(rng.next() % UInt64(choices.count))])
                    for event in state.events[before...] {
                        switch event.kind {
                        case let .stage(id, _), let .complete(id), let .durable(id):
                            XCTAssertFalse(survivors.contains(id), "\(event.kind) names a survivor of an earlier epoch")
                        default:
                            break
                        }
                        for stamp in stamps {
                            XCTAssertEqual(event.node, stamp.id.node)
                            XCTAssertGreaterThan(event.seq, stamp.id.seq, "\(event.kind) comes before survivor \(stamp)")
                            stampsChecked += 1
                        }
                    }
                    survivors.formUnion(state.monitor.spec.survivors.keys)
                    if !state.monitor.spec.survivors.isEmpty { withSurvivors += 1 }
                    var full = StableHasher()
                    state.monitor.spec.hash(into: &full)
                    let digest = DriverSimulation.digest(of: state.monitor.spec)
                    if let other = merged[digest], other != full.value { splitBySurvivors += 1 }
                    merged[digest] = full.value
                }
            }
        }
        XCTAssertGreaterThan(withSurvivors, 50)
        XCTAssertGreaterThan(splitBySurvivors, 0)
        XCTAssertGreaterThan(stampsChecked, 50)
    }

    /// States of `count` random walks through `configuration`.
    func walks(_ configuration: String, seed: UInt64, count: Int) throws -> [DriverSimulation] {
        let start = try XCTUnwrap(DriverSimulation(parsing: configuration))
        var result: [DriverSimulation] = []
        var rng = SplitMix64(seed: seed)
        for _ in 0..<count {
            var state = start
            result.append(state)
            while case let choices = state.choices(), !choices.isEmpty {
                state.apply(choices[Int(rng.next() % UInt64(choices.count))])
                result.append(state)
            }
        }
        return result
    }
}
