import Checker
import Foundation
import Trace
import XCTest

/// Recordings still being written or cut short (`NAME.partial`) in a directory are skipped and
/// reported; named on their own, they are checked.
final class PartialRecordingTests: XCTestCase {
    private var directory: URL!
    private static let good = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Traces/mirror/pass-basic-one-stream.jsonl")

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-partial-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Copies the good trace into the directory under `name`; returns its path.
    @discardableResult
    private func put(_ name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try FileManager.default.copyItem(atPath: Self.good.path, toPath: path)
        return path
    }

    func testPartialNamesAreRecognised() {
        for name in ["primary.jsonl.partial", "primary.jsonl.gz.partial", "primary.jsonl.partial.gz"] {
            XCTAssertTrue(TraceInputs.isPartial(name), name)
        }
        for name in ["primary.jsonl", "primary.jsonl.gz", "notes.partial", "primary.partial.jsonl", "partial"] {
            XCTAssertFalse(TraceInputs.isPartial(name), name)
        }
    }

    func testDirectorySkipsPartialFilesAndReportsThem() throws {
        let whole = try put("secondary.jsonl")
        // A cut-short copy: its last line has no newline and is not JSON.
        let cut = directory.appendingPathComponent("primary.jsonl.partial").path
        let text = try String(contentsOfFile: Self.good.path, encoding: .utf8)
        try String(text.dropLast(10)).write(toFile: cut, atomically: false, encoding: .utf8)
        try put("notes.partial")
        let dir = directory.path
        let selection = try TraceInputs.select([dir])
        XCTAssertEqual(selection.files, [whole])
        XCTAssertEqual(selection.skippedPartial, [dir + "/primary.jsonl.partial"])

        var report = Checker(options: graphOnly()).check(files: selection.files)
        report.skippedPartialFiles = selection.skippedPartial
        XCTAssertEqual(report.verdict, .pass)
        XCTAssertTrue(report.text.contains(
            "skipped 1 file still being written or cut short: \(dir)/primary.jsonl.partial; "
                + "name it to check it, with --truncated if it was cut"), report.text)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        XCTAssertEqual(object["skipped_partial_files"] as? [String], [dir + "/primary.jsonl.partial"])

        // Named on its own, the partial file is checked: cut, it needs --truncated.
        XCTAssertEqual(try TraceInputs.select([cut]).files, [cut])
        XCTAssertEqual(Checker(options: graphOnly()).check(files: [cut]).verdict, .error)
        var truncated = graphOnly()
        truncated.allowTruncated = true
        XCTAssertEqual(Checker(options: truncated).check(files: [cut]).stats.droppedTruncatedLines, 1)
    }

    func testDirectoryOfOnlyPartialFilesNamesThemInTheError() throws {
        try put("primary.jsonl.gz.partial")
        try put("secondary.jsonl.partial.gz")
        XCTAssertThrowsError(try TraceInputs.select([directory.path])) { error in
            let message = (error as? TraceInputError)?.message ?? ""
            XCTAssertTrue(message.hasPrefix("nothing to read"), message)
            XCTAssertTrue(message.contains("skipped 2 files still being written or cut short"), message)
            XCTAssertTrue(message.contains("primary.jsonl.gz.partial"), message)
            XCTAssertTrue(message.contains("secondary.jsonl.partial.gz"), message)
        }
    }

    /// A subdirectory is never read as a trace, whatever its name; nothing left to read names
    /// the directory.
    func testSubdirectoryNamedLikeATraceIsNotRead() throws {
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("old.jsonl"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try TraceInputs.select([directory.path])) { error in
            let error = error as? TraceInputError
            XCTAssertTrue(error?.message.hasPrefix("nothing to read") ?? false, error?.message ?? "")
            XCTAssertEqual(error?.file, directory.path)
        }
        let trace = try put("primary.jsonl")
        XCTAssertEqual(try TraceInputs.select([directory.path]).files, [trace])
    }

    func testEmptyReportHasAnEmptySkippedList() throws {
        let report = Checker(options: graphOnly()).check(files: [try put("primary.jsonl")])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        XCTAssertEqual(object["skipped_partial_files"] as? [String], [])
        XCTAssertFalse(report.text.contains("skipped"))
    }

    private func graphOnly() -> Checker.Options {
        var options = Checker.Options()
        options.useSolver = false
        return options
    }
}
