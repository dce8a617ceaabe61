import Foundation
import XCTest

/// `plumb check` on directories with unfinished recordings, and the bound on waiting events.
final class CheckInputsCommandTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-inputs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func testPartialRecordingIsSkippedAndSaidSo() throws {
        let good = PlumbBinary.root.appendingPathComponent("Traces/mirror/pass-basic-one-stream.jsonl").path
        try FileManager.default.copyItem(atPath: good, toPath: directory.appendingPathComponent("secondary.jsonl").path)
        try "{\"format\":\"plumb-trace\",\"version\":1,\"system\":\"mirror\"}\n{\"node\":\"pri"
            .write(to: directory.appendingPathComponent("primary.jsonl.partial"), atomically: false, encoding: .utf8)
        let dir = directory.path
        let note = "skipped 1 file still being written or cut short: \(dir)/primary.jsonl.partial; "
            + "name it to check it, with --truncated if it was cut"

        let text = try PlumbBinary.run(["check", "--engine", "graph", dir])
        XCTAssertEqual(text.status, 0, text.stdout + text.stderr)
        XCTAssertTrue(text.stderr.contains(note), text.stderr)
        XCTAssertTrue(text.stdout.contains(note), text.stdout)

        let json = try PlumbBinary.run(["check", "--engine", "graph", "--format", "json", dir])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["skipped_partial_files"] as? [String], ["\(dir)/primary.jsonl.partial"])

        // Named, it is checked: cut mid-line, it is an error without --truncated.
        let named = try PlumbBinary.run(["check", "--engine", "graph", "\(dir)/primary.jsonl.partial"])
        XCTAssertEqual(named.status, 2, named.stdout)
        XCTAssertTrue(named.stdout.contains("--truncated"), named.stdout)
    }

    func testTooManyWaitingEventsExitsTwoNamingTheOption() throws {
        var lines = [#"{"format":"plumb-trace","version":1,"system":"mirror"}"#]
        for i in 1...50 {
            lines.append(#"{"node":"secondary","seq":\#(i),"ev":"ack","stream":0,"sn":0,"cause":{"node":"primary","seq":\#(i)}}"#)
        }
        for i in 1...50 { lines.append(#"{"node":"primary","seq":\#(i),"ev":"assign","stream":0,"path":0}"#) }
        let path = directory.appendingPathComponent("merged.jsonl").path
        try lines.joined(separator: "\n").write(toFile: path, atomically: false, encoding: .utf8)

        let bounded = try PlumbBinary.run(["check", "--engine", "graph", "--max-pending", "20", path])
        XCTAssertEqual(bounded.status, 2, bounded.stdout + bounded.stderr)
        XCTAssertTrue(bounded.stdout.contains("\(path):22: 21 events read are waiting"), bounded.stdout)
        XCTAssertTrue(bounded.stdout.contains("--max-pending"), bounded.stdout)

        let roomy = try PlumbBinary.run(["check", "--engine", "graph", "--max-pending", "51", path])
        XCTAssertNotEqual(roomy.status, 2, roomy.stdout + roomy.stderr)

        let help = try PlumbBinary.run(["check", "--help"])
        XCTAssertTrue(help.stdout.contains("--max-pending"), help.stdout)
        XCTAssertTrue(help.stdout.contains(".partial"), help.stdout)
    }
}
