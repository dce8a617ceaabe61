import Foundation
import XCTest
@testable import Trace

/// Prints how fast a generated trace is read; never asserts a time (measured elsewhere).
final class ParserThroughputTests: XCTestCase {
    func testReadGeneratedTrace() throws {
        let directory = readerMakeDirectory()
        defer { readerRemoveDirectory(directory) }
        let count = 100_000
        var bytes = TraceEncoder.encode(TraceHeader(system: .mirror), meta: ["bench": "1"]) + [0x0A]
        for seq in 0..<count {
            let node = seq % 2 == 0 ? "primary" : "secondary"
            let kind: EventKind = seq % 2 == 0
                ? .send(stream: seq % 8, sn: seq / 8, path: seq % 3)
                : .recv(stream: seq % 8, sn: seq / 8, path: seq % 3)
            let causes = seq % 2 == 1 ? [EventID(node: "primary", seq: seq - 1)] : []
            TraceEncoder.append(
                TraceEvent(node: node, seq: seq, kind: kind, causes: causes, t: 1_700_000_000_000 + seq),
                to: &bytes)
        }
        let path = readerWrite(bytes, "bench.jsonl", in: directory)
        let start = Date()
        var reader = try TraceFileReader(path: path, fileIndex: 0)
        var events = 0
        while let item = try reader.next() {
            if case .event = item { events += 1 }
        }
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(events, count)
        print("read \(events) lines (\(bytes.count) bytes) in \(seconds) s: \(Int(Double(events) / seconds)) lines/s")
    }
}
