import Foundation
import XCTest

/// A `plumb` process started by a test: its output collected as it comes, so a test can wait
/// for a line while the process runs, then signal it or wait for its end.
final class MirrorProcess: @unchecked Sendable {
    /// The built `plumb` binary (built with the tests: `swift build --build-tests` builds every product).
    static var binary: URL {
        var dir = Bundle(for: MirrorProcess.self).bundleURL
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("plumb").path) {
            let parent = dir.deletingLastPathComponent()
            if parent == dir { break }
            dir = parent
        }
        return dir.appendingPathComponent("plumb")
    }

    /// A process that did not do what the test waited for.
    struct Failure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    private let process = Process()
    private let lock = NSLock()
    private var out = Data(), err = Data()

    /// Starts `plumb arguments` in `directory`.
    init(_ arguments: [String], in directory: String) throws {
        process.executableURL = Self.binary
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        try process.run()
        // A thread per pipe, reading until the end of its data: no dispatch read sources
        // (Foundation's `readabilityHandler`), which crashed the test process now and then.
        readers = [(outPipe, true), (errPipe, false)].map { pipe, isOut in
            let thread = Thread { [weak self] in
                let handle = pipe.fileHandleForReading
                while true {
                    let data = handle.availableData
                    if data.isEmpty { break }
                    guard let self else { break }
                    self.lock.withLock { if isOut { self.out.append(data) } else { self.err.append(data) } }
                }
            }
            thread.start()
            return thread
        }
    }

    /// The threads reading standard output and standard error.
    private var readers: [Thread] = []

    /// Runs `plumb arguments` in `directory` to its end.
    static func run(_ arguments: [String], in directory: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = try MirrorProcess(arguments, in: directory)
        let status = process.wait()
        return (status, process.stdout, process.stderr)
    }

    /// Standard output so far.
    var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    /// Standard error so far.
    var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }
    /// The process id.
    var pid: Int32 { process.processIdentifier }
    /// Whether it still runs.
    var isRunning: Bool { process.isRunning }

    /// Waits (up to `seconds`) for a line of standard output containing `text`; returns it.
    func waitForLine(containing text: String, seconds: Double = 60) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let line = stdout.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
            if !process.isRunning, !stdout.contains(text) { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        throw Failure(message: "never printed '\(text)'; stdout: \(stdout) stderr: \(stderr)")
    }

    /// Sends `signal`.
    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the end; returns the exit status (128 + n for a signal n it did not handle).
    @discardableResult
    func wait() -> Int32 {
        process.waitUntilExit()
        // Let the readers take what is left in the pipes (children of the process may hold
        // them open, so the end of the data is not awaited).
        Thread.sleep(forTimeInterval: 0.05)
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
