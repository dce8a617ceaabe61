import Foundation
import XCTest

/// The built `plumb` binary next to the test bundle, run as a separate process the way a CI
/// job runs it.
enum PlumbBinary {
    /// The repository's root.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The binary's location.
    static var url: URL {
        var dir = Bundle(for: Anchor.self).bundleURL
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("plumb").path) {
            let parent = dir.deletingLastPathComponent()
            if parent == dir { break }
            dir = parent
        }
        return dir.appendingPathComponent("plumb")
    }

    /// Runs `plumb arguments` in the repository's root; returns its exit status and output.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.currentDirectoryURL = root
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    private final class Anchor {}
}
