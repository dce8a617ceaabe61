import Checker
import Foundation
import Recovery
import RecoveryLive
import Trace
import XCTest

/// Runs the live runtime against a trace file and checks the file with the Checker.
final class LiveHarness {
    let directory: URL
    let path: String
    let recorder: FileRecorder
    let recovery: LiveRecovery
    /// What the actions saw, in the order they saw it (thread-safe).
    let log = EventLog()

    init(workers: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("recovery-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("recovery.jsonl").path
        recorder = try FileRecorder(path: path, system: .recovery)
        recovery = LiveRecovery(workers: workers, recorder: recorder)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Closes the trace and checks it: the verdict must be pass.
    func assertTracePasses(file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNoThrow(try recorder.close(), file: file, line: line)
        let report = Checker().check(files: [path])
        XCTAssertEqual(report.verdict, .pass, "\(report.error.map { "\($0)" } ?? "") "
            + report.violations.map { "\($0.invariant): \($0.message)" }.joined(separator: "; "), file: file, line: line)
    }
}

/// A thread-safe list of strings with a running-count gauge, for what actions observed.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String] = []
    private var running = 0
    private(set) var maxRunning = 0

    /// Appends `entry`.
    func add(_ entry: String) { lock.withLock { entries.append(entry) } }

    /// All entries so far.
    var all: [String] { lock.withLock { entries } }

    /// Marks an action as running (`+1`) or finished (`-1`) and keeps the maximum.
    func gauge(_ delta: Int) {
        lock.withLock {
            running += delta
            maxRunning = max(maxRunning, running)
        }
    }

    /// The peak number of actions running at once.
    var peak: Int { lock.withLock { maxRunning } }

    /// The position of `entry`, or nil.
    func index(of entry: String) -> Int? { lock.withLock { entries.firstIndex(of: entry) } }
}

extension LiveHarness {
    /// A consumer that logs `start X`, sleeps `ms`, logs `end X`, and throws when `fails`.
    func consumer(
        _ name: String, deps: [String] = [], after: [String] = [], ms: Int = 5, fails: Bool = false
    ) -> RecoveryConsumer {
        let log = self.log
        return RecoveryConsumer(name, deps: deps, after: after) { _ in
            log.add("start \(name)")
            log.gauge(1)
            defer { log.gauge(-1) }
            try await Task.sleep(for: .milliseconds(ms))
            log.add("end \(name)")
            if fails { throw TestFailure(consumer: name) }
        }
    }
}

/// The error a failing test consumer throws.
struct TestFailure: Error, CustomStringConvertible {
    var consumer: String
    var description: String { "\(consumer) failed on purpose" }
}
