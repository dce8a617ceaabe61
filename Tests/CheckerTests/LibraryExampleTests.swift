import Checker
import XCTest

/// README.md's "Using Plumb from Swift" example, as written there.
final class LibraryExampleTests: XCTestCase {
    func testTheReadmeExampleChecksATraceFromCode() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let selection = try TraceInputs.select([root + "/Traces/mirror/pass-split-files"])
        let report = Checker().check(files: selection.files)
        XCTAssertEqual(report.verdict, .pass)
        XCTAssertEqual(report.violations.map { "\($0.invariant) \($0.message)" }, [])
        XCTAssertNil(report.error)
        XCTAssertEqual(selection.files.count, 2)
    }
}
