import Foundation
import XCTest
@testable import Trace

final class GzipTests: XCTestCase {
    private var directory = ""

    override func setUp() {
        directory = readerMakeDirectory()
    }

    override func tearDown() {
        readerRemoveDirectory(directory)
    }

    /// `text` compressed by the system's `gzip` (one member).
    private func gzip(_ text: String, level: Int = 6) throws -> [UInt8] {
        let gzipPath = ["/usr/bin/gzip", "/bin/gzip", "/usr/local/bin/gzip", "/opt/homebrew/bin/gzip"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let gzipPath else { throw XCTSkip("no gzip executable") }
        let input = readerWrite(Array(text.utf8), "plain-\(UUID().uuidString)", in: directory)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: gzipPath)
        process.arguments = ["-c", "-\(level)", input]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return Array(data)
    }

    private func trace(events range: Range<Int>, header: Bool = true) -> String {
        var text = header ? readerMirrorHeader + "\n" : ""
        for seq in range {
            text += #"{"node":"primary","seq":\#(seq),"ev":"commit","lsn":\#(seq),"pad":"\#(seq * 7919)"}"# + "\n"
        }
        return text
    }

    private func seqs(_ path: String) -> Result<[Int], TraceInputError> {
        readerReadAll(path).map { _, items in
            items.compactMap { if case .event(let e) = $0 { e.seq } else { nil } }
        }
    }

    func testSingleMember() throws {
        let path = readerWrite(try gzip(trace(events: 0..<50_000)), "trace.jsonl.gz", in: directory)
        XCTAssertEqual(try seqs(path).get(), Array(0..<50_000))
        XCTAssertTrue(try LineSource(path: path).isGzip)
    }

    func testDetectedByMagicNotByName() throws {
        let path = readerWrite(try gzip(trace(events: 0..<10)), "trace.jsonl", in: directory)
        XCTAssertEqual(try seqs(path).get(), Array(0..<10))
    }

    func testMultipleMembers() throws {
        // The second member starts in the middle of a line; the third repeats the header.
        let text = trace(events: 0..<3000)
        let cut = text.index(text.startIndex, offsetBy: text.utf8.count / 2 + 5)
        let bytes = try gzip(String(text[..<cut])) + gzip(String(text[cut...]), level: 1)
            + gzip(readerMirrorHeader + "\n" + trace(events: 3000..<3010, header: false))
        let path = readerWrite(bytes, "multi.gz", in: directory)
        XCTAssertEqual(try seqs(path).get(), Array(0..<3010))
    }

    func testEmptyMember() throws {
        let bytes = try gzip(trace(events: 0..<2)) + gzip("") + gzip(trace(events: 2..<4, header: false))
        XCTAssertEqual(try seqs(readerWrite(bytes, "empty-member.gz", in: directory)).get(), [0, 1, 2, 3])
    }

    func testCorruptData() throws {
        // Damage in the middle: zlib may inflate garbage before it notices, so any error will do.
        var bytes = try gzip(trace(events: 0..<20_000))
        for i in stride(from: bytes.count / 2, to: bytes.count / 2 + 64, by: 1) { bytes[i] ^= 0x5A }
        let path = readerWrite(bytes, "corrupt.gz", in: directory)
        guard case .failure(let error) = seqs(path) else { return XCTFail("accepted") }
        XCTAssertEqual(error.file, path)
        XCTAssertGreaterThan(error.line, 1)
    }

    func testCorruptChecksum() throws {
        // The CRC-32 in the trailer: every line is read before the damage shows.
        var bytes = try gzip(trace(events: 0..<20_000))
        bytes[bytes.count - 6] ^= 0xFF
        let path = readerWrite(bytes, "crc.gz", in: directory)
        guard case .failure(let error) = seqs(path) else { return XCTFail("accepted") }
        XCTAssertEqual(error.file, path)
        XCTAssertEqual(error.line, 20_002)
        XCTAssertTrue(error.message.contains("corrupt gzip data: incorrect data check"), error.message)
    }

    func testCorruptHeader() throws {
        var bytes = try gzip(trace(events: 0..<10))
        bytes[2] = 7  // compression method: only 8 (deflate) exists
        let path = readerWrite(bytes, "method.gz", in: directory)
        guard case .failure(let error) = seqs(path) else { return XCTFail("accepted") }
        XCTAssertEqual(error.line, 1)
        XCTAssertTrue(error.message.contains("corrupt gzip data: unknown compression method"), error.message)
    }

    func testTruncatedData() throws {
        let bytes = try gzip(trace(events: 0..<1000))
        let path = readerWrite(Array(bytes.dropLast(20)), "truncated.gz", in: directory)
        guard case .failure(let error) = seqs(path) else { return XCTFail("accepted") }
        XCTAssertTrue(error.message.contains("ends inside a gzip member"), error.message)
    }

    /// `--truncated`: gzip data cut off inside a member ends there, its cut last line dropped.
    func testTruncatedDataAcceptedWhenAllowed() throws {
        let bytes = try gzip(trace(events: 0..<1000))
        let path = readerWrite(Array(bytes.prefix(bytes.count / 2)), "cut.gz", in: directory)
        var reader = try TraceFileReader(path: path, fileIndex: 0, allowTruncated: true)
        var seqs: [Int] = []
        while let item = try reader.next() { if case .event(let e) = item { seqs.append(e.seq) } }
        XCTAssertGreaterThan(seqs.count, 10)
        XCTAssertEqual(seqs, Array(0..<seqs.count))
        XCTAssertEqual(reader.droppedCutLines, 1)
    }

    func testGarbageAfterLastMember() throws {
        let bytes = try gzip(trace(events: 0..<5)) + Array("junk".utf8)
        let path = readerWrite(bytes, "junk.gz", in: directory)
        guard case .failure(let error) = seqs(path) else { return XCTFail("accepted") }
        XCTAssertTrue(error.message.contains("corrupt gzip data"), error.message)
        XCTAssertEqual(error.line, 7)
    }

    func testOnlyTheMagicBytes() {
        let path = readerWrite([0x1F, 0x8B], "magic.gz", in: directory)
        guard case .failure(let error) = seqs(path) else { return XCTFail("accepted") }
        XCTAssertEqual(error.line, 1)
        XCTAssertTrue(error.message.contains("gzip"), error.message)
    }
}
