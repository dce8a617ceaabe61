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
        line.show(.init(events: 1_024, bytesRead: 100_000))
        line.show(.init(events: 2_048, bytesRead: 200_000))
        line.finish()
        let printed = lines.withLock { $0 }
        XCTAssertEqual(printed.count, 2)
        XCTAssertEqual(line.text(.init(events: 500, bytesRead: 2_500_000), elapsed: .seconds(2), total: 10_000_000),
                       "check: 2.5 of 10.0 MB read (25%), 500 events, 250 events/s, 2 s, ~6 s left")
        XCTAssertTrue(printed[1].hasPrefix("check: 0.2 MB read, 2,048 events, "), printed[1])
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
        // Bytes read out of the file's size, events, rate and the time left.
        XCTAssertNotNil(run.stderr.range(
            of: #"check: [\d.]+ of [\d.]+ MB read \(\d+%\), [\d,]+ events, [\d,]+ events/s, \d+ s, ~\d+ s left\n"#,
            options: .regularExpression),
            run.stderr)
        // Standard output holds the report alone.
        XCTAssertFalse(run.stdout.contains("events/s"))
    }
}
