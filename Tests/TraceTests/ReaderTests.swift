import Foundation
import XCTest
@testable import Trace

/// A fresh directory for one test's files, removed by `readerRemoveDirectory`.
func readerMakeDirectory() -> String {
    let path = NSTemporaryDirectory() + "plumb-reader-tests-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func readerRemoveDirectory(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// Writes `bytes` to `name` in `directory` and returns the path.
@discardableResult
func readerWrite(_ bytes: [UInt8], _ name: String, in directory: String) -> String {
    let path = directory + "/" + name
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
}

/// Reads a whole trace file: its header and items, or the first error.
func readerReadAll(_ path: String, fileIndex: Int = 0) -> Result<(TraceHeader, [TraceItem]), TraceInputError> {
    Result { () throws(TraceInputError) in
        var reader = try TraceFileReader(path: path, fileIndex: fileIndex)
        var items: [TraceItem] = []
        while let item = try reader.next() { items.append(item) }
        return (reader.header, items)
    }
}

let readerMirrorHeader = #"{"format":"plumb-trace","version":1,"system":"mirror"}"#

final class ReaderTests: XCTestCase {
    private var directory = ""

    override func setUp() {
        directory = readerMakeDirectory()
    }

    override func tearDown() {
        readerRemoveDirectory(directory)
    }

    private func file(_ text: String, _ name: String = "trace.jsonl") -> String {
        readerWrite(Array(text.utf8), name, in: directory)
    }

    private func assertError(
        _ text: String, line: Int, _ expected: String, file: StaticString = #filePath, line number: UInt = #line
    ) {
        let path = self.file(text)
        switch readerReadAll(path) {
        case .success:
            XCTFail("accepted", file: file, line: number)
        case .failure(let error):
            XCTAssertEqual(error.file, path, file: file, line: number)
            XCTAssertEqual(error.line, line, "\(error)", file: file, line: number)
            XCTAssertTrue(error.message.contains(expected), "\(error) lacks \(expected)", file: file, line: number)
        }
    }

    private func events(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [TraceEvent] {
        switch readerReadAll(self.file(text)) {
        case .success(let (_, items)):
            return items.compactMap { if case .event(let e) = $0 { e } else { nil } }
        case .failure(let error):
            XCTFail("\(error)", file: file, line: line)
            return []
        }
    }

    func testReadsEventsWithLocations() throws {
        let text = "\n" + readerMirrorHeader + "\n\n"
            + #"{"node":"primary","seq":0,"ev":"commit","lsn":1}"# + "\n"
            + #"{"ev":"x-note","seq":"?"}"# + "\n"
            + #"{"node":"secondary","seq":0,"ev":"crash"}"# + "\n"
        let path = file(text)
        var reader = try TraceFileReader(path: path, fileIndex: 3)
        XCTAssertEqual(reader.header, TraceHeader(system: .mirror))
        XCTAssertEqual(reader.headerLine, 2)
        XCTAssertEqual(try reader.next(), .event(TraceEvent(
            node: "primary", seq: 0, kind: .commit(lsn: 1), location: SourceLocation(file: 3, line: 4))))
        XCTAssertEqual(try reader.next(), .extensionEvent(nil))
        XCTAssertEqual(try reader.next(), .event(TraceEvent(
            node: "secondary", seq: 0, kind: .crash, location: SourceLocation(file: 3, line: 6))))
        XCTAssertNil(try reader.next())
        XCTAssertNil(try reader.next())
    }

    func testEmptyFile() {
        assertError("", line: 0, "empty file: no header")
        assertError("\n  \n\n", line: 0, "empty file: no header")
    }

    func testMissingHeader() {
        assertError(#"{"node":"primary","seq":0,"ev":"crash"}"# + "\n", line: 1, "missing header")
        assertError("\n\n" + #"{"node":"primary","seq":0,"ev":"crash"}"#, line: 3, "missing header")
        assertError("not json\n", line: 1, "not JSON")
        assertError(#"{"format":"plumb-trace","version":3,"system":"mirror"}"#, line: 1, "unsupported version 3")
        // A first line with an ev is an event, header keys or not, and the error says why.
        assertError(#"{"format":"plumb-trace","version":1,"system":"mirror","node":"primary","seq":0,"ev":"crash"}"#,
                    line: 1, #"missing header: the first line must be {"format":"plumb-trace","version":1,"system":...} "#
                        + #"(this one has an "ev", so it is an event)"#)
    }

    func testErrorsNameTheirLine() {
        let text = readerMirrorHeader + "\n\n" + #"{"node":"primary","seq":0,"ev":"send","stream":"2","sn":1,"path":0}"#
        assertError(text, line: 3, #"field "stream" must be an integer >= 0, got string "2""#)
        assertError(readerMirrorHeader + "\n" + #"{"node":"driver","seq":0,"ev":"online"}"#, line: 2,
                    "not an event of system mirror")
    }

    func testRecurringHeaders() {
        let event0 = #"{"node":"primary","seq":0,"ev":"crash"}"#
        let event1 = #"{"node":"primary","seq":1,"ev":"crash"}"#
        let again = #"{"system":"mirror","format":"plumb-trace","version":1,"meta":{"part":2}}"#
        XCTAssertEqual(events([readerMirrorHeader, event0, again, event1].joined(separator: "\n")).count, 2)
        let other = #"{"format":"plumb-trace","version":1,"system":"driver"}"#
        assertError([readerMirrorHeader, event0, other, event1].joined(separator: "\n"), line: 3,
                    "header names version 1, system driver, but the file's header at line 1 names version 1, system mirror")
        let newer = #"{"format":"plumb-trace","version":2,"system":"mirror"}"#
        assertError([readerMirrorHeader, event0, newer].joined(separator: "\n"), line: 3, "unsupported version 2")
    }

    func testSeqMustIncreasePerNode() {
        let lines = [
            readerMirrorHeader,
            #"{"node":"primary","seq":5,"ev":"crash"}"#,
            #"{"node":"secondary","seq":1,"ev":"crash"}"#,
            #"{"ev":"x-probe","node":"primary","seq":1}"#,  // x- events are not checked
            #"{"node":"primary","seq":9,"ev":"crash"}"#,
            #"{"node":"secondary","seq":2,"ev":"crash"}"#,
        ]
        XCTAssertEqual(events(lines.joined(separator: "\n")).map(\.seq), [5, 1, 9, 2])
        let equal = lines + [#"{"node":"primary","seq":9,"ev":"crash"}"#]
        assertError(equal.joined(separator: "\n"), line: 7,
                    #"seq 9 of node "primary" does not increase: the node's previous seq is 9 at line 5"#)
        let lower = lines + [#"{"node":"secondary","seq":0,"ev":"crash"}"#]
        assertError(lower.joined(separator: "\n"), line: 7,
                    #"seq 0 of node "secondary" does not increase: the node's previous seq is 2 at line 6"#)
    }

    func testSeqCheckWithManyNodes() {
        var lines = [#"{"format":"plumb-trace","version":1,"system":"recovery"}"#]
        for round in 0..<3 {
            for worker in 0..<40 {
                lines.append(#"{"node":"w\#(worker)","seq":\#(round * 10 + worker % 3),"ev":"start","consumer":"c"}"#)
            }
        }
        XCTAssertEqual(events(lines.joined(separator: "\n")).count, 120)
        let bad = lines + [#"{"node":"w30","seq":20,"ev":"start","consumer":"c"}"#]
        assertError(bad.joined(separator: "\n"), line: 122,
                    #"seq 20 of node "w30" does not increase: the node's previous seq is 20 at line 112"#)
    }

    func testLastLineWithoutNewlineAndCRLF() {
        let crlf = readerMirrorHeader + "\r\n" + #"{"node":"primary","seq":0,"ev":"crash"}"# + "\r\n\r\n"
            + #"{"node":"primary","seq":1,"ev":"commit","lsn":3}"# + "\r\n"
        XCTAssertEqual(events(crlf).map(\.seq), [0, 1])
        XCTAssertEqual(events(crlf).map(\.location.line), [2, 4])
        let noNewline = readerMirrorHeader + "\n" + #"{"node":"primary","seq":0,"ev":"commit","lsn":3}"#
        XCTAssertEqual(events(noNewline).map(\.kind), [.commit(lsn: 3)])
        let crOnly = readerMirrorHeader + "\n" + #"{"node":"primary","seq":0,"ev":"crash"}"# + "\r"
        XCTAssertEqual(events(crOnly).count, 1)
    }

    func testCannotOpen() {
        let path = directory + "/missing.jsonl"
        guard case .failure(let error) = readerReadAll(path) else { return XCTFail("opened") }
        XCTAssertEqual(error.file, path)
        XCTAssertEqual(error.line, 0)
        XCTAssertTrue(error.message.hasPrefix("cannot open"), error.message)
    }

    // MARK: LineSource

    private func lines(_ path: String, chunkSize: Int, maxLineLength: Int = 1 << 20) throws -> [String] {
        let source = try LineSource(path: path, chunkSize: chunkSize, maxLineLength: maxLineLength)
        var lines: [String] = []
        while let line = try source.nextLine() { lines.append(String(decoding: line, as: UTF8.self)) }
        return lines
    }

    func testLineSourceWithTinyChunks() throws {
        var expected: [String] = []
        for n in 0..<500 { expected.append(String(repeating: "ab", count: n % 37) + "\(n)") }
        expected.append(String(repeating: "long", count: 500))
        expected.append("")
        expected.append("last")
        let path = file(expected.joined(separator: "\n"))
        for chunk in [16, 17, 100, 4096, 1 << 20] {
            XCTAssertEqual(try lines(path, chunkSize: chunk), expected, "chunk \(chunk)")
        }
        XCTAssertEqual(try lines(file("", "empty"), chunkSize: 16), [])
        XCTAssertEqual(try lines(file("\n", "newline"), chunkSize: 16), [""])
        XCTAssertEqual(try lines(file("x", "one"), chunkSize: 16), ["x"])
    }

    func testLineTooLong() throws {
        let path = file("short\n" + String(repeating: "x", count: 5000) + "\nshort\n")
        XCTAssertEqual(try lines(path, chunkSize: 64, maxLineLength: 5000).count, 3)
        XCTAssertThrowsError(try lines(path, chunkSize: 64, maxLineLength: 4999)) { error in
            let error = error as! TraceInputError
            XCTAssertEqual(error.line, 2)
            XCTAssertEqual(error.file, path)
            XCTAssertTrue(error.message.contains("line longer than 4999 bytes"), error.message)
        }
        // Found within one chunk too.
        XCTAssertThrowsError(try lines(path, chunkSize: 1 << 16, maxLineLength: 100)) { error in
            XCTAssertEqual((error as! TraceInputError).line, 2)
        }
    }
}
