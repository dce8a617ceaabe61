import Checker
import Foundation
import Specs
import Trace
import XCTest

/// Runs every trace of `Traces/manifest.tsv` through the checker and asserts its verdict and
/// the exact set of invariants it breaks, with Z3 and with the graph engine alone.
final class GoldenTraceTests: XCTestCase {
    struct Entry {
        var path: String
        var verdict: String
        var invariants: Set<String>
        var flags: [String]
        /// For an error: where the message must point (`at` column).
        var at: ErrorLocation?
        var note: String
        var line: Int
    }

    /// The `at` column: `LINE`, `FILE:LINE` for a trace directory, then the field, if any.
    struct ErrorLocation: Equatable {
        var file: String?
        var line: Int
        var field: String?

        init?(_ text: String) {
            guard text != "-" else { return nil }
            let parts = text.split(separator: " ").map(String.init)
            guard (1...2).contains(parts.count) else { return nil }
            let place = parts[0].split(separator: ":").map(String.init)
            guard let line = Int(place.last ?? "") else { return nil }
            self.file = place.count == 2 ? place[0] : nil
            self.line = line
            self.field = parts.count == 2 ? parts[1] : nil
        }
    }

    static let tracesDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Traces")

    static func manifest() throws -> [Entry] {
        let text = try String(contentsOf: tracesDirectory.appendingPathComponent("manifest.tsv"), encoding: .utf8)
        var entries: [Entry] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if i == 0 || line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard cols.count == 6 else { XCTFail("manifest.tsv line \(i + 1): expected 6 columns, got \(cols.count)"); continue }
            let at = ErrorLocation(cols[4])
            if (cols[1] == "error") != (at != nil) {
                XCTFail("manifest.tsv line \(i + 1), column at: an error names LINE or FILE:LINE and a field; other verdicts `-`")
            }
            entries.append(Entry(
                path: cols[0], verdict: cols[1],
                invariants: cols[2] == "-" ? [] : Set(cols[2].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }),
                flags: cols[3] == "-" ? [] : cols[3].split(separator: " ").map(String.init),
                at: at, note: cols[5], line: i + 1))
        }
        return entries
    }

    func testManifestIsLargeAndCoversEveryInvariant() throws {
        let entries = try Self.manifest()
        XCTAssertGreaterThanOrEqual(entries.count, 40)
        let broken = Set(entries.flatMap(\.invariants))
        for system in TraceSystem.allCases {
            for invariant in Invariant.all(for: system) {
                XCTAssertTrue(broken.contains(invariant.rawValue), "no golden trace breaks \(invariant)")
            }
        }
        XCTAssertTrue(entries.contains { $0.verdict == "error" })
    }

    func testEveryGoldenTraceGetsItsVerdict() throws {
        // Both engines, and the graph engine once more with each file parsed on its own thread.
        for (useSolver, parallelRead) in [(true, false), (false, false), (false, true)] {
            for entry in try Self.manifest() {
                var options = Checker.Options()
                options.useSolver = useSolver
                options.parallelRead = parallelRead
                options.allowTruncated = entry.flags.contains("--truncated")
                let path = Self.tracesDirectory.appendingPathComponent(entry.path).path
                let report: CheckReport
                do {
                    report = Checker(options: options).check(files: try TraceInputs.files(for: [path]))
                } catch {
                    report = .inputError(error, files: [path])
                }
                let engine = (useSolver ? "z3" : "graph") + (parallelRead ? ", --parallel-read" : "")
                let what = "\(entry.path) (\(engine)): \(entry.note)"
                XCTAssertEqual(report.verdict.rawValue, entry.verdict, "\(what)\n\(report.text)")
                XCTAssertEqual(Set(report.violations.map(\.invariant.rawValue)), entry.invariants, "\(what)\n\(report.text)")
                XCTAssertEqual(report.disagreements, [], what)
                if let at = entry.at, let error = report.error {
                    Self.assertNames(error, at, what)
                }
            }
        }
    }

    /// An input error names the line (and file, in a directory) the manifest gives, and the
    /// field as a word of its message.
    static func assertNames(_ error: TraceInputError, _ at: ErrorLocation, _ what: String) {
        XCTAssertEqual(error.line, at.line, "line: \(what)\n\(error)")
        if let file = at.file {
            XCTAssertEqual(URL(fileURLWithPath: error.file).lastPathComponent, file, "file: \(what)\n\(error)")
        }
        if let field = at.field {
            let words = error.message.split { !($0.isLetter || $0.isNumber || $0 == "_") }.map(String.init)
            XCTAssertTrue(words.contains(field), "field \(field): \(what)\n\(error)")
        }
    }

    /// Settled readings: under `--truncated` a last line cut mid-write is dropped and counted.
    func testACutLastLineIsDroppedAndCounted() throws {
        var options = Checker.Options()
        options.allowTruncated = true
        let path = Self.tracesDirectory.appendingPathComponent("recovery/error-worker-last-line-cut").path
        let report = Checker(options: options).check(files: try TraceInputs.files(for: [path]))
        XCTAssertEqual(report.verdict, .pass, report.text)
        XCTAssertEqual(report.stats.droppedTruncatedLines, 1)
        XCTAssertTrue(report.text.contains("1 last line cut mid-write dropped"), report.text)
    }
}
