import Foundation
import XCTest
@testable import Trace

/// The quick scan of plain lines (`scanPlainObject`) fills the slots exactly as the full scan
/// (`scanObject`) does, or declines; event names are identified by their exact bytes; batches
/// hand their items over in order.
final class PlainScanTests: XCTestCase {
    /// The slots each scan fills for `line` (nil when the quick scan declines or the full scan
    /// throws), as `(offset, payload, tag)` per key.
    private func slots(_ line: String, quick: Bool) -> [[Int]]? {
        slots(bytes: Array(line.utf8), quick: quick)
    }

    /// The slots each scan fills for the line `bytes` (see `slots(_:quick:)`).
    private func slots(bytes: [UInt8], quick: Bool) -> [[Int]]? {
        bytes.withUnsafeBufferPointer { buffer -> [[Int]]? in
            let cells = UnsafeMutableBufferPointer<Int>.allocate(capacity: FieldSlots.capacity)
            defer { cells.deallocate() }
            let slots = FieldSlots(cells: cells)
            var cursor = JSONCursor(base: buffer.baseAddress!, end: buffer.count)
            if quick {
                guard cursor.scanPlainObject(into: slots, wholeLine: true) else { return nil }
            } else {
                guard (try? cursor.scanObject(into: slots)) != nil, cursor.pos == cursor.end else { return nil }
            }
            return FieldKey.allCases.map { key in
                slots.offset(key) < 0 ? [-1] : [slots.offset(key), slots.payload(key), slots.tag(key)]
            }
        }
    }

    func testQuickScanMatchesFullScanOnPlainLines() {
        let plain = [
            #"{"node":"primary","seq":1,"ev":"assign","stream":0,"path":0,"t":1700000000000001000}"#,
            #"{"node":"secondary","seq":1,"ev":"recv","stream":1,"sn":1,"path":1,"cause":{"node":"primary","seq":10},"t":1700000000007074000}"#,
            #"{"node":"primary","seq":9,"ev":"append","lsn":16,"stream":3,"sn":2,"deps":[{"stream":4,"sn":2}],"t":-5}"#,
            #"{"node":"primary","seq":9223372036854775807,"ev":"path","path":0,"up":true,"t":null}"#,
            #"{"node":"w","seq":0,"ev":"end","consumer":"c","ok":false,"reason":"x y","cause":[{"node":"a","seq":1},{"seq":2,"node":"b"}]}"#,
            #"{"format":"plumb-trace","version":1,"system":"mirror","meta":{"generator":"plumb bench check","n":[1,-2,[]]}}"#,
            #"{"t":-9223372036854775808,"seq":0,"node":"","ev":"crash"}"#,
            #"{}"#,
        ]
        for line in plain {
            let quick = slots(line, quick: true)
            XCTAssertNotNil(quick, line)
            XCTAssertEqual(quick, slots(line, quick: false), line)
        }
    }

    /// Whatever is outside the plain shape is left to the full scan (which may accept it).
    func testQuickScanDeclinesWhatIsNotPlain() {
        let others = [
            #"{ "node":"primary","seq":1,"ev":"crash"}"#,  // whitespace
            #"{"node":"primary","seq":1,"ev":"crash"} "#,  // trailing whitespace
            #"{"node":"pri\u006dary","seq":1,"ev":"crash"}"#,  // an escape
            #"{"node":"wé","seq":1,"ev":"crash"}"#,  // not ASCII
            #"{"node":"primary","seq":1.5,"ev":"crash"}"#,  // a fraction
            #"{"node":"primary","seq":1e3,"ev":"crash"}"#,  // an exponent
            #"{"node":"primary","seq":01,"ev":"crash"}"#,  // a leading zero
            #"{"node":"primary","seq":9223372036854775808,"ev":"crash"}"#,  // past Int64
            #"{"node":"primary","seq":-9223372036854775809,"ev":"crash"}"#,
            #"{"node":"primary","seq":12345678901234567890,"ev":"crash"}"#,  // 20 digits
            #"{"node":"primary","seq":1,"ev":"crash","x-note":1}"#,  // a key the parser does not read
            #"{"node":"primary","seq":1,"ev":"crash","seq":2}"#,  // a duplicate key
            #"{"node":"primary","seq":1,"ev":"crash""#,  // cut off
            #"{"node":"primary","seq":1,"ev":"crash"}x"#,
            #"{"node":"primary","seq":-,"ev":"crash"}"#,
            #"{"node":"primary","seq":1,"ev":"crash","cause":{"node":"a","seq":1.0}}"#,
            #"{"node":"primary","seq":1,"ev":"crash","up":tru}"#,
        ]
        for line in others {
            XCTAssertNil(slots(line, quick: true), line)
        }
        // The full scan still accepts the valid ones, and the parser reads them as before.
        XCTAssertNotNil(slots(others[0], quick: false))
        XCTAssertNotNil(slots(others[2], quick: false))
        XCTAssertNil(parserRejection(others[0]))
        XCTAssertNil(parserRejection(others[2]))
        XCTAssertEqual(parserRejection(others[11]), #"duplicate key "seq" at column 40"#)
        XCTAssertEqual(parserRejection(others[6]), "not JSON: number with a leading zero at column 25")
    }

    /// The quick scan reads a string eight bytes at a time, and its last few bytes one by one:
    /// every byte, at every position of a string in the middle of a line or at its end, next
    /// to neighbours that a borrow between lanes could flag falsely, ends the string, is kept,
    /// or declines the line as the byte-by-byte rule says (printable ASCII but the quote and
    /// the backslash is kept).
    func testEveryByteAtEveryPositionOfAStringIsJudgedAlike() {
        let shapes: [(before: String, after: String)] = [
            (#"{"node":""#, #"","seq":1,"ev":"crash"}"#),  // the string read eight bytes at a time
            (#"{"ev":"crash","seq":1,"node":""#, #""}"#),  // its end in the line's last bytes
        ]
        // `a`, then the bytes just above a quote, a backslash, DEL and a control byte.
        for filler in Array("a#]~ ".utf8) {
            for (before, after) in shapes {
                for length in [1, 7, 8, 9, 16] {
                    for position in 0..<length {
                        for byte in 0...255 {
                            var value = Array(repeating: filler, count: length)
                            value[position] = UInt8(byte)
                            let line = Array(before.utf8) + value + Array(after.utf8)
                            let context = "byte \(byte) at \(position) of \(length), filler \(filler), after \(after)"
                            let quick = slots(bytes: line, quick: true)
                            if byte == Int(UInt8(ascii: "\"")) {
                                // It ends the string early, so what follows is not plain JSON.
                                XCTAssertNil(quick, context)
                                continue
                            }
                            let plain = byte >= 0x20 && byte < 0x7F && byte != Int(UInt8(ascii: "\\"))
                            XCTAssertEqual(quick != nil, plain, context)
                            if let quick { XCTAssertEqual(quick, slots(bytes: line, quick: false), context) }
                        }
                    }
                }
            }
        }
    }

    /// The quick scan reads an integer eight digits at a time while eight bytes are left, and
    /// the rest one by one: every length up to past Int64's, at every offset from the line's
    /// end, before every kind of byte that can follow, gives the full scan's value, or declines
    /// exactly what is outside the plain shape (a leading zero, more than 19 digits, past Int64,
    /// a fraction or an exponent).
    func testIntegersOfEveryLengthAndPlaceAreReadAlike() {
        var generator = SplitMix64(seed: 18)
        var checked = 0
        for length in 1...21 {
            var numbers: [String] = [String(repeating: "9", count: length), "1" + String(repeating: "0", count: length - 1)]
            for _ in 0..<6 {
                let digits = (0..<length).map { _ in String(generator.next() % 10) }
                numbers.append(digits.joined())
            }
            if length == 19 { numbers += ["9223372036854775807", "9223372036854775808"] }
            for digits in numbers {
                for sign in ["", "-"] {
                    let number = sign + digits
                    let magnitude = Decimal(string: digits)!
                    let limit = Decimal(string: sign.isEmpty ? "9223372036854775807" : "9223372036854775808")!
                    let inRange = digits.count <= 19 && magnitude <= limit
                    let plain = inRange && (digits.count == 1 || digits.first != "0")
                    // In the middle of a line, before each byte that may end or extend it, and last.
                    var lines = [
                        #"{"node":"n","seq":1,"ev":"crash","t":\#(number)}"#,
                        #"{"t":\#(number),"node":"n","seq":1,"ev":"crash"}"#,
                        #"{"t":\#(number)}"#,
                    ]
                    // Each byte next to the digits' range ('/' and ':' to '?'), or one that makes
                    // a fraction or an exponent, last and in the middle (read eight at a time).
                    for next in [".5", "e3", "E3", "x", " ", "]", "/", ":", ";", "<", "=", ">", "?"] {
                        lines.append(#"{"seq":1,"t":\#(number)\#(next)}"#)
                        lines.append(#"{"t":\#(number)\#(next),"node":"n","seq":1,"ev":"crash"}"#)
                    }
                    for (index, line) in lines.enumerated() {
                        let quick = slots(line, quick: true)
                        if index < 3 {
                            XCTAssertEqual(quick != nil, plain, line)
                        } else {
                            XCTAssertNil(quick, line)
                        }
                        if let quick { XCTAssertEqual(quick, slots(line, quick: false), line) }
                        checked += 1
                    }
                }
            }
        }
        XCTAssertEqual(checked, (21 * 8 * 2 + 2 * 2) * (3 + 13 * 2))
    }

    /// Lines in the plain shape and the same lines spaced out parse to the same events.
    func testPlainAndSpacedLinesParseAlike() throws {
        let parser = EventParser(system: .mirror)
        let lines = [
            #"{"node":"secondary","seq":3,"ev":"recv","stream":7,"sn":1,"path":3,"cause":{"node":"primary","seq":12},"t":1700000000007076000}"#,
            #"{"node":"primary","seq":9,"ev":"append","lsn":16,"stream":3,"sn":2,"deps":[{"stream":4,"sn":2}],"t":5}"#,
        ]
        for line in lines {
            let spaced = line.replacingOccurrences(of: ",", with: ", ").replacingOccurrences(of: ":", with: ": ")
            XCTAssertEqual(try parser.parse(line), try parser.parse(spaced))
        }
        guard case .event(let recv) = try parser.parse(lines[0]) else { return XCTFail("not an event") }
        XCTAssertEqual(recv.causes, [EventID(node: "primary", seq: 12)])
        XCTAssertEqual(recv.kind, .recv(stream: 7, sn: 1, path: 3))
        XCTAssertEqual(recv.t, 1_700_000_000_007_076_000)
    }

    func testEveryEventNameIsIdentifiedByItsExactBytes() {
        var identified = 0
        for name in EventName.allCases {
            let bytes = Array(name.rawValue.utf8)
            XCTAssertEqual(bytes.withUnsafeBufferPointer { EventName.identify($0.baseAddress!, $0.count) }, name)
            identified += 1
            for wrong in [bytes.dropLast(), bytes + [UInt8(ascii: "s")], [UInt8(ascii: "X")] + bytes.dropFirst()] {
                let array = Array(wrong)
                let found = array.withUnsafeBufferPointer { p in
                    p.count == 0 ? nil : EventName.identify(p.baseAddress!, p.count)
                }
                if let found { XCTAssertEqual(found.rawValue, String(decoding: array, as: UTF8.self)) }
            }
        }
        XCTAssertEqual(identified, 32)
        XCTAssertNil(Array("Append".utf8).withUnsafeBufferPointer { EventName.identify($0.baseAddress!, $0.count) })
    }

    func testBatchHandsItemsOverInOrderOnce() {
        let batch = ItemBatch(capacity: 3)
        XCTAssertTrue(batch.isEmpty)
        for seq in 1...3 {
            batch.append(.event(TraceEvent(node: "n\(seq)-a-name-longer-than-fifteen-bytes", seq: seq, kind: .crash, causes: [EventID(node: "m", seq: seq)])))
        }
        XCTAssertTrue(batch.isFull)
        var seqs: [Int] = []
        while let item = batch.take() {
            guard case .event(let e) = item else { return XCTFail("not an event") }
            seqs.append(e.seq)
            XCTAssertEqual(e.node, "n\(e.seq)-a-name-longer-than-fifteen-bytes")
        }
        XCTAssertEqual(seqs, [1, 2, 3])
        XCTAssertTrue(batch.isEmpty)
        XCTAssertNil(batch.take())
        // A batch released before its items were taken releases them (no crash, no leak).
        let partly = ItemBatch(capacity: 2)
        partly.append(.extensionEvent(EventID(node: "x", seq: 1)))
        partly.append(.extensionEvent(nil))
        XCTAssertEqual(partly.take(), .extensionEvent(EventID(node: "x", seq: 1)))
    }
}
