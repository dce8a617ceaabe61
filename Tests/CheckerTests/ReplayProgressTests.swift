import Checker
import Foundation
import Trace
import XCTest

/// The replay looks at its cancellation, then reports progress, every 1,024 events: what the
/// CLI's progress line and its answer to Ctrl-C rely on.
final class ReplayProgressTests: XCTestCase {
    /// The events `progress` was told of, from the replay's thread.
    private final class Seen: @unchecked Sendable {
        private let lock = NSLock()
        private var counts: [Int] = []
        func add(_ n: Int) { lock.withLock { counts.append(n) } }
        var all: [Int] { lock.withLock { counts } }
    }

    /// Writes a good synthetic mirror trace of about `count` events as one file.
    private func trace(_ count: Int, in folder: URL) throws -> (path: String, events: Int) {
        var events: [TraceEvent] = []
        SyntheticMirrorTrace().generate(events: count) { events.append($0) }
        let url = folder.appendingPathComponent("mirror.jsonl")
        try TraceFixtures.write(events, system: .mirror, to: url)
        return (url.path, events.count)
    }

    func testProgressEvery1024EventsAndEveryEventChecked() throws {
        let folder = try TraceFixtures.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (path, count) = try trace(2_500, in: folder)
        XCTAssertGreaterThan(count, 2_048)
        XCTAssertLessThan(count, 3_072)
        let seen = Seen()
        var options = Checker.Options()
        options.useSolver = false
        options.progress = { seen.add($0.events) }
        let report = Checker(options: options).check(files: [path])
        XCTAssertEqual(report.verdict, .pass)
        XCTAssertEqual(report.stats.events, count)
        XCTAssertEqual(seen.all, [1_024, 2_048])
    }

    func testCancelledDuringTheReplayStopsAtTheNextLook() throws {
        let folder = try TraceFixtures.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (path, count) = try trace(2_500, in: folder)
        let cancellation = CheckCancellation()
        let seen = Seen()
        var options = Checker.Options()
        options.useSolver = false
        options.cancellation = cancellation
        options.progress = { progress in
            seen.add(progress.events)
            cancellation.cancel()
        }
        let report = Checker(options: options).check(files: [path])
        // Cancelled while reporting 1,024 events, the replay stops at its next look, at 2,048,
        // without the spec's final checks, and the report is no verdict.
        XCTAssertEqual(seen.all, [1_024])
        XCTAssertTrue(report.interrupted)
        XCTAssertEqual(report.verdict, .unknown)
        XCTAssertEqual(report.stats.events, 2_048)
        XCTAssertLessThan(report.stats.events, count)
    }
}
