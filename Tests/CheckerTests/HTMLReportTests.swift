import Checker
import Foundation
import Specs
import Trace
import XCTest

/// The HTML report, tested for its structure (no browser needed): lanes, highlighted events,
/// steps, escaping of hostile strings, the neighbourhood of a large trace, the summary of a
/// passing one.
final class HTMLReportTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = try TraceFixtures.folder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func page(_ files: [String], useSolver: Bool = true, configure: (inout HTMLReport) -> Void = { _ in }) -> (String, CheckReport) {
        var options = Checker.Options()
        options.useSolver = useSolver
        let report = Checker(options: options).check(files: files)
        var html = HTMLReport()
        configure(&html)
        return (html.render(report), report)
    }

    func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    func testAFailingTraceHasLanesHighlightedEventsAndSteps() throws {
        let path = TraceFixtures.traces.appendingPathComponent("mirror/fail-commit-ahead-of-its-ack.jsonl").path
        let (html, report) = page([path])
        XCTAssertEqual(report.verdict, .fail)
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.contains(#"<g class="lane" data-node="primary">"#), html)
        XCTAssertTrue(html.contains(#"<g class="lane" data-node="secondary">"#))
        XCTAssertTrue(html.contains("mirror.commit-after-mirror"))
        // The violation's events are highlighted; the commit is where it was decided.
        XCTAssertTrue(html.contains(#"<g class="ev hl" id="#), html)
        XCTAssertNotNil(html.range(of: #"class="ev hl decided" id="ev-\d+" data-i="\d+" data-id="primary#8""#, options: .regularExpression))
        XCTAssertNotNil(html.range(of: #"class="ev hl" id="ev-\d+" data-i="\d+" data-id="secondary#5""#, options: .regularExpression))
        // Every event is drawn; the cause links are arrows; the counterexample has four steps.
        XCTAssertEqual(count("<g class=\"ev", in: html), 15)
        XCTAssertEqual(count("<path class=\"cause", in: html), 4)
        XCTAssertEqual(count("<g class=\"step on\" data-v=\"0\"", in: html), 4)
        XCTAssertTrue(html.contains(#"id="next""#) && html.contains(#"id="prev""#))
        XCTAssertTrue(html.contains("fail-commit-ahead-of-its-ack.jsonl:14"))
        // Self-contained: nothing is fetched.
        XCTAssertFalse(html.contains("http://") && !html.contains("http://www.w3.org/2000/svg"))
        XCTAssertFalse(html.contains("https://"))
        XCTAssertFalse(html.contains("<link"))
        XCTAssertFalse(html.contains(" src="))
    }

    func testMarkersForCrashesPathFailuresAndTakeovers() throws {
        let path = TraceFixtures.traces.appendingPathComponent("mirror/pass-takeover-after-primary-crash.jsonl").path
        let (html, _) = page([path])
        XCTAssertTrue(html.contains("ev m-crash"), html)
        XCTAssertTrue(html.contains("ev m-takeover"), html)
        let failover = TraceFixtures.traces.appendingPathComponent("mirror/pass-path-failover-resend.jsonl").path
        XCTAssertTrue(page([failover]).0.contains("ev m-pathdown"))
        let driver = TraceFixtures.traces.appendingPathComponent("driver/pass-crash-recovered-online.jsonl").path
        XCTAssertTrue(page([driver]).0.contains("ev m-recovery"))
    }

    func testAPassingTraceGetsASummary() throws {
        let path = TraceFixtures.traces.appendingPathComponent("mirror/pass-basic-one-stream.jsonl").path
        let (html, _) = page([path])
        XCTAssertTrue(html.contains(#"<span class="verdict pass">PASS</span>"#))
        XCTAssertTrue(html.contains("<td>primary</td>"))
        XCTAssertTrue(html.contains("mirror.dead-node"))
        XCTAssertTrue(html.contains("z3 proved every obligation"))
        XCTAssertFalse(html.contains("<section class=\"violations\">"))
    }

    func testHostileStringsCannotAddMarkupOrScript() throws {
        let evil = #"</script><script>alert(1)</script><img src=x onerror=alert(2)>"#
        let quoted = evil.replacingOccurrences(of: "\"", with: "\\\"")
        let url = folder.appendingPathComponent("evil.jsonl")
        try TraceFixtures.write([
            #"{"format":"plumb-trace","version":1,"system":"recovery"}"#,
            #"{"node":"framework","seq":1,"ev":"register","consumer":"\#(quoted)","deps":[]}"#,
            #"{"node":"framework","seq":2,"ev":"begin"}"#,
            #"{"node":"framework","seq":3,"ev":"notify","consumer":"\#(quoted)"}"#,
            #"{"node":"\#(quoted)","seq":1,"ev":"start","consumer":"\#(quoted)"}"#,
            #"{"node":"\#(quoted)","seq":2,"ev":"end","consumer":"\#(quoted)","ok":true}"#,
        ], to: url)
        var options = Checker.Options()
        options.useSolver = false
        let report = Checker(options: options).check(files: [url.path])
        XCTAssertEqual(report.verdict, .fail, report.text)
        var page = HTMLReport()
        page.context = [evil]
        let html = page.render(report)
        // Exactly the page's own two script elements, and no injected element or handler.
        XCTAssertEqual(count("<script", in: html), 2, html)
        XCTAssertEqual(count("</script", in: html), 2)
        XCTAssertFalse(html.contains("<img"))
        XCTAssertFalse(html.contains("<script>alert"))
        XCTAssertTrue(html.contains("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"))
        // In the data block, as JSON escapes.
        XCTAssertTrue(html.contains(#"\u003cscript\u003ealert(1)"#), html)
        // The script never turns strings into markup.
        XCTAssertFalse(html.contains("innerHTML"))
        XCTAssertFalse(html.contains("document.write"))
    }

    func testALargeTraceShowsTheViolationsNeighbourhoodAndSaysWhatIsLeftOut() throws {
        let url = folder.appendingPathComponent("planted.jsonl")
        try TraceFixtures.write(TraceFixtures.plantedMirror(events: 6_000), system: .mirror, to: url)
        let (html, report) = page([url.path], useSolver: false) { $0.maxEvents = 300 }
        XCTAssertEqual(report.verdict, .fail)
        let drawn = count("<g class=\"ev", in: html)
        XCTAssertLessThanOrEqual(drawn, 400)
        XCTAssertGreaterThan(drawn, 50)
        XCTAssertTrue(html.contains("Showing \(drawn) of \(report.stats.events) events"), html)
        XCTAssertTrue(html.contains("\(report.stats.events - drawn) events left out"))
        // Every event of the first violation is drawn and highlighted.
        for e in report.violations[0].events {
            XCTAssertNotNil(html.range(of: #"class="ev[^"]* hl[^"]*" id="ev-\d+" data-i="\d+" data-id="\#(e.id)""#, options: .regularExpression), "\(e.id)")
        }
        // Bounded: the page does not grow with the trace.
        XCTAssertLessThan(html.utf8.count, 400_000)
    }

    func testAnInputErrorIsNamed() throws {
        let path = TraceFixtures.traces.appendingPathComponent("mirror/error-not-json.jsonl").path
        let (html, report) = page([path])
        XCTAssertEqual(report.verdict, .error)
        XCTAssertTrue(html.contains("Not a valid trace"))
        XCTAssertTrue(html.contains("error-not-json.jsonl:"))
    }
}
