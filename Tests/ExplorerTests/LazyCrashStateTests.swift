import Driver
@testable import Explorer
import Specs
import Trace
import XCTest

/// Lazy crash states against eager ones: on small configurations where eager search finishes,
/// the same verdicts and the same set of possible device contents, with far fewer recovery
/// runs; each read branches once per distinct content; Z3's answers agree with backtracking.
final class LazyCrashStateTests: XCTestCase {
    /// Small configurations eager search exhausts quickly.
    static let configurations = [
        "ifaces=1 requests=2 crashes=1 torn=1",
        "ifaces=2 requests=2 crashes=1 torn=1",
        "ifaces=1 requests=3 crashes=1 torn=0",
        "ifaces=1 requests=2 crashes=2 torn=1",
        "ifaces=1 requests=3 crashes=1 torn=1 regions=4 workload=region-sized",
    ]

    func testLazyAndEagerGiveTheSameVerdicts() throws {
        for bounds in Self.configurations {
            let lazy = explore(try XCTUnwrap(DriverSimulation(parsing: bounds)))
            let eager = explore(try XCTUnwrap(DriverSimulation(parsing: bounds + " states=eager")))
            XCTAssertEqual(lazy.verdict, eager.verdict, bounds)
            XCTAssertEqual(lazy.verdict, .pass, "\(bounds): \(lazy.counterexamples)")
            XCTAssertTrue(lazy.exhaustive, bounds)
            XCTAssertTrue(eager.exhaustive, bounds)
        }
    }

    func testLazyAndEagerReachTheSameDeviceContents() throws {
        // Every state each search can reach, once each (by fingerprint): at every end of an
        // execution, what the device can hold (each image an assignment of the fates still
        // undecided leaves) with the trace that led there, and the verdict.
        for bounds in Self.configurations {
            let lazy = try ends(of: XCTUnwrap(DriverSimulation(parsing: bounds)))
            let eager = try ends(of: XCTUnwrap(DriverSimulation(parsing: bounds + " states=eager")))
            XCTAssertFalse(lazy.isEmpty, bounds)
            XCTAssertEqual(lazy.count, eager.count, bounds)
            XCTAssertEqual(lazy, eager, bounds)
        }
    }

    func testLazyAndEagerReachTheSameDataAreasByTheSearchsOwnFingerprints() throws {
        // As above, but states told apart as the search tells them (once no power loss can
        // come, by the data area alone), and the data area of each image compared.
        for bounds in Self.configurations {
            let lazy = try ends(of: XCTUnwrap(DriverSimulation(parsing: bounds)), wholeDevice: false)
            let eager = try ends(of: XCTUnwrap(DriverSimulation(parsing: bounds + " states=eager")), wholeDevice: false)
            XCTAssertFalse(lazy.isEmpty, bounds)
            XCTAssertEqual(lazy, eager, bounds)
        }
    }

    func testEverySeededDriverFaultIsFoundLazilyShrunkAndReplayed() throws {
        for fault in SeededFault.allCases where fault.system == DriverSimulation.system {
            let start = try XCTUnwrap(DriverSimulation(parsing: fault.showingConfiguration))
            XCTAssertEqual(start.configuration.crashStates, .lazy)
            let report = explore(start)
            let found = try XCTUnwrap(report.counterexamples.first, "\(fault) not found lazily")
            XCTAssertEqual(found.violation.invariant, fault.expectedInvariant, "\(fault): \(found.violation)")
            XCTAssertLessThanOrEqual(found.path.count, found.originalLength ?? found.path.count)
            let replayed = try replay(start, path: found.path)
            XCTAssertEqual(replayed.violation?.invariant, fault.expectedInvariant, "\(fault)")
            XCTAssertEqual(replayed.violationStep, found.path.count, "\(fault)")
        }
    }

    func testAReadBranchesOncePerDistinctContent() throws {
        // One journal write of two sectors pending at the power loss: eager offers its three
        // fates; lazily the recovery's read of the journal offers three contents (old, torn,
        // whole) and the recovery's later reads are decided.
        var state = try XCTUnwrap(DriverSimulation(parsing: "ifaces=1 requests=2 crashes=1 torn=1"))
        for step in ["iface 0 submits request 1", "iface 0 submits request 2", "iface 0 syncs",
                     "io#4 completes (requests 1, 2 on iface 0: journal write of 2 blocks at 20)", "power loss"] {
            let choice = try XCTUnwrap(state.choices().first { state.describe($0) == step }, "\(step) in \(state.choices())")
            state.apply(choice)
        }
        var readings: [[String]] = []
        while state.core.phase == .recovering, let next = state.choices().first {
            let all = state.choices()
            if all.count > 1 { readings.append(all.map(\.description)) }
            state.apply(next)
        }
        XCTAssertEqual(readings.count, 1, "\(readings)")
        XCTAssertEqual(readings.first?.count, 3, "\(readings)")
        XCTAssertTrue(readings.first?.first?.contains("reading content 1 of 3 (no cached write shows)") ?? false, "\(readings)")
        XCTAssertNil(state.violation())
    }

    func testACrashPointWithManyCachedWritesNeedsFarFewerRecoveries() throws {
        let configuration = DriverSimulation.Configuration(ifaces: 1, requests: 6, crashes: 1, torn: true)
        let point = try XCTUnwrap(DriverSimulation.crashPoint(cachedWrites: 6, configuration))
        XCTAssertGreaterThanOrEqual(point.cachedWrites, 6)
        let lazy = try XCTUnwrap(point.recoveriesAfterPowerLoss(.lazy))
        let eager = try XCTUnwrap(point.recoveriesAfterPowerLoss(.eager))
        XCTAssertTrue(lazy.complete && eager.complete)
        XCTAssertGreaterThanOrEqual(Double(eager.runs), point.pendingFateAssignments)
        XCTAssertLessThan(lazy.runs * 4, eager.runs, "lazy \(lazy), eager \(eager)")
    }

    func testTwelveCachedRegionSizedWritesNeedAHundredTimesFewerRunsThanFateAssignments() throws {
        // One journal segment per request, and a flush held back: twelve writes in the cache.
        var configuration = DriverSimulation.Configuration(ifaces: 1, requests: 13, crashes: 1, torn: true)
        configuration.regions = 16
        configuration.workload = .regionSized
        let point = try XCTUnwrap(DriverSimulation.crashPoint(cachedWrites: 12, configuration))
        XCTAssertGreaterThanOrEqual(point.cachedWrites, 12)
        let lazy = try XCTUnwrap(point.recoveriesAfterPowerLoss(.lazy))
        XCTAssertTrue(lazy.complete)
        // Recovery reads on into the cached segments (it does not stop at the first): more runs
        // than cached writes.
        XCTAssertGreaterThan(lazy.runs, point.cachedWrites, "lazy \(lazy)")
        // Eager runs at least one recovery per fate assignment (as the test above checks on
        // the mixed workload; 4,096 recoveries here would slow the suite).
        XCTAssertGreaterThanOrEqual(point.pendingFateAssignments, 4096)
        XCTAssertLessThanOrEqual(Double(lazy.runs) * 100, point.pendingFateAssignments, "lazy \(lazy)")
    }

    func testTheProverAgreesWithBacktracking() throws {
        // Fates of overlapping writes, narrowed by reads, then every sector's sources asked
        // about: Z3's answer matches a search of every assignment.
        var generator = SplitMix64(seed: 7)
        for _ in 0 ..< 20 {
            var fates = CrashFates(blockSize: 512)
            var medium = [UInt8](repeating: 0, count: 8 * 512)
            let writes = (0 ..< 5).map { k -> (block: Int, bytes: [UInt8]) in
                let block = Int(generator.next() % 6)
                let blocks = 1 + Int(generator.next() % 2)
                return (block, [UInt8](repeating: UInt8(k + 1), count: blocks * 512))
            }
            fates.add(cutWrites: writes, torn: true)
            // Read one sector, taking a random content.
            let sector = Int(generator.next() % 7)
            let outcomes = fates.outcomes(sectors: [sector ..< sector + 1]) { range in
                Array(medium[range.lowerBound * 512 ..< range.upperBound * 512])
            }
            if !outcomes.isEmpty {
                let outcome = outcomes[Int(generator.next() % UInt64(outcomes.count))]
                fates.observe(outcome)
                medium.replaceSubrange(sector * 512 ..< (sector + 1) * 512, with: outcome.bytes)
                fates.overwrite(sectors: sector ..< sector + 1)
            }
            let assignments = fates.assignments()
            for target in 0 ..< 7 {
                let bad = fates.sources(ofSector: target).filter { $0.write.map { $0 % 2 == 0 } ?? true }
                guard !bad.isEmpty else { continue }
                let expected = assignments.contains { a in bad.contains { s in
                    s.writes.indices.allSatisfy { j in s.masks[j] & (1 << UInt64(a[s.writes[j]])) != 0 }
                } }
                switch CrashFatesProver.shared.someAllowed(fates, gives: bad) {
                case .unsat: XCTAssertFalse(expected)
                case let .sat(assignment):
                    XCTAssertTrue(expected)
                    XCTAssertTrue(fates.allows(assignment))
                case let .unknown(reason): XCTFail(reason)
                }
            }
        }
    }

    // MARK: Helpers

    /// What every end of an execution from `start` can hold: the device's image (each
    /// assignment of the undecided fates), the contents model (which requests were recovered),
    /// and the verdict.
    func ends(of start: DriverSimulation, wholeDevice: Bool = true) -> Set<String> {
        var seen: Set<UInt64> = []
        var stack = [start]
        var result: Set<String> = []
        while let state = stack.popLast() {
            // The whole device tells states apart here: once no power loss can come, the
            // fingerprint reads only the data area, and the images compared are whole.
            var key = StableHasher()
            key.combine(state.fingerprint())
            if wholeDevice {
                key.combine(state.mediumDigest)
                key.combine(state.pendingDigest)
            }
            guard seen.insert(key.value).inserted else { continue }
            let choices = state.choices()
            if choices.isEmpty {
                // What the trace decided (which requests a recovery named): a path's events
                // themselves differ with the order of commuting steps, which equal fingerprints
                // leave out.
                var model = StableHasher()
                state.model.hash(into: &model)
                let events = model.value
                let verdict = state.violation()?.invariant ?? "pass"
                let from = wholeDevice ? 0 : (state.core.layout?.dataStart ?? 0) * DriverSimulation.blockSize
                let fates = state.disk.lazy.fates
                for assignment in fates.assignments() {
                    var hash = StableHasher()
                    hash.combine(bytes: fates.image(assignment, over: state.disk.medium.bytes)[from...])
                    state.disk.cache.hashPending(into: &hash)
                    result.insert("\(hash.value) \(verdict) \(events)")
                }
                continue
            }
            for choice in choices {
                var child = state
                child.apply(choice)
                stack.append(child)
            }
        }
        return result
    }
}

extension LazyCrashStateTests {
    func testZ3NamesTheFatesThatBreakTheDataArea() throws {
        // A recovery that replays nothing leaves the data area undecided where checkpoint
        // patches were cached: Z3 finds an assignment that shows old bytes, and the message
        // names it.
        let start = try XCTUnwrap(DriverSimulation(parsing: DriverSimulationTests.small + " faults=trustsDataArea"))
        let before = CrashFatesProver.shared.tally
        let report = explore(start, keepGoing: true, shrinkAttempts: 0)
        XCTAssertGreaterThan(CrashFatesProver.shared.tally.sat, before.sat)
        let messages = report.counterexamples.map(\.violation.message)
        XCTAssertTrue(messages.contains { $0.contains("when the power loss left cached write") }, "\(messages)")
    }
}

extension LazyCrashStateTests {
    func testTheSearchTalliesCrashPointsAndFewerRecoveriesLazily() throws {
        // The same crash points either way (the states before a power loss are the same);
        // lazily, fewer recoveries than eagerly, and fewer than the fate assignments.
        let bounds = "ifaces=1 requests=3 crashes=1 torn=1"
        let lazy = CrashStatistics(), eager = CrashStatistics()
        let lazyReport = explore(try XCTUnwrap(DriverSimulation(parsing: bounds)).collecting(lazy))
        let eagerReport = explore(try XCTUnwrap(DriverSimulation(parsing: bounds + " states=eager")).collecting(eager))
        XCTAssertTrue(lazyReport.exhaustive && eagerReport.exhaustive)
        let l = lazy.summary, e = eager.summary
        XCTAssertEqual(l.crashPoints, e.crashPoints)
        XCTAssertEqual(l.maxCachedWrites, e.maxCachedWrites)
        XCTAssertEqual(l.fateAssignments, e.fateAssignments)
        XCTAssertGreaterThan(l.crashPoints, 0)
        XCTAssertLessThan(l.recoveryRuns, e.recoveryRuns)
        XCTAssertLessThanOrEqual(Double(e.recoveryRuns), e.fateAssignments)
        XCTAssertEqual(lazy.largest?.point.cachedWrites, l.maxCachedWrites)
    }
}

extension LazyCrashStateTests {
    /// A trace's workload with a request of 80 sectors, longer than a fate mask (so taken in
    /// pieces) and one short request.
    static func longRequestPlan(torn: Bool, states: String) throws -> DriverSimulation {
        let kinds: [EventKind] = [
            .submit(iface: 0, id: 1, off: 0, len: 40_960, deps: []),
            .submit(iface: 0, id: 2, off: 1_000, len: 700, deps: []),
            .sync(iface: 0),
        ]
        let events = kinds.enumerated().map { i, kind in
            TraceEvent(node: "driver", seq: i + 1, kind: kind, location: SourceLocation(file: 0, line: i + 2))
        }
        let trace = RecordedTrace(system: .driver, events: events, files: ["long.jsonl"])
        let plan = try DriverPlan(trace: trace, crashes: 1, settings: [("torn", torn ? "1" : "0"), ("states", states)])
        return Recorded(plan: plan, window: 0, crashes: 1,
                        source: RecordedSource(files: trace.files, digest: RecordedTrace.digest(events))).base
    }

    func testALongWriteIsOneWriteLazilyAsEagerly() throws {
        // Its pieces are all lost or all durable, or with tearing torn after one sector of the
        // write: the device contents and verdicts lazy crash states reach are the eager ones
        // (they were more: each piece lost, kept or torn on its own).
        for torn in [false, true] {
            let lazy = ends(of: try Self.longRequestPlan(torn: torn, states: "lazy"))
            let eager = ends(of: try Self.longRequestPlan(torn: torn, states: "eager"))
            XCTAssertGreaterThan(eager.count, 1)
            XCTAssertEqual(lazy, eager, "torn: \(torn)")
        }
    }
}

extension LazyCrashStateTests {
    /// `choice` without the content worked out when it was offered, or with `worked` instead.
    static func reading(_ choice: DriverSimulation.Choice, worked: DriverSimulation.Choice.WorkedContent?) -> DriverSimulation.Choice {
        guard case let .completeReading(io, operation, purpose, reading) = choice else { return choice }
        var changed = reading
        changed.worked = worked
        return .completeReading(io: io, operation, purpose, changed)
    }

    func testTakingAReadingUsesItsWorkedContentOnlyOnTheMediumItWasWorkedOutOn() throws {
        // Every reading choice of a small search: taken with the content worked out when it was
        // offered, without it, and with one worked out on another medium, the same state.
        var seen: Set<UInt64> = []
        var stack = [try XCTUnwrap(DriverSimulation(parsing: "ifaces=1 requests=3 crashes=1 torn=1"))]
        var readings: [(state: DriverSimulation, choice: DriverSimulation.Choice)] = []
        while let state = stack.popLast() {
            guard seen.insert(state.fingerprint()).inserted else { continue }
            for choice in state.choices() {
                if case .completeReading = choice { readings.append((state, choice)) }
                var child = state
                child.apply(choice)
                stack.append(child)
            }
        }
        XCTAssertGreaterThan(readings.count, 10)
        var staleOnes = 0
        for (n, (state, choice)) in readings.enumerated() {
            guard case let .completeReading(_, _, _, reading) = choice else { continue }
            XCTAssertNotNil(reading.worked)
            var worked = state, fresh = state
            worked.apply(choice)
            fresh.apply(Self.reading(choice, worked: nil))
            XCTAssertEqual(worked.fingerprint(), fresh.fingerprint(), "reading \(n)")
            XCTAssertEqual(worked.mediumDigest, fresh.mediumDigest, "reading \(n)")
            // The same content number worked out for a read on another medium: not taken.
            for (other, otherChoice) in readings where other.mediumDigest != state.mediumDigest {
                guard case let .completeReading(_, _, _, otherReading) = otherChoice, otherReading.content == reading.content,
                      let otherWorked = otherReading.worked, otherWorked.outcome.bytes != reading.worked?.outcome.bytes
                else { continue }
                var stale = state
                stale.apply(Self.reading(choice, worked: otherWorked))
                XCTAssertEqual(stale.mediumDigest, fresh.mediumDigest, "reading \(n)")
                staleOnes += 1
                break
            }
        }
        XCTAssertGreaterThan(staleOnes, 10)
    }
}
