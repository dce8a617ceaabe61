import XCTest
@testable import Trace

/// The message `EventParser` rejects `line` with, or nil when it accepts it.
func parserRejection(_ line: String, _ system: TraceSystem? = .mirror) -> String? {
    do {
        _ = try EventParser(system: system).parse(line)
        return nil
    } catch {
        return error.message
    }
}

/// Parses `line`, failing the test on an error.
func parserAccepts(
    _ line: String, _ system: TraceSystem? = .mirror, file: StaticString = #filePath, line number: UInt = #line
) -> TraceLine? {
    do {
        return try EventParser(system: system).parse(line)
    } catch {
        XCTFail("rejected \(line): \(error.message)", file: file, line: number)
        return nil
    }
}

final class ParserTests: XCTestCase {
    private func assertRejects(
        _ line: String, _ system: TraceSystem? = .mirror, _ expected: String,
        file: StaticString = #filePath, line number: UInt = #line
    ) {
        guard let message = parserRejection(line, system) else {
            return XCTFail("accepted \(line)", file: file, line: number)
        }
        XCTAssertTrue(
            message.contains(expected), "message \(message) lacks \(expected)", file: file, line: number)
    }

    private func event(_ line: String, _ system: TraceSystem? = .mirror, file: StaticString = #filePath,
                       line number: UInt = #line) -> TraceEvent? {
        guard case .event(let event)? = parserAccepts(line, system, file: file, line: number) else {
            XCTFail("not an event: \(line)", file: file, line: number)
            return nil
        }
        return event
    }

    // MARK: valid lines

    func testBlankLines() {
        XCTAssertEqual(parserAccepts(""), .blank)
        XCTAssertEqual(parserAccepts("   \t "), .blank)
    }

    func testEventWithEveryCommonField() {
        let e = event(#"{"node":"primary","seq":3,"ev":"commit","lsn":7,"t":-12,"cause":{"node":"secondary","seq":2}}"#)
        XCTAssertEqual(e, TraceEvent(
            node: "primary", seq: 3, kind: .commit(lsn: 7), causes: [EventID(node: "secondary", seq: 2)], t: -12))
    }

    func testWhitespaceAnywhereAndAnyFieldOrder() {
        let line = " {\t\"lsn\" :\n7 , \"ev\":\"commit\"\r, \"seq\" : 3,\"node\"  :  \"primary\" }  "
        XCTAssertEqual(event(line), TraceEvent(node: "primary", seq: 3, kind: .commit(lsn: 7)))
    }

    func testUnknownFieldsOfEveryTypeAreSkipped() {
        let line = #"{"a":{"b":[1,{"c":null}],"d":"}"},"e":[[],{}],"node":"primary","f":-1.5e+3,"#
            + #""seq":0,"g":true,"h":false,"i":null,"ev":"takeover","j":"x\"y\\","k":{}}"#
        assertRejects(line, .mirror, "not allowed on node \"primary\"")  // takeover is secondary-only
        let ok = line.replacingOccurrences(of: "\"primary\"", with: "\"secondary\"")
        XCTAssertEqual(event(ok)?.kind, .takeover)
    }

    func testCauseForms() {
        let base = #"{"node":"secondary","seq":1,"ev":"apply","stream":0,"sn":1"#
        XCTAssertEqual(event(base + "}")?.causes, [])
        XCTAssertEqual(event(base + #","cause":null}"#)?.causes, [])
        XCTAssertEqual(event(base + #","cause":[]}"#)?.causes, [])
        XCTAssertEqual(event(base + #","cause":{"seq":4,"node":"primary","why":"x"}}"#)?.causes,
                       [EventID(node: "primary", seq: 4)])
        XCTAssertEqual(event(base + #","cause":[{"node":"primary","seq":4},{"node":"secondary","seq":0}]}"#)?.causes,
                       [EventID(node: "primary", seq: 4), EventID(node: "secondary", seq: 0)])
    }

    func testUnicodeEscapes() {
        let e = event(#"{"node":"w\u00e9\ud83d\ude00\n\"\/","seq":0,"ev":"tag","consumer":"caf\u00E9","log":"é"}"#,
                      .recovery)
        XCTAssertEqual(e?.node, "wé😀\n\"/")
        XCTAssertEqual(e?.kind, .tag(consumer: "café", log: "é"))
        // Escaped keys and event names mean the same as plain ones.
        let escaped = event(#"{"n\u006fde":"primary","seq":1,"\u0065v":"c\u006fmmit","lsn":2}"#)
        XCTAssertEqual(escaped, TraceEvent(node: "primary", seq: 1, kind: .commit(lsn: 2)))
        assertRejects(#"{"node":"\ud83d","seq":0,"ev":"crash"}"#, .mirror, "unpaired surrogate")
        assertRejects(#"{"node":"\ude00x","seq":0,"ev":"crash"}"#, .mirror, "unpaired surrogate")
    }

    func testIntegerLimits() {
        let max = event(#"{"node":"primary","seq":9223372036854775807,"ev":"crash","t":-9223372036854775808}"#)
        XCTAssertEqual(max?.seq, Int.max)
        XCTAssertEqual(max?.t, Int.min)
        XCTAssertEqual(event(#"{"node":"primary","seq":-0,"ev":"crash"}"#)?.seq, 0)
    }

    func testExtensionEvents() {
        XCTAssertEqual(parserAccepts(#"{"ev":"x-debug","node":"anyone","seq":5,"lsn":"bad","cause":7}"#),
                       .extensionEvent(EventID(node: "anyone", seq: 5)))
        XCTAssertEqual(parserAccepts(#"{"ev":"x-debug","node":3,"seq":"5","stream":[{}]}"#), .extensionEvent(nil))
        XCTAssertEqual(parserAccepts(#"{"ev":"x-","seq":1.5}"#), .extensionEvent(nil))
        XCTAssertEqual(parserAccepts(#"{"ev":"\u0078-y","node":"a","seq":1}"#, .driver),
                       .extensionEvent(EventID(node: "a", seq: 1)))
        // Still JSON, still an object without duplicate keys.
        assertRejects(#"{"ev":"x-debug","node":"a","node":"b"}"#, .mirror, "duplicate key \"node\"")
        assertRejects(#"{"ev":"x-debug","a":[1,}"#, .mirror, "not JSON")
    }

    // MARK: not JSON, not an object

    func testNotJSON() {
        assertRejects(#"{"node":"primary","#, .mirror, "not JSON: unexpected end of line")
        assertRejects(#"{node:"primary"}"#, .mirror, "not JSON: unexpected 'n', expected a key string at column 2")
        assertRejects(#"{"a":1}}"#, .mirror, "not JSON: unexpected text after the object at column 8")
        assertRejects(#"{"a":01}"#, .mirror, "leading zero")
        assertRejects(#"{"a":1.}"#, .mirror, "expected a digit after '.'")
        assertRejects(#"{"a":"\x"}"#, .mirror, "invalid escape")
        assertRejects(#"{"a":"\u12G4"}"#, .mirror, "invalid \\u escape")
        assertRejects(#"{"a":"abc}"#, .mirror, "unterminated string")
        assertRejects("{\"a\":\"tab\there\"}", .mirror, "unescaped control character")
        assertRejects(#"{"a":tru}"#, .mirror, "not JSON")
        assertRejects(#"{"a":1,}"#, .mirror, "expected a key string")
        assertRejects(#"{"a" 1}"#, .mirror, "expected ':'")
        assertRejects("hello", .mirror, "not JSON")
        assertRejects("[1,2", .mirror, "not JSON")
        assertRejects(String(repeating: "[", count: 600) + String(repeating: "]", count: 600), .mirror,
                      "not JSON")
        let deep = #"{"a":"# + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}"
        assertRejects(deep, .mirror, "nesting deeper than 512")
    }

    func testInvalidUTF8() throws {
        var bytes = Array(#"{"node":"primary","seq":0,"ev":"crash","x":"?"}"#.utf8)
        bytes[bytes.count - 3] = 0xFF
        XCTAssertThrowsError(try EventParser(system: .mirror).parse(bytes)) { error in
            XCTAssertTrue((error as! TraceInputError).message.contains("invalid UTF-8"))
        }
        bytes[bytes.count - 3] = 0xC3  // a lead byte whose continuation is the quote
        XCTAssertThrowsError(try EventParser(system: .mirror).parse(bytes))
    }

    func testNotAnObject() {
        assertRejects("[1,2]", .mirror, "not an object: the line is an array")
        assertRejects(#""text""#, .mirror, "not an object: the line is a string")
        assertRejects("42", .mirror, "not an object: the line is a number")
        assertRejects("null", .mirror, "not an object: the line is null")
        assertRejects("true", .mirror, "not an object: the line is a boolean")
    }

    func testDuplicateKeys() {
        assertRejects(#"{"node":"primary","seq":1,"node":"primary","ev":"crash"}"#, .mirror,
                      "duplicate key \"node\" at column 27")
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","x":1,"y":2,"x":3}"#, .mirror, "duplicate key \"x\"")
        assertRejects(#"{"node":"primary","seq":1,"s\u0065q":2,"ev":"crash"}"#, .mirror, "duplicate key \"seq\"")
        // Many other keys: still found, early or late, plain or escaped.
        let many = (0..<100).map { #""k\#($0)":\#($0)"# }.joined(separator: ",")
        let valid = #"{"node":"primary","seq":1,"ev":"crash","# + many + "}"
        XCTAssertNotNil(event(valid))
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","# + many + #","k7":0}"#, .mirror, "duplicate key \"k7\"")
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","# + many + #","k\u0039\u0039":0}"#, .mirror,
                      "duplicate key \"k99\"")
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","k99":1,"# + many + "}", .mirror, "duplicate key \"k99\"")
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","cause":{"node":"a","seq":1,"seq":2}}"#, .mirror,
                      "duplicate key \"seq\"")
    }

    // MARK: missing and mistyped fields

    func testMissingRequiredFields() {
        assertRejects(#"{"node":"primary","seq":1}"#, .mirror, #"missing required field "ev""#)
        assertRejects(#"{"seq":1,"ev":"crash"}"#, .mirror, #"missing required field "node""#)
        assertRejects(#"{"node":"primary","ev":"crash"}"#, .mirror, #"missing required field "seq""#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"append","stream":0,"sn":1}"#, .mirror,
                      #"missing required field "lsn""#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"assign","stream":0}"#, .mirror,
                      #"missing required field "path""#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"path","path":0}"#, .mirror, #"missing required field "up""#)
        assertRejects(#"{"node":"driver","seq":1,"ev":"submit","iface":0,"id":1,"off":0}"#, .driver,
                      #"missing required field "len""#)
        assertRejects(#"{"node":"framework","seq":1,"ev":"register","consumer":"a"}"#, .recovery,
                      #"missing required field "deps""#)
        assertRejects(#"{"node":"framework","seq":1,"ev":"done"}"#, .recovery, #"missing required field "ok""#)
        assertRejects(#"{"node":"framework","seq":1,"ev":"reject","consumer":"a"}"#, .recovery,
                      #"missing required field "reason""#)
        assertRejects(#"{"node":"w","seq":1,"ev":"process","consumer":"a"}"#, .recovery,
                      #"missing required field "log""#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","cause":{"node":"a"}}"#, .mirror,
                      #"missing required field "cause.seq""#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","cause":[{"node":"a","seq":1},{"seq":1}]}"#,
                      .mirror, #"missing required field "cause[1].node""#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"append","lsn":1,"stream":0,"sn":1,"deps":[{"stream":1}]}"#,
                      .mirror, #"missing required field "deps[0].sn""#)
    }

    func testMistypedFields() {
        let send = #"{"node":"primary","seq":1,"ev":"send","sn":1,"path":0,"stream":"#
        assertRejects(send + #""2"}"#, .mirror, #"field "stream" must be an integer >= 0, got string "2""#)
        assertRejects(send + "1.0}", .mirror, #"field "stream" must be an integer >= 0, got number 1.0"#)
        assertRejects(send + "1e3}", .mirror, #"field "stream" must be an integer >= 0, got number 1e3"#)
        assertRejects(send + "-1}", .mirror, #"field "stream" must be an integer >= 0, got number -1"#)
        assertRejects(send + "null}", .mirror, #"field "stream" must be an integer >= 0, got null"#)
        assertRejects(send + "true}", .mirror, #"field "stream" must be an integer >= 0, got boolean true"#)
        assertRejects(send + "[2]}", .mirror, #"field "stream" must be an integer >= 0, got an array"#)
        assertRejects(send + "9223372036854775808}", .mirror,
                      #"field "stream" must be an integer >= 0 (64-bit), got number 9223372036854775808"#)
        assertRejects(#"{"node":"primary","seq":-1,"ev":"crash"}"#, .mirror,
                      #"field "seq" must be an integer >= 0, got number -1"#)
        assertRejects(#"{"node":"primary","seq":"1","ev":"crash"}"#, .mirror,
                      #"field "seq" must be an integer >= 0, got string "1""#)
        assertRejects(#"{"node":"primary","seq":1.0,"ev":"crash"}"#, .mirror, #"field "seq" must be an integer >= 0"#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","t":1.5}"#, .mirror,
                      #"field "t" must be an integer, got number 1.5"#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","t":-9223372036854775809}"#, .mirror,
                      #"field "t" must be an integer (64-bit)"#)
        // Settled readings, Syntax: an optional field set to null is the same as leaving it out,
        // so `"t": null` is no t (it was refused before that reading); a present t is typed.
        XCTAssertEqual(event(#"{"node":"primary","seq":1,"ev":"crash","t":null}"#)?.t, nil)
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","t":"1"}"#, .mirror, #"field "t" must be an integer"#)
        assertRejects(#"{"node":7,"seq":1,"ev":"crash"}"#, .mirror, #"field "node" must be a string, got number 7"#)
        assertRejects(#"{"node":"primary","seq":1,"ev":3}"#, .mirror, #"field "ev" must be a string, got number 3"#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"path","path":0,"up":1}"#, .mirror,
                      #"field "up" must be a boolean, got number 1"#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"path","path":0,"up":"true"}"#, .mirror,
                      #"field "up" must be a boolean, got string "true""#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","cause":"primary#0"}"#, .mirror,
                      #"field "cause" must be an object {"node","seq"}, an array of them, or null, got string"#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","cause":[{"node":"a","seq":1},2]}"#, .mirror,
                      #"field "cause[1]" must be an object {"node","seq"}, got number 2"#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"crash","cause":{"node":"a","seq":"1"}}"#, .mirror,
                      #"field "cause.seq" must be an integer >= 0, got string "1""#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"append","lsn":1,"stream":0,"sn":1,"deps":{"stream":1}}"#,
                      .mirror, #"field "deps" must be an array of {"stream","sn"} objects, got an object"#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"append","lsn":1,"stream":0,"sn":1,"deps":[[1,2]]}"#,
                      .mirror, #"field "deps[0]" must be an object {"stream","sn"}, got an array"#)
        assertRejects(#"{"node":"driver","seq":1,"ev":"submit","iface":0,"id":1,"off":0,"len":1,"deps":[1,"2"]}"#,
                      .driver, #"field "deps[1]" must be an integer >= 0, got string "2""#)
        assertRejects(#"{"node":"framework","seq":1,"ev":"register","consumer":"a","deps":"b"}"#, .recovery,
                      #"field "deps" must be an array of strings, got string "b""#)
        assertRejects(#"{"node":"framework","seq":1,"ev":"register","consumer":"a","deps":[],"logs":["b",1]}"#,
                      .recovery, #"field "logs[1]" must be a string, got number 1"#)
        assertRejects(#"{"node":"w","seq":1,"ev":"end","consumer":"a","ok":true,"reason":false}"#, .recovery,
                      #"field "reason" must be a string, got boolean false"#)
        // A long value is shortened in the message.
        let long = String(repeating: "z", count: 100)
        assertRejects(#"{"node":"primary","seq":"\#(long)","ev":"crash"}"#, .mirror, "zzz...")
    }

    func testFieldsNotInTheEventsRowAreIgnored() {
        // `stream` is not a field of commit: any type is fine there.
        let e = event(#"{"node":"primary","seq":1,"ev":"commit","lsn":4,"stream":"2","up":"yes"}"#)
        XCTAssertEqual(e?.kind, .commit(lsn: 4))
    }

    // MARK: event names, systems and nodes

    func testUnknownEvent() {
        assertRejects(#"{"node":"primary","seq":1,"ev":"launch"}"#, .mirror, #"unknown event "launch""#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"Crash"}"#, .mirror, #"unknown event "Crash""#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"syncDone"}"#, .driver, #"unknown event "syncDone""#)
    }

    func testAMisspelledEventNameGetsTheNearestKnownOne() {
        assertRejects(#"{"node":"primary","seq":1,"ev":"asign"}"#, .mirror,
                      #"unknown event "asign" in field "ev" (did you mean "assign"?)"#)
        assertRejects(#"{"node":"driver","seq":1,"ev":"sync_dne"}"#, .driver, #"(did you mean "sync_done"?)"#)
        // Nothing near: no suggestion.
        assertRejects(#"{"node":"primary","seq":1,"ev":"launch"}"#, .mirror, #"unknown event "launch" in field "ev""#)
    }

    func testEventOfAnotherSystem() {
        assertRejects(#"{"node":"driver","seq":1,"ev":"online"}"#, .mirror,
                      #"event "online" is not an event of system mirror"#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"commit","lsn":1}"#, .recovery,
                      #"event "commit" is not an event of system recovery"#)
    }

    func testNodeRules() {
        assertRejects(#"{"node":"secondary","seq":1,"ev":"commit","lsn":1}"#, .mirror,
                      #"event "commit" is not allowed on node "secondary""#)
        assertRejects(#"{"node":"primary","seq":1,"ev":"apply","stream":0,"sn":1}"#, .mirror,
                      #"event "apply" is not allowed on node "primary""#)
        assertRejects(#"{"node":"tertiary","seq":1,"ev":"path","path":0,"up":true}"#, .mirror,
                      #"event "path" is not allowed on node "tertiary""#)
        assertRejects(#"{"node":"driver2","seq":1,"ev":"crash"}"#, .driver,
                      #"event "crash" is not allowed on node "driver2""#)
        assertRejects(#"{"node":"w1","seq":1,"ev":"begin"}"#, .recovery, #"event "begin" is not allowed on node "w1""#)
        assertRejects(#"{"node":"w1","seq":1,"ev":"crash"}"#, .recovery, #"event "crash" is not allowed on node "w1""#)
        assertRejects(#"{"node":"framework","seq":1,"ev":"start","consumer":"a"}"#, .recovery,
                      #"event "start" is not allowed on node "framework""#)
        assertRejects(#"{"node":"framework","seq":1,"ev":"process","consumer":"a","log":"l"}"#, .recovery,
                      "not allowed on node \"framework\"")
        XCTAssertNotNil(event(#"{"node":"primary","seq":1,"ev":"path","path":2,"up":false}"#))
        XCTAssertNotNil(event(#"{"node":"secondary","seq":1,"ev":"crash"}"#))
        XCTAssertNotNil(event(#"{"node":"framework","seq":1,"ev":"end","consumer":"a","ok":false,"reason":"timeout"}"#,
                              .recovery))
        XCTAssertNotNil(event(#"{"node":"w1","seq":1,"ev":"untag","consumer":"a","log":"l"}"#, .recovery))
        XCTAssertNotNil(event(#"{"node":"framework","seq":1,"ev":"tag","consumer":"a","log":"l"}"#, .recovery))
        XCTAssertNotNil(event(#"{"node":"w1","seq":1,"ev":"start","consumer":"a"}"#, .recovery))
    }

    func testParserWithoutSystem() {
        XCTAssertNotNil(event(#"{"node":"driver","seq":1,"ev":"online"}"#, nil))
        XCTAssertNotNil(event(#"{"node":"anyone","seq":1,"ev":"crash"}"#, nil))
        assertRejects(#"{"node":"primary","seq":1,"ev":"online"}"#, nil, "not allowed on node")
    }

    // MARK: headers

    func testHeaders() {
        XCTAssertEqual(parserAccepts(#"{"format":"plumb-trace","version":1,"system":"driver"}"#, nil),
                       .header(TraceHeader(system: .driver)))
        XCTAssertEqual(
            parserAccepts(#"{"system":"recovery","meta":{"run":[1,{"a":null}],"host":"x"},"version":1,"format":"plumb-trace"}"#),
            .header(TraceHeader(system: .recovery)))
        assertRejects(#"{"format":"plumb-trace","version":2,"system":"mirror"}"#, nil,
                      "unsupported version 2: this checker reads version 1")
        assertRejects(#"{"format":"plumb-trace","version":1.0,"system":"mirror"}"#, nil,
                      #"field "version" must be an integer, got number 1.0"#)
        assertRejects(#"{"format":"plumb-trace","version":"1","system":"mirror"}"#, nil,
                      #"field "version" must be an integer, got string "1""#)
        assertRejects(#"{"format":"plumb-trace","version":1,"system":"raid"}"#, nil, #"unknown system "raid""#)
        assertRejects(#"{"format":"plumb-trace","version":1,"system":"Mirror"}"#, nil, #"unknown system "Mirror""#)
        assertRejects(#"{"format":"other-trace","version":1,"system":"mirror"}"#, nil,
                      #"unsupported format "other-trace": expected "plumb-trace""#)
        assertRejects(#"{"format":1,"version":1,"system":"mirror"}"#, nil, #"field "format" must be a string"#)
        assertRejects(#"{"format":"plumb-trace","system":"mirror"}"#, nil, #"missing required field "version""#)
        assertRejects(#"{"format":"plumb-trace","version":1}"#, nil, #"missing required field "system""#)
        assertRejects(#"{"format":"plumb-trace","version":1,"system":"mirror","meta":"run 4"}"#, nil,
                      #"field "meta" must be an object, got string"#)
        assertRejects(#"{"format":"plumb-trace","version":1,"system":"mirror","version":1}"#, nil,
                      #"duplicate key "version""#)
    }

    /// A line with an `ev` is an event: header keys there are fields the page does not name
    /// for events, ignored, and an `x-` event that has them is dropped all the same.
    func testHeaderKeysInAnEventAreIgnored() {
        XCTAssertEqual(
            parserAccepts(#"{"node":"driver","seq":5,"ev":"durable","id":1,"format":"plumb-trace","version":1,"system":"driver"}"#,
                          .driver),
            .event(TraceEvent(node: "driver", seq: 5, kind: .durable(id: 1))))
        XCTAssertEqual(parserAccepts(#"{"format":"text","node":"driver","seq":1,"ev":"online"}"#, nil),
                       .event(TraceEvent(node: "driver", seq: 1, kind: .online)))
        XCTAssertEqual(parserAccepts(#"{"node":"driver","seq":1,"ev":"x-log","format":"text"}"#, .driver),
                       .extensionEvent(EventID(node: "driver", seq: 1)))
        assertRejects(#"{"format":"plumb-trace","version":1,"system":"driver","ev":"online"}"#, .driver,
                      #"missing required field "node""#)
        // `"ev": null` is no ev (null is absent): a header.
        XCTAssertEqual(parserAccepts(#"{"format":"plumb-trace","version":1,"system":"driver","ev":null}"#, nil),
                       .header(TraceHeader(system: .driver)))
    }
}
