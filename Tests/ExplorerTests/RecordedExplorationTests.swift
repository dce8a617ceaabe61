import Explorer
import Trace
import XCTest

/// Exploration around a captured trace (`Recorded`): the window bounds the strays, window 0
/// replays the trace, crash points are tallied, and a trace the explorer cannot use is refused
/// naming its line. Traces are made in memory here; the end-to-end bars (traces of `plumb
/// record`) are in `PlumbCLITests/ExploreFromTests.swift`.
final class RecordedExplorationTests: XCTestCase {
    /// A driver trace: two interfaces, four submits (the fourth depends on the first, across
    /// interfaces), a sync; events numbered as lines 2, 3, ... of one file.
    static func driverTrace(extra: [EventKind] = []) -> RecordedTrace {
        let kinds: [EventKind] = [
            .submit(iface: 0, id: 1, off: 0, len: 700, deps: []),
            .submit(iface: 1, id: 2, off: 500, len: 300, deps: []),
            .submit(iface: 0, id: 3, off: 4096, len: 4096, deps: []),
            .submit(iface: 1, id: 4, off: 100, len: 200, deps: [1]),
            .sync(iface: 0),
        ] + extra
        let events = kinds.enumerated().map { i, kind in
            TraceEvent(node: "driver", seq: i + 1, kind: kind, location: SourceLocation(file: 0, line: i + 2))
        }
        return RecordedTrace(system: .driver, events: events, files: ["d.jsonl"])
    }

    static func start(window: Int, crashes: Int, trace: RecordedTrace = driverTrace()) throws -> Recorded<DriverPlan> {
        let plan = try DriverPlan(trace: trace, crashes: crashes, settings: [("torn", "0")])
        return Recorded(plan: plan, window: window, crashes: crashes,
                        source: RecordedSource(files: trace.files, digest: RecordedTrace.digest(trace.events)))
    }

    /// A replay token carries the trace's digest; it must read the same in every later build
    /// (the hasher's faster paths must not reach it), or an old token on an unchanged trace
    /// would be refused as if the trace had changed.
    func testTheTraceDigestOfATokenDoesNotChangeFromBuildToBuild() {
        XCTAssertEqual(RecordedTrace.digest(Self.driverTrace().events), 10_751_698_708_498_166_203)
    }

    func testWindowZeroWithoutCrashesReplaysTheTraceAsOneExecution() throws {
        let start = try Self.start(window: 0, crashes: 0)
        let report = Exploration(start: start).run()
        XCTAssertEqual(report.verdict, .pass)
        XCTAssertTrue(report.exhaustive)
        XCTAssertEqual(report.executions, 1)
        XCTAssertEqual(report.states, report.maxDepth + 1)
        // The one execution submits every request, in the trace's order, and shuts down.
        var state = start
        while let choice = state.choices().last { state.apply(choice) }
        let submits = state.base.events.compactMap { event -> Int? in
            if case let .submit(iface, _, off, _, _) = event.kind { return iface * 100_000 + off }
            return nil
        }
        XCTAssertEqual(submits, [0, 100_500, 4096, 100_100])
        XCTAssertNil(state.violation())
        XCTAssertTrue(state.base.events.contains { if case .syncDone = $0.kind { true } else { false } })
    }

    /// A long epoch checkpoints many times, each adding a run of ids to the ledger: the
    /// simulated device is sized so that its ledger holds them all (one sized for the data
    /// alone filled it, and a clean trace of 3,000 requests was reported as losing them), and
    /// the trace's ids, counting up from 1 as requests arrive, stay the requests' own.
    func testALongEpochFitsTheLedgerAndKeepsTheTracesIDs() throws {
        let count = 1_200
        let events = (1...count).map { id in
            TraceEvent(node: "driver", seq: id, kind: .submit(iface: id % 4, id: id, off: 4096 * (id % 8), len: 4096, deps: []),
                       location: SourceLocation(file: 0, line: id + 1))
        }
        let start = try Self.start(window: 0, crashes: 0, trace: RecordedTrace(system: .driver, events: events, files: ["d.jsonl"]))
        XCTAssertEqual(start.plan.traceIDs, Array(1...count))
        let report = Exploration(start: start).run()
        XCTAssertEqual(report.verdict, .pass, report.counterexamples.first?.violation.message ?? "")
        XCTAssertEqual(report.executions, 1)
    }

    func testCrashPointsAreFreeOfTheWindowAndTallied() throws {
        let tally = CrashPointTally()
        let start = try Self.start(window: 0, crashes: 1).collecting(tally)
        let report = Exploration(start: start).run()
        XCTAssertEqual(report.verdict, .pass)
        XCTAssertTrue(report.exhaustive)
        XCTAssertGreaterThan(report.executions, 1)
        // A power loss at every step of the recorded schedule is one crash point each.
        let line = try Self.start(window: 0, crashes: 0)
        let steps = Exploration(start: line).run().maxDepth
        XCTAssertGreaterThanOrEqual(tally.count, steps)
    }

    func testEachUnitOfWindowAddsStraysAndNoExecutionStraysMore() throws {
        var previous = 0
        for window in 0...2 {
            let start = try Self.start(window: window, crashes: 0)
            let report = Exploration(start: start).run()
            XCTAssertEqual(report.verdict, .pass, "window \(window)")
            XCTAssertGreaterThan(report.states, previous, "window \(window)")
            previous = report.states
            // Depth-first over every path: no state offers a stray once the window is spent.
            var stack = [start]
            var visited = 0
            while let state = stack.popLast(), visited < 20_000 {
                visited += 1
                XCTAssertLessThanOrEqual(state.strays, window)
                for choice in state.choices() {
                    if state.strays == window { XCTAssertNotEqual(choice.role, .stray) }
                    var next = state
                    next.apply(choice)
                    stack.append(next)
                }
            }
        }
    }

    func testARecordedCrashIsReplayedAndTheWorkloadGoesOn() throws {
        let trace = Self.driverTrace(extra: [.crash, .recovered(id: 1), .online, .submit(iface: 0, id: 5, off: 0, len: 100, deps: [])])
        let start = try Self.start(window: 0, crashes: 0, trace: trace)
        XCTAssertEqual(start.plan.recordedCrashes, 1)
        var state = start
        var crashed = false
        while let choice = state.choices().last {
            if choice.role == .recordedCrash { crashed = true }
            state.apply(choice)
        }
        XCTAssertTrue(crashed)
        XCTAssertNil(state.violation())
        let submits = state.base.events.filter { if case .submit = $0.kind { true } else { false } }
        XCTAssertEqual(submits.count, 5)
    }

    /// A framework crash before the first begin ends that opening: the graph is the one the
    /// run that began registered.
    func testARecoveryGraphIsTheOneRegisteredAfterACrashBeforeBegin() throws {
        let kinds: [(String, EventKind)] = [
            ("framework", .register(consumer: "x", deps: [], after: [], logs: [])),
            ("framework", .register(consumer: "a", deps: [], after: [], logs: [])),
            ("framework", .crash),
            ("framework", .register(consumer: "a", deps: [], after: [], logs: [])),
            ("framework", .begin),
        ]
        let events = kinds.enumerated().map { i, item in
            TraceEvent(node: item.0, seq: i + 1, kind: item.1, location: SourceLocation(file: 0, line: i + 2))
        }
        let plan = try RecoveryPlan(trace: RecordedTrace(system: .recovery, events: events, files: ["r.jsonl"]),
                                    crashes: 0, settings: [])
        XCTAssertTrue(plan.summary.hasPrefix("1 consumer on 1 worker,"), plan.summary)
    }

    func testATraceItCannotReplayIsRefusedWithItsLine() throws {
        let trace = Self.driverTrace(extra: [.submit(iface: 0, id: 9, off: 0, len: 10, deps: [42])])
        XCTAssertThrowsError(try DriverPlan(trace: trace, crashes: 1, settings: [])) { error in
            let input = error as? TraceInputError
            XCTAssertEqual(input?.file, "d.jsonl")
            XCTAssertEqual(input?.line, 7)
            XCTAssertTrue(input?.message.contains("depends on request 42") == true, "\(String(describing: input))")
        }
        let mirror = RecordedTrace(system: .mirror, events: [], files: ["m.jsonl"])
        XCTAssertThrowsError(try DriverPlan(trace: mirror, crashes: 1, settings: [])) { error in
            XCTAssertTrue("\(error)".contains("not the driver"), "\(error)")
        }
    }

    /// A mirror trace naming a stream or a path the explorer does not replay is refused at its
    /// line, whatever the number (Int.max overflowed when counted).
    func testAMirrorTraceWithAStreamOrPathPastTheBoundIsRefusedWithItsLine() {
        for (kind, reason) in [
            (EventKind.assign(stream: Int.max, path: 0), "stream \(Int.max): the explorer replays streams 0...63"),
            (EventKind.assign(stream: 0, path: 64), "path 64: the explorer replays paths 0...63"),
            (EventKind.send(stream: 0, sn: 1, path: Int.max), "path \(Int.max): the explorer replays paths 0...63"),
            (EventKind.path(path: 64, up: false), "path 64: the explorer replays paths 0...63"),
            (EventKind.append(lsn: 2, stream: 64, sn: 1, deps: []), "stream 64: the explorer replays streams 0...63"),
            (EventKind.recv(stream: 0, sn: 1, path: 64), "path 64: the explorer replays paths 0...63"),
        ] {
            let kinds: [EventKind] = [.assign(stream: 0, path: 0), .append(lsn: 1, stream: 0, sn: 1, deps: []), kind]
            let events = kinds.enumerated().map { i, kind in
                TraceEvent(node: "primary", seq: i + 1, kind: kind, location: SourceLocation(file: 0, line: i + 2))
            }
            let trace = RecordedTrace(system: .mirror, events: events, files: ["p.jsonl"])
            XCTAssertThrowsError(try MirrorPlan(trace: trace, crashes: 1, settings: [])) { error in
                let input = error as? TraceInputError
                XCTAssertEqual(input?.file, "p.jsonl")
                XCTAssertEqual(input?.line, 4)
                XCTAssertEqual(input?.message, reason)
            }
        }
        // Stream 63 and path 63 are replayed.
        let kinds: [EventKind] = [.assign(stream: 63, path: 63), .append(lsn: 1, stream: 63, sn: 1, deps: [])]
        let events = kinds.enumerated().map { i, kind in
            TraceEvent(node: "primary", seq: i + 1, kind: kind, location: SourceLocation(file: 0, line: i + 2))
        }
        XCTAssertNoThrow(try MirrorPlan(trace: RecordedTrace(system: .mirror, events: events, files: ["p.jsonl"]),
                                        crashes: 1, settings: []))
    }

    func testTheConfigurationTextNamesTheTraceAndReadsItBack() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-recorded-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("a b+c.jsonl").path
        var bytes: [UInt8] = []
        TraceEncoder.append(TraceHeader(system: .driver), to: &bytes)
        for event in Self.driverTrace().events { TraceEncoder.append(event, to: &bytes) }
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let trace = try RecordedTrace(files: [file])
        let plan = try DriverPlan(trace: trace, crashes: 1, settings: [("torn", "0")])
        let start = Recorded(plan: plan, window: 1, crashes: 1,
                             source: RecordedSource(files: [file], digest: RecordedTrace.digest(trace.events)))
        let text = start.configurationText
        XCTAssertTrue(text.hasPrefix("from="), text)
        XCTAssertFalse(text.contains(" b"), text)
        let again = try Recorded<DriverPlan>.load(configuration: text)
        XCTAssertEqual(again.fingerprint(), start.fingerprint())
        XCTAssertEqual(again.configurationText, text)
        // A changed trace is refused, naming it.
        TraceEncoder.append(TraceEvent(node: "driver", seq: 99, kind: .sync(iface: 1)), to: &bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        XCTAssertThrowsError(try Recorded<DriverPlan>.load(configuration: text)) { error in
            XCTAssertTrue("\(error)".contains("changed since it was explored"), "\(error)")
        }
    }
}
