import Foundation
import XCTest

/// `--html FILE` on `plumb check`, `plumb replay` and `plumb explore`, as a person runs them;
/// and, where Chromium is installed, the page rendered by a real headless browser.
final class HTMLCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    static let fail = "Traces/mirror/fail-commit-ahead-of-its-ack.jsonl"

    func testCheckWritesAPageNamingTheInvariant() throws {
        let page = directory.appendingPathComponent("r.html").path
        let run = try PlumbBinary.run(["check", "--html", page, Self.fail])
        XCTAssertEqual(run.status, 1, run.stdout + run.stderr)
        XCTAssertTrue(run.stderr.contains("HTML report written to \(page)"), run.stderr)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        XCTAssertTrue(html.contains("mirror.commit-after-mirror"))
        XCTAssertTrue(html.contains(#"data-id="primary#8""#))
        // The text report is unchanged on standard output.
        XCTAssertTrue(run.stdout.hasPrefix("FAIL: mirror trace, 1 violation"), run.stdout)
    }

    func testAPageThatCannotBeWrittenIsAUsageError() throws {
        let run = try PlumbBinary.run(["check", "--html", "/no/such/folder/r.html", Self.fail])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("/no/such/folder"), run.stderr)
        let each = try PlumbBinary.run(["check", "--each", "--html", directory.appendingPathComponent("r.html").path, Self.fail, Self.fail])
        XCTAssertEqual(each.status, 2, each.stderr)
    }

    func testExploreDrawsItsFirstCounterexampleAndReplayItsExecution() throws {
        let page = directory.appendingPathComponent("explore.html").path
        let run = try PlumbBinary.run([
            "explore", "mirror", "--streams", "2", "--paths", "2", "--records", "2", "--inject-fault", "commitsBeforeAck",
            "--out", directory.appendingPathComponent("ce").path, "--html", page, "--format", "json",
        ])
        XCTAssertEqual(run.status, 1, run.stderr)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        XCTAssertTrue(html.contains("plumb explore"))
        XCTAssertTrue(html.contains("mirror.commit-after-mirror"))
        XCTAssertTrue(html.contains("<g class=\"ev hl"), html)

        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let token = try XCTUnwrap((report["violations"] as? [[String: Any]])?.first?["token"] as? String)
        let replayPage = directory.appendingPathComponent("replay.html").path
        let replay = try PlumbBinary.run(["replay", token, "--html", replayPage])
        XCTAssertEqual(replay.status, 1, replay.stderr)
        let replayed = try String(contentsOfFile: replayPage, encoding: .utf8)
        XCTAssertTrue(replayed.contains("plumb replay"))
        XCTAssertTrue(replayed.contains("schedule (1 step)"), replayed)
        XCTAssertTrue(replayed.contains("&lt;replay&gt;:"), replayed)
    }

    /// Where Chromium is installed (`apt-get install chromium`), the page runs in it: its script
    /// runs to the end (it marks the body), a link to step 2 selects the counterexample's second
    /// event, and a screenshot is not blank. Skipped where there is no Chromium.
    func testTheFailingPageRendersInAHeadlessBrowser() throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
            .first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw XCTSkip("no Chromium here; install it with apt-get install chromium to run this test")
        }
        let page = directory.appendingPathComponent("r.html").path
        XCTAssertEqual(try PlumbBinary.run(["check", "--html", page, Self.fail]).status, 1)
        let flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(directory.appendingPathComponent("profile").path)"]
        let dom = try run(chromium, flags + ["--dump-dom", "file://\(page)#v=0&step=2"])
        XCTAssertTrue(dom.contains(#"data-ready="1""#), "the page's script did not run to its end")
        XCTAssertTrue(dom.contains("step 2 of 4"), dom)
        XCTAssertNotNil(dom.range(of: #"class="ev current" id="ev-\d+" data-i="\d+" data-id="primary#6""#, options: .regularExpression), dom)
        let shot = directory.appendingPathComponent("shot.png").path
        _ = try run(chromium, flags + ["--window-size=1200,800", "--screenshot=\(shot)", "file://\(page)"])
        let png = try Data(contentsOf: URL(fileURLWithPath: shot))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        // A blank page compresses to a few kilobytes; lanes, text and colours do not.
        XCTAssertGreaterThan(png.count, 20_000)
    }

    private func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
