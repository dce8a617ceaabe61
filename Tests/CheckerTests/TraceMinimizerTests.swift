import Checker
import Foundation
import Specs
import Trace
import XCTest

/// `plumb check --minimize`: the minimized trace of each failing golden trace still fails with
/// the same invariant, is a valid trace, and is no larger; padding is removed again.
final class TraceMinimizerTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = try TraceFixtures.folder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// The graph engine's verdict on a file (what the minimizer's candidates get).
    func graphCheck(_ path: String, truncated: Bool = false) -> CheckReport {
        var options = Checker.Options()
        options.useSolver = false
        options.allowTruncated = truncated
        return Checker(options: options).check(files: [path])
    }

    func testEveryFailingGoldenTraceMinimizesToATraceThatStillFails() throws {
        var minimized = 0
        for entry in try GoldenTraceTests.manifest() where entry.verdict == "fail" {
            let truncated = entry.flags.contains("--truncated")
            let files = try TraceInputs.files(for: [TraceFixtures.traces.appendingPathComponent(entry.path).path])
            let original = graphCheck(files[0], truncated: truncated)
            let invariant = try XCTUnwrap(Checker(options: { var o = Checker.Options(); o.useSolver = false; o.allowTruncated = truncated; return o }())
                .check(files: files).violations.first?.invariant, entry.path)
            _ = original
            let result = try TraceMinimizer(files: files, allowTruncated: truncated).minimize(invariant: invariant)
            XCTAssertLessThanOrEqual(result.keptEvents, result.originalEvents, entry.path)
            XCTAssertGreaterThan(result.keptEvents, 0, entry.path)
            let out = folder.appendingPathComponent("min-\(minimized).jsonl")
            try Data(result.bytes).write(to: out)
            let report = graphCheck(out.path, truncated: truncated)
            XCTAssertNil(report.error, "\(entry.path): the minimized trace is not valid: \(report.text)")
            XCTAssertEqual(report.verdict, .fail, entry.path)
            XCTAssertTrue(report.violations.contains { $0.invariant == invariant }, "\(entry.path)\n\(report.text)")
            XCTAssertEqual(report.stats.events, result.keptEvents, entry.path)
            minimized += 1
        }
        XCTAssertGreaterThan(minimized, 40)
    }

    func testTheResultIsConfirmedWithZ3AndKeepsTheSameEvents() throws {
        let path = TraceFixtures.traces.appendingPathComponent("mirror/fail-commit-ahead-of-its-ack.jsonl").path
        let result = try TraceMinimizer(files: [path]).minimize()
        XCTAssertEqual(result.invariant, .mirrorCommitAfterMirror)
        XCTAssertEqual(result.originalEvents, 15)
        // The commit, the apply it is not mirrored by, and the append that introduces the lsn.
        XCTAssertEqual(result.keptEvents, 3)
        XCTAssertEqual(Set(result.violation.events.map(\.id.description)), ["secondary#5", "primary#8"])
        let out = folder.appendingPathComponent("min.jsonl").path
        try Data(result.bytes).write(to: URL(fileURLWithPath: out))
        let report = TraceMinimizer.confirm(file: out, allowTruncated: false)
        XCTAssertTrue(TraceMinimizer.confirms(report, result), report.text)
        // Lines are kept as written, the header first.
        let lines = String(decoding: result.bytes, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.first, #"{"format":"plumb-trace","version":1,"system":"mirror"}"#)
        XCTAssertTrue(lines.contains(#"{"node":"primary","seq":8,"ev":"commit","lsn":2}"#), "\(lines)")
    }

    func testPaddedTracesReturnToTheirOriginalSize() throws {
        var padded = 0
        for entry in try GoldenTraceTests.manifest() where entry.verdict == "fail" && entry.path.hasPrefix("mirror/")
            && entry.path.hasSuffix(".jsonl") && entry.flags.isEmpty {
            let path = TraceFixtures.traces.appendingPathComponent(entry.path).path
            let events = try TraceFixtures.events(path)
            // Padding would interact with a crash or a takeover (a dead node records nothing).
            if events.contains(where: { if case .crash = $0.kind { return true }; if case .takeover = $0.kind { return true }; return false }) { continue }
            let small = try TraceMinimizer(files: [path]).minimize()
            let out = folder.appendingPathComponent("padded-\(padded).jsonl")
            // The trace's lines as written, then the padding.
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            if bytes.last != 0x0A { bytes.append(0x0A) }
            for e in Self.padding(after: events, records: 300) { TraceEncoder.append(e, to: &bytes) }
            try Data(bytes).write(to: out)
            let result = try TraceMinimizer(files: [out.path]).minimize(invariant: small.invariant)
            XCTAssertGreaterThan(result.originalEvents, 2_000, entry.path)
            XCTAssertLessThanOrEqual(result.keptEvents, events.count, entry.path)
            XCTAssertLessThanOrEqual(result.keptEvents, small.keptEvents + 2, entry.path)
            padded += 1
        }
        XCTAssertGreaterThan(padded, 8)
    }

    func testAPlantedViolationInALongRecordingShrinksToAFewEvents() throws {
        let out = folder.appendingPathComponent("planted.jsonl")
        try TraceFixtures.write(TraceFixtures.plantedMirror(events: 3_000), system: .mirror, to: out)
        XCTAssertTrue(graphCheck(out.path).violations.contains { $0.invariant == .mirrorCommitAfterMirror })
        let result = try TraceMinimizer(files: [out.path]).minimize(invariant: .mirrorCommitAfterMirror)
        XCTAssertLessThanOrEqual(result.keptEvents, 20)
        let min = folder.appendingPathComponent("planted-min.jsonl")
        try Data(result.bytes).write(to: min)
        XCTAssertTrue(TraceMinimizer.confirms(TraceMinimizer.confirm(file: min.path, allowTruncated: false), result))
    }

    func testCausesStayWholeAndExtensionEventsTheyNameAreKept() throws {
        let out = folder.appendingPathComponent("x.jsonl")
        try TraceFixtures.write([
            #"{"format":"plumb-trace","version":1,"system":"mirror"}"#,
            #"{"node":"primary","seq":1,"ev":"x-note","text":"named by a cause"}"#,
            #"{"node":"primary","seq":2,"ev":"append","lsn":1,"stream":0,"sn":1}"#,
            #"{"node":"primary","seq":3,"ev":"send","stream":0,"sn":1,"path":0}"#,
            #"{"node":"secondary","seq":1,"ev":"recv","stream":0,"sn":1,"path":0,"cause":[{"node":"primary","seq":3},{"node":"primary","seq":1}]}"#,
            #"{"node":"secondary","seq":2,"ev":"apply","stream":0,"sn":1,"cause":{"node":"primary","seq":3}}"#,
            #"{"node":"primary","seq":4,"ev":"commit","lsn":1}"#,
        ], to: out)
        let result = try TraceMinimizer(files: [out.path]).minimize(invariant: .mirrorCommitAfterMirror)
        let text = String(decoding: result.bytes, as: UTF8.self)
        // The apply names the send as its cause: the send stays.
        XCTAssertTrue(text.contains(#""seq":3,"ev":"send""#), text)
        let min = folder.appendingPathComponent("x-min.jsonl")
        try Data(result.bytes).write(to: min)
        XCTAssertNil(graphCheck(min.path).error, text)
    }

    func testATimeLimitStopsTheSearchWithATraceThatStillFails() throws {
        let out = folder.appendingPathComponent("planted.jsonl")
        try TraceFixtures.write(TraceFixtures.plantedMirror(events: 2_000), system: .mirror, to: out)
        var minimizer = try TraceMinimizer(files: [out.path])
        minimizer.timeLimit = .zero
        let result = try minimizer.minimize(invariant: .mirrorCommitAfterMirror)
        XCTAssertFalse(result.complete)
        let min = folder.appendingPathComponent("planted-min.jsonl")
        try Data(result.bytes).write(to: min)
        XCTAssertTrue(graphCheck(min.path).violations.contains { $0.invariant == .mirrorCommitAfterMirror })
        minimizer.timeLimit = .seconds(600)
        XCTAssertTrue(try minimizer.minimize(invariant: .mirrorCommitAfterMirror).complete)
    }

    func testAPassingTraceHasNothingToMinimize() throws {
        let path = TraceFixtures.traces.appendingPathComponent("mirror/pass-basic-one-stream.jsonl").path
        XCTAssertThrowsError(try TraceMinimizer(files: [path]).minimize()) { error in
            guard case TraceMinimizer.Failure.passes = error else { return XCTFail("\(error)") }
        }
        let failing = TraceFixtures.traces.appendingPathComponent("mirror/fail-commit-ahead-of-its-ack.jsonl").path
        XCTAssertThrowsError(try TraceMinimizer(files: [failing]).minimize(invariant: .mirrorBarrier))
    }

    /// `records` whole lifecycles of stream 900 on path 900, each mirrored before its commit,
    /// with seqs far after the trace's and lsns of their own: events that break nothing.
    static func padding(after events: [TraceEvent], records: Int) -> [TraceEvent] {
        // Far past every seq of the trace (its `x-` events', which `events` leaves out, too).
        var p = (events.filter { $0.node == "primary" }.map(\.seq).max() ?? 0) + 1_000_000
        var s = (events.filter { $0.node == "secondary" }.map(\.seq).max() ?? 0) + 1_000_000
        var out: [TraceEvent] = []
        func primary(_ kind: EventKind, _ causes: [EventID] = []) -> EventID {
            out.append(TraceEvent(node: "primary", seq: p, kind: kind, causes: causes)); p += 1
            return EventID(node: "primary", seq: p - 1)
        }
        func secondary(_ kind: EventKind, _ causes: [EventID] = []) -> EventID {
            out.append(TraceEvent(node: "secondary", seq: s, kind: kind, causes: causes)); s += 1
            return EventID(node: "secondary", seq: s - 1)
        }
        _ = primary(.assign(stream: 900, path: 900))
        for sn in 1...records {
            let lsn = 1_000_000 + sn
            _ = primary(.append(lsn: lsn, stream: 900, sn: sn, deps: []))
            let send = primary(.send(stream: 900, sn: sn, path: 900))
            _ = secondary(.recv(stream: 900, sn: sn, path: 900), [send])
            _ = secondary(.apply(stream: 900, sn: sn))
            let ack = secondary(.ack(stream: 900, sn: sn))
            _ = primary(.acked(stream: 900, sn: sn), [ack])
            _ = primary(.commit(lsn: lsn))
        }
        return out
    }
}
