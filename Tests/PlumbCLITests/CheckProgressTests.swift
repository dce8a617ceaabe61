import Checker
import Foundation
@testable import PlumbCLI
import Trace
import XCTest

/// The progress line of a long `plumb check` on standard error.
final class CheckProgressTests: XCTestCase {
    func testOffATerminalALineIsPrintedPerInterval() throws {
        let lines = Locked<[String]>([])
        let line = CheckProgressLine(onTerminal: false, interval: .zero) { text in lines.withLock { $0.append(text) } }
        line.show(events: 1_024)
        line.show(events: 2_048)
        line.finish()
        let printed = lines.withLock { $0 }
        XCTAssertEqual(printed.count, 2)
        XCTAssertEqual(line.text(events: 500, elapsed: .seconds(2), estimate: 2_000),
                       "check: 500 of ~2,000 events (25%), 250 events/s, 2 s, ~6 s left")
        XCTAssertTrue(printed[1].hasPrefix("check: 2,048 events, "), printed[1])
        XCTAssertTrue(printed[1].hasSuffix(" s\n"), printed[1])
    }

    func testALongCheckOffATerminalSaysHowFarItGot() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-progress-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("long.jsonl").path
        var bytes = TraceEncoder.encode(TraceHeader(system: .mirror)) + [0x0A]
        SyntheticMirrorTrace().generate(events: 20_000) { TraceEncoder.append($0, to: &bytes) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let run = try PlumbBinary.run(["check", "--engine", "graph", "--progress-interval", "0.001", path])
        XCTAssertEqual(run.status, 0, run.stderr)
        // The share done is estimated from the file's size and the length of its first lines.
        XCTAssertNotNil(run.stderr.range(
            of: #"check: [\d,]+ of ~[\d,]+ events \(\d+%\), [\d,]+ events/s, \d+ s, ~\d+ s left\n"#, options: .regularExpression),
            run.stderr)
        // Standard output holds the report alone.
        XCTAssertFalse(run.stdout.contains("events/s"))
    }
}
