import Foundation
import Trace
import XCTest

/// The recorder's writer thread: buffers handed over whole, in order, with a bounded number in
/// flight (a recording faster than its writer waits, never deadlocks, loses nothing).
final class FileRecorderWriterTests: XCTestCase {
    func testEveryLineArrivesInOrderWhenEveryEventFillsABuffer() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("writer-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        // A limit of one byte hands every line to the writer on its own: the slots fill at once.
        let recorder = try FileRecorder(path: path, system: .mirror, bufferLimit: 1)
        let count = 20_000
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for i in 0..<count / 4 {
                recorder.record(TraceEvent(node: "primary", seq: thread * count + i + 1, kind: .commit(lsn: i + 1)))
            }
        }
        try recorder.finish()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, count + 1, "the header and every event")
        XCTAssertTrue(lines[0].hasPrefix("{\"format\":\"plumb-trace\""))
        // Per thread, in the order recorded.
        var last: [Int: Int] = [:]
        for line in lines.dropFirst() {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let seq = try XCTUnwrap(object["seq"] as? Int)
            let thread = (seq - 1) / count
            XCTAssertGreaterThan(seq, last[thread] ?? 0)
            last[thread] = seq
        }
    }
}
