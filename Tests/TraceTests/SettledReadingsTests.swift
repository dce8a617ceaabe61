import Foundation
import XCTest
@testable import Trace

/// TRACE-FORMAT.md, "Settled readings (v1, clarified 2026-12)": the Syntax, Names and
/// `--truncated` bullets, as the parser, the file reader and the causal order apply them.
final class SettledReadingsTests: XCTestCase {
    private var directory = ""

    override func setUp() {
        directory = readerMakeDirectory()
    }

    override func tearDown() {
        readerRemoveDirectory(directory)
    }

    private func assertRejects(
        _ line: String, _ system: TraceSystem? = .mirror, _ expected: String,
        file: StaticString = #filePath, line number: UInt = #line
    ) {
        guard let message = parserRejection(line, system) else {
            return XCTFail("accepted \(line)", file: file, line: number)
        }
        XCTAssertTrue(message.contains(expected), "message \(message) lacks \(expected)", file: file, line: number)
    }

    private func event(_ line: String, _ system: TraceSystem? = .mirror, file: StaticString = #filePath,
                       line number: UInt = #line) -> TraceEvent? {
        guard case .event(let event)? = parserAccepts(line, system, file: file, line: number) else {
            XCTFail("not an event: \(line)", file: file, line: number)
            return nil
        }
        return event
    }

    // MARK: Syntax

    func testByteOrderMarkIsNotJSON() {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        for line in [readerMirrorHeader, #"{"node":"primary","seq":1,"ev":"crash"}"#] {
            XCTAssertThrowsError(try EventParser(system: .mirror).parse(bom + Array(line.utf8))) { error in
                let message = (error as! TraceInputError).message
                XCTAssertTrue(message.hasPrefix("not JSON: a byte-order mark"), message)
                XCTAssertTrue(message.contains("column 1"), message)
            }
        }
        // Before the header: the file's line 1 is named.
        let path = readerWrite(bom + Array((readerMirrorHeader + "\n").utf8), "bom.jsonl", in: directory)
        guard case .failure(let error) = readerReadAll(path) else { return XCTFail("accepted a BOM") }
        XCTAssertEqual(error.file, path)
        XCTAssertEqual(error.line, 1)
        XCTAssertTrue(error.message.contains("byte-order mark"), error.message)
        // U+FEFF inside a string is just a character.
        XCTAssertEqual(event(#"{"node":"primary","seq":1,"ev":"crash","note":"\#u{FEFF}"}"#)?.kind, .crash)
    }

    func testOnlyJSONWhitespaceMakesALineBlank() throws {
        for blank in ["", " ", "\t", "\r", " \t\r\r ", "\n"] {
            XCTAssertEqual(parserAccepts(blank), .blank, "\(Array(blank.utf8))")
        }
        for notBlank in ["\u{0C}", "\u{0B}", "\u{A0}", "\u{FEFF}", " \u{2003} "] {
            XCTAssertNotNil(parserRejection(notBlank), "\(Array(notBlank.utf8))")
        }
        // Blank lines, with CRLF ends and stray CRs, before the header and between events.
        let text = " \r\n\t\r\n\r\r\n" + readerMirrorHeader + "\r\n \t\r\n"
            + #"{"node":"primary","seq":1,"ev":"crash"}"# + "\r\n\r\r\n"
        let path = readerWrite(Array(text.utf8), "blank.jsonl", in: directory)
        var reader = try TraceFileReader(path: path, fileIndex: 0)
        XCTAssertEqual(reader.headerLine, 4)
        guard case .event(let crash)? = try reader.next() else { return XCTFail("no event") }
        XCTAssertEqual(crash.location.line, 6)
        XCTAssertNil(try reader.next())
    }

    func testRepeatedKeysInNamedObjectsAreErrors() {
        assertRejects(#"{"format":"plumb-trace","version":1,"system":"mirror","version":1}"#, nil,
                      #"duplicate key "version""#)
        assertRejects(#"{"format":"plumb-trace","version":1,"system":"mirror","meta":{},"meta":{}}"#, nil,
                      #"duplicate key "meta""#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","t":null,"t":1}"#, .mirror, #"duplicate key "t""#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","cause":null,"cause":null}"#, .mirror,
                      #"duplicate key "cause""#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","cause":[{"node":"a","seq":1},{"node":"a","node":"a","seq":2}]}"#,
                      .mirror, #"duplicate key "node" in field "cause[1]""#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","cause":{"node":"a","seq":1,"x":1,"x":1}}"#,
                      .mirror, #"duplicate key "x" in field "cause""#)
        let append = #"{"node":"primary","seq":1,"ev":"append","lsn":1,"stream":1,"sn":1,"deps":"#
        assertRejects(append + #"[{"stream":0,"sn":1},{"stream":0,"sn":2,"stream":0}]}"#, .mirror,
                      #"duplicate key "stream" in field "deps[1]""#)
        assertRejects(append + #"[{"stream":0,"sn":1,"s\u006e":1}]}"#, .mirror, #"duplicate key "sn" in field "deps[0]""#)
    }

    func testAnyJSONInsideMetaAndUnnamedFields() {
        let header = #"{"format":"plumb-trace","version":1,"system":"driver","#
            + #""meta":{"a":1,"a":{"b":[{"c":1,"c":2}],"b":99999999999999999999999999},"big":-1e400},"#
            + #""host":{"x":1,"x":2}}"#
        XCTAssertEqual(parserAccepts(header, nil), .header(TraceHeader(system: .driver)))
        let submit = #"{"node":"driver","seq":1,"ev":"submit","iface":0,"id":1,"off":0,"len":1,"#
            + #""tenant":{"vm":1,"vm":2},"lba":123456789012345678901234567890,"hist":[1e999,{"p":1,"p":2}]}"#
        XCTAssertEqual(event(submit, .driver)?.kind, .submit(iface: 0, id: 1, off: 0, len: 1, deps: []))
        // A named field of another event's row is not named for this one: ignored too.
        XCTAssertEqual(event(#"{"node":"primary","seq":1,"ev":"commit","lsn":1,"deps":[{"sn":1,"sn":2}],"id":1e99}"#)?.kind,
                       .commit(lsn: 1))
        // Inside a cause entry too.
        XCTAssertEqual(event(#"{"node":"primary","seq":2,"ev":"crash","cause":{"node":"a","seq":1,"why":{"k":1,"k":2}}}"#)?.causes,
                       [EventID(node: "a", seq: 1)])
        // Still valid JSON: a broken value there is not.
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","x":{"a":1,}}"#, .mirror, "not JSON")
    }

    func testNamedIntegersFitSigned64Bits() {
        XCTAssertEqual(event(#"{"node":"primary","seq":9223372036854775807,"ev":"crash"}"#)?.seq, Int.max)
        assertRejects(#"{"node":"primary","seq":9223372036854775808,"ev":"crash"}"#, .mirror,
                      #"field "seq" must be an integer >= 0 (64-bit), got number 9223372036854775808"#)
        assertRejects(#"{"node":"primary","seq":18446744073709551616,"ev":"crash"}"#, .mirror, #"field "seq""#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","cause":{"node":"a","seq":9223372036854775808}}"#,
                      .mirror, #"field "cause.seq" must be an integer >= 0 (64-bit)"#)
        XCTAssertEqual(event(#"{"node":"primary","seq":1,"ev":"commit","lsn":9223372036854775807}"#)?.kind,
                       .commit(lsn: Int.max))
        assertRejects(#"{"node":"primary","seq":1,"ev":"commit","lsn":9223372036854775808}"#, .mirror,
                      #"field "lsn" must be an integer >= 0 (64-bit)"#)
        assertRejects(#"{"node":"driver","seq":1,"ev":"submit","iface":0,"id":1,"off":0,"len":1,"deps":[9223372036854775808]}"#,
                      .driver, #"field "deps[0]" must be an integer >= 0 (64-bit)"#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","t":9223372036854775808}"#, .mirror,
                      #"field "t" must be an integer (64-bit)"#)
        XCTAssertEqual(event(#"{"node":"primary","seq":1,"ev":"crash","t":9223372036854775807}"#)?.t, Int.max)
    }

    func testNullOptionalFieldsAreAbsent() {
        let crash = event(#"{"node":"primary","seq":1,"ev":"crash","t":null,"cause":null}"#)
        XCTAssertEqual(crash, TraceEvent(node: "primary", seq: 1, kind: .crash))
        XCTAssertNil(crash?.t)
        XCTAssertEqual(parserAccepts(#"{"format":"plumb-trace","version":1,"system":"mirror","meta":null}"#, nil),
                       .header(TraceHeader(system: .mirror)))
        XCTAssertEqual(event(#"{"node":"primary","seq":1,"ev":"append","lsn":1,"stream":0,"sn":1,"deps":null}"#)?.kind,
                       .append(lsn: 1, stream: 0, sn: 1, deps: []))
        XCTAssertEqual(event(#"{"node":"driver","seq":1,"ev":"submit","iface":0,"id":1,"off":0,"len":1,"deps":null}"#,
                             .driver)?.kind, .submit(iface: 0, id: 1, off: 0, len: 1, deps: []))
        XCTAssertEqual(event(#"{"node":"framework","seq":1,"ev":"register","consumer":"a","deps":[],"after":null,"logs":null}"#,
                             .recovery)?.kind, .register(consumer: "a", deps: [], after: [], logs: []))
        XCTAssertEqual(event(#"{"node":"w","seq":1,"ev":"end","consumer":"a","ok":false,"reason":null}"#, .recovery)?.kind,
                       .end(consumer: "a", ok: false, reason: nil))
        XCTAssertEqual(parserAccepts(#"{"ev":"x-note","node":null,"seq":null}"#), .extensionEvent(nil))
    }

    func testNullRequiredFieldsAreMistyped() {
        assertRejects(#"{"node":null,"seq":1,"ev":"crash"}"#, .mirror, #"field "node" must be a string, got null"#)
        assertRejects(#"{"node":"primary","seq":null,"ev":"crash"}"#, .mirror,
                      #"field "seq" must be an integer >= 0, got null"#)
        assertRejects(#"{"node":"primary","seq":1,"ev":null}"#, .mirror, #"field "ev" must be a string, got null"#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"commit","lsn":null}"#, .mirror,
                      #"field "lsn" must be an integer >= 0, got null"#)
        assertRejects(#"{"node":"framework","seq":1,"ev":"register","consumer":"a","deps":null}"#, .recovery,
                      #"field "deps" must be an array of strings, got null"#)
        assertRejects(#"{"node":"framework","seq":1,"ev":"reject","consumer":"a","reason":null}"#, .recovery,
                      #"field "reason" must be a string, got null"#)
        assertRejects(#"{"node":"framework","seq":1,"ev":"done","ok":null}"#, .recovery,
                      #"field "ok" must be a boolean, got null"#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","cause":{"node":"a","seq":null}}"#, .mirror,
                      #"field "cause.seq" must be an integer >= 0, got null"#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","cause":[null]}"#, .mirror,
                      #"field "cause[0]" must be an object {"node","seq"}, got null"#)
        assertRejects(#"{"format":"plumb-trace","version":null,"system":"mirror"}"#, nil,
                      #"field "version" must be an integer, got null"#)
    }

    func testPresentOptionalFieldsKeepTheirTypes() {
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","t":"12:00"}"#, .mirror,
                      #"field "t" must be an integer, got string "12:00""#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","t":false}"#, .mirror, #"field "t" must be an integer"#)
        assertRejects(#"{"format":"plumb-trace","version":1,"system":"mirror","meta":[]}"#, nil,
                      #"field "meta" must be an object, got an array"#)
        assertRejects(#"{"node":"framework","seq":1,"ev":"register","consumer":"a","deps":[],"after":"b"}"#, .recovery,
                      #"field "after" must be an array of strings, got string "b""#)
        assertRejects(#"{"node":"framework","seq":1,"ev":"register","consumer":"a","deps":[],"logs":[null]}"#, .recovery,
                      #"field "logs[0]" must be a string, got null"#)
        assertRejects(#"{"node":"driver","seq":1,"ev":"submit","iface":0,"id":1,"off":0,"len":1,"deps":7}"#, .driver,
                      #"field "deps" must be an array of integers >= 0, got number 7"#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"append","lsn":1,"stream":0,"sn":1,"deps":[null]}"#, .mirror,
                      #"field "deps[0]" must be an object {"stream","sn"}, got null"#)
        assertRejects(#"{"node":"w","seq":1,"ev":"end","consumer":"a","ok":true,"reason":1}"#, .recovery,
                      #"field "reason" must be a string, got number 1"#)
    }

    // MARK: Names

    func testNamesCompareAsExactCodePoints() {
        let composed = event(#"{"node":"w\u00e9","seq":1,"ev":"start","consumer":"caf\u00e9"}"#, .recovery)
        let decomposed = event(#"{"node":"we\u0301","seq":1,"ev":"start","consumer":"cafe\u0301"}"#, .recovery)
        guard let composed, let decomposed,
              case .start(let a) = composed.kind, case .start(let b) = decomposed.kind
        else { return XCTFail("not parsed") }
        XCTAssertFalse(composed.node.exactlyEquals(decomposed.node))
        XCTAssertNotEqual(composed.id, decomposed.id)
        XCTAssertFalse(a.exactlyEquals(b))
        // Escapes are resolved first: these are the mirror's node names.
        XCTAssertEqual(event(#"{"node":"\u0070rimary","seq":1,"ev":"commit","lsn":1}"#)?.node, "primary")
        XCTAssertNotNil(event(#"{"node":"s\u0065cond\u0061ry","seq":1,"ev":"apply","stream":0,"sn":1}"#))
        XCTAssertEqual(event(#"{"node":"\u0066ramework","seq":1,"ev":"begin"}"#, .recovery)?.kind, .begin)
        // A name that only looks like one is another node.
        assertRejects(#"{"node":"primar\u0443","seq":1,"ev":"commit","lsn":1}"#, .mirror, "not allowed on node")
        // Swift's String equality is canonical equivalence (KELVIN SIGN == "K"); names are not.
        let kelvin = event(#"{"node":"\u212a","seq":1,"ev":"crash"}"#, nil)?.node
        XCTAssertEqual(kelvin, "K")
        XCTAssertFalse(kelvin?.exactlyEquals("K") ?? true)
    }

    func testNameLookupsFindEqualBytesInAnyRepresentation() {
        // "primary" held in a heap buffer rather than inline: another representation, the same bytes.
        var heap = String()
        heap.reserveCapacity(64)
        heap.append("prim")
        heap.append("ary")
        let names = ["secondary", heap, "p"]
        XCTAssertFalse(heap.sameRepresentation("primary"))
        XCTAssertTrue(heap.exactlyEquals("primary"))
        XCTAssertEqual(firstIndexExactlyEqual("primary", count: names.count) { names[$0] }, 1)
        XCTAssertEqual(firstIndexExactlyEqual("secondary", count: names.count) { names[$0] }, 0)
        XCTAssertNil(firstIndexExactlyEqual("prim", count: names.count) { names[$0] })
        // Canonically equivalent is not equal: KELVIN SIGN is not "K".
        XCTAssertNil(firstIndexExactlyEqual("\u{212A}", count: 1) { _ in "K" })
    }

    func testExtensionPrefixIsCaseSensitive() {
        assertRejects(#"{"node":"primary","seq":1,"ev":"X-debug"}"#, .mirror,
                      #"unknown event "X-debug" in field "ev" (only names starting with a lower-case "x-""#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"\u0058-debug"}"#, .mirror, #"unknown event "X-debug""#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"x_debug"}"#, .mirror, #"unknown event "x_debug""#)
        XCTAssertEqual(parserAccepts(#"{"node":"primary","seq":1,"ev":"\u0078-debug"}"#),
                       .extensionEvent(EventID(node: "primary", seq: 1)))
    }

    // MARK: --truncated

    private let commit = #"{"node":"primary","seq":1,"ev":"commit","lsn":1}"#
    private let cut = #"{"node":"primary","seq":2,"ev":"comm"#

    /// Reads `text` as a file with `allowTruncated`: its events' seqs and its dropped lines.
    private func read(_ text: String, truncated: Bool) -> Result<([Int], Int), TraceInputError> {
        let path = readerWrite(Array(text.utf8), "cut-\(UUID().uuidString).jsonl", in: directory)
        return Result { () throws(TraceInputError) in
            var reader = try TraceFileReader(path: path, fileIndex: 0, allowTruncated: truncated)
            var seqs: [Int] = []
            while let item = try reader.next() {
                if case .event(let e) = item { seqs.append(e.seq) }
            }
            return (seqs, reader.droppedCutLines)
        }
    }

    func testCutLastLineIsDroppedOnlyWithTruncated() throws {
        let text = readerMirrorHeader + "\n" + commit + "\n" + cut
        guard case .failure(let error) = read(text, truncated: false) else { return XCTFail("accepted a cut line") }
        XCTAssertEqual(error.line, 3)
        XCTAssertTrue(error.message.hasPrefix("not JSON: unterminated string"), error.message)
        XCTAssertTrue(error.message.contains("check with --truncated"), error.message)
        let (seqs, dropped) = try read(text, truncated: true).get()
        XCTAssertEqual(seqs, [1])
        XCTAssertEqual(dropped, 1)
        // Cut anywhere, even inside a UTF-8 sequence or after a CR.
        for tail in [#"{"#, #"{"node""#, #"{"node":"primary","seq":2,"ev":"crash""#, "{\"node\":\"\u{e9}"] {
            XCTAssertEqual(try read(readerMirrorHeader + "\n" + commit + "\n" + tail, truncated: true).get().1, 1, tail)
        }
        var bytes = Array((readerMirrorHeader + "\n" + commit + "\n").utf8) + Array(#"{"node":"w"#.utf8) + [0xC3]
        bytes += [0x0D]
        let path = readerWrite(bytes, "cut-utf8.jsonl", in: directory)
        var reader = try TraceFileReader(path: path, fileIndex: 0, allowTruncated: true)
        while try reader.next() != nil {}
        XCTAssertEqual(reader.droppedCutLines, 1)
        // Nothing to drop: a complete last line without a newline, or none at all.
        XCTAssertEqual(try read(readerMirrorHeader + "\n" + commit, truncated: true).get().1, 0)
        XCTAssertEqual(try read(readerMirrorHeader + "\n" + commit + "\n", truncated: true).get().1, 0)
    }

    func testOtherCutOrBadLinesStayErrorsWithTruncated() {
        let cases: [(String, Int, String)] = [
            // A newline after the cut line.
            (readerMirrorHeader + "\n" + commit + "\n" + cut + "\n", 3, "not JSON"),
            // A cut line with lines after it.
            (readerMirrorHeader + "\n" + cut + "\n" + commit + "\n", 2, "not JSON"),
            // Valid JSON, but not a valid event: not a cut line.
            (readerMirrorHeader + "\n" + commit + "\n" + #"{"node":"primary","seq":2}"#, 3, "missing required field"),
            (readerMirrorHeader + "\n" + commit + "\n" + "[1,2]", 3, "not an object"),
            // The header itself cut: a file needs its header.
            (#"{"format":"plumb-trace","vers"#, 1, "not JSON"),
        ]
        for (text, line, expected) in cases {
            guard case .failure(let error) = read(text, truncated: true) else {
                XCTFail("accepted \(text)")
                continue
            }
            XCTAssertEqual(error.line, line, "\(error)")
            XCTAssertTrue(error.message.contains(expected), "\(error)")
            XCTAssertFalse(error.message.contains("--truncated"), "\(error)")
        }
    }

    func testCausalOrderCountsCutLinesAndTheCausesIntoThem() throws {
        let primary = readerWrite(Array((readerMirrorHeader + "\n"
            + #"{"node":"primary","seq":1,"ev":"send","stream":0,"sn":1,"path":0}"# + "\n"
            + #"{"node":"primary","seq":2,"ev":"acked","stream":0,"sn":1,"cause":{"node":"secondary","seq":2}}"#
            + "\n").utf8), "primary.jsonl", in: directory)
        let secondary = readerWrite(Array((readerMirrorHeader + "\n"
            + #"{"node":"secondary","seq":1,"ev":"recv","stream":0,"sn":1,"path":0,"cause":{"node":"primary","seq":1}}"#
            + "\n" + #"{"node":"secondary","seq":2,"ev":"ack","str"#).utf8), "secondary.jsonl", in: directory)
        for prescan in [false, true] {
            XCTAssertThrowsError(try {
                var strict = try CausalOrder(paths: [primary, secondary], prescan: prescan)
                while try strict.next() != nil {}
            }()) { error in
                guard case .input(let input)? = error as? CausalOrder.Failure else { return XCTFail("\(error)") }
                XCTAssertEqual(input.file, secondary)
                XCTAssertEqual(input.line, 3)
            }
            var order = try CausalOrder(paths: [primary, secondary], allowTruncated: true, prescan: prescan)
            var count = 0
            while try order.next() != nil { count += 1 }
            XCTAssertEqual(count, 3)
            XCTAssertEqual(order.droppedTruncatedLines, 1)
            XCTAssertEqual(order.droppedTruncatedCauses, 1)
        }
    }
}
