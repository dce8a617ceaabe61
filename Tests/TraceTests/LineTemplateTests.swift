import Foundation
import XCTest
@testable import Trace

/// A line read through a template (`LineTemplate`) is the event the full parser reads, or the
/// template declines and the full parser has the last word: over every shape templates cover,
/// with each integer replaced by numbers valid and invalid.
final class LineTemplateTests: XCTestCase {
    /// One line of each shape, with the system whose parser reads it.
    private let shapes: [(TraceSystem, String)] = [
        (.mirror, #"{"node":"primary","seq":1,"ev":"assign","stream":0,"path":3,"t":1700000000000001000}"#),
        (.mirror, #"{"node":"primary","seq":9,"ev":"append","lsn":16,"stream":3,"sn":2,"t":1700000000000009000}"#),
        (.mirror, #"{"node":"primary","seq":9,"ev":"append","lsn":16,"stream":3,"sn":2,"deps":[],"t":5}"#),
        (.mirror, #"{"node":"primary","seq":9,"ev":"append","lsn":16,"stream":3,"sn":2,"deps":null}"#),
        (.mirror, #"{"node":"primary","seq":4,"ev":"path","path":2,"up":true,"t":null}"#),
        (.mirror, #"{"node":"primary","seq":4,"ev":"path","path":2,"up":false}"#),
        (.mirror, #"{"node":"primary","seq":10,"ev":"send","stream":1,"sn":1,"path":1,"t":1700000000000010000}"#),
        (.mirror, #"{"node":"secondary","seq":1,"ev":"recv","stream":1,"sn":1,"path":1,"cause":{"node":"primary","seq":10},"t":1700000000007074000}"#),
        (.mirror, #"{"t":-3,"cause":{"seq":31,"node":"secondary"},"sn":4,"stream":0,"ev":"acked","seq":103,"node":"primary"}"#),
        (.mirror, #"{"node":"secondary","seq":2,"ev":"apply","stream":1,"sn":1,"cause":null}"#),
        (.mirror, #"{"node":"primary","seq":12,"ev":"commit","lsn":7,"t":12}"#),
        (.mirror, #"{"node":"secondary","seq":12,"ev":"takeover","t":12}"#),
        (.mirror, #"{"node":"primary","seq":13,"ev":"crash"}"#),
        (.driver, #"{"node":"driver","seq":1,"ev":"submit","iface":0,"id":5,"off":4096,"len":512,"deps":[],"t":1}"#),
        (.driver, #"{"node":"driver","seq":2,"ev":"stage","id":5,"region":1}"#),
        (.driver, #"{"node":"driver","seq":3,"ev":"complete","id":5}"#),
        (.driver, #"{"node":"driver","seq":4,"ev":"sync_done","iface":0,"t":0}"#),
        (.driver, #"{"node":"driver","seq":5,"ev":"recovered","id":5}"#),
        (.driver, #"{"node":"driver","seq":6,"ev":"online"}"#),
        (.recovery, #"{"node":"framework","seq":7,"ev":"done","ok":true,"t":70}"#),
        (.recovery, #"{"node":"framework","seq":7,"ev":"crash","cause":{"node":"w1","seq":6}}"#),
    ]

    /// What each integer is replaced by: valid and invalid numbers of every kind.
    private let numbers = [
        "0", "7", "10", "123456", "9223372036854775807", "9223372036854775808", "-1", "-0", "01", "00",
        "1.5", "1e3", "1E3", "-9223372036854775808", "-9223372036854775809", "12345678901234567890", "-",
        "1234567890123456789", "99999999", "100000000", "\"1\"", "null", "true", "[]", "{}",
    ]

    /// Numbers in the plain shape: where the full parser takes one, the template does too.
    private let plainIntegers: Set = [
        "0", "7", "10", "123456", "9223372036854775807", "1234567890123456789", "99999999", "100000000", "-1",
        "-9223372036854775808",
    ]

    /// What the full parser reads from a line.
    private enum Reading: Equatable {
        case success(TraceEvent)
        case failure(String)

        func get() throws -> TraceEvent {
            guard case .success(let event) = self else { throw TraceInputError(file: "", line: 0, message: "\(self)") }
            return event
        }
    }

    /// The full parser's reading of `line`: the event, or the error's message.
    private func fullParse(_ line: String, _ system: TraceSystem) -> Reading {
        do {
            switch try EventParser(system: system).parse(line) {
            case .event(let event): return .success(event)
            default: return .failure("not an event")
            }
        } catch {
            return .failure(error.message)
        }
    }

    /// The line with its `index`-th integer (outside strings) replaced by `text`.
    private func replacing(_ line: String, integer index: Int, with text: String) -> String? {
        var bytes = Array(line.utf8)
        var i = 0, found = 0, inString = false
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { inString.toggle() }
            if !inString && (b == UInt8(ascii: "-") || isDigit(b)) {
                var j = i + 1
                while j < bytes.count && isDigit(bytes[j]) { j += 1 }
                if found == index {
                    bytes.replaceSubrange(i..<j, with: Array(text.utf8))
                    return String(decoding: bytes, as: UTF8.self)
                }
                found += 1
                i = j
                continue
            }
            i += 1
        }
        return nil
    }

    private func match(_ template: LineTemplate, _ line: String) -> TraceEvent? {
        Array(line.utf8).withUnsafeBufferPointer { template.match($0) }
    }

    private func template(_ line: String, _ system: TraceSystem) -> LineTemplate? {
        guard case .success(let event) = fullParse(line, system) else { return nil }
        return Array(line.utf8).withUnsafeBufferPointer { LineTemplate(line: $0, event: event) }
    }

    func testEveryShapeIsATemplateThatReadsItsOwnLine() throws {
        for (system, line) in shapes {
            let template = try XCTUnwrap(template(line, system), line)
            XCTAssertEqual(match(template, line), try fullParse(line, system).get(), line)
        }
    }

    func testAMatchIsAlwaysWhatTheFullParserReads() throws {
        var matched = 0, declined = 0
        for (system, line) in shapes {
            let template = try XCTUnwrap(template(line, system))
            for index in 0... {
                guard replacing(line, integer: index, with: "0") != nil else { break }
                for number in numbers {
                    let variant = replacing(line, integer: index, with: number)!
                    let full = fullParse(variant, system)
                    guard let event = match(template, variant) else {
                        declined += 1
                        // A plain integer the field allows is read through the template.
                        if case .success = full, plainIntegers.contains(number) {
                            XCTFail("declined a plain line: \(variant)")
                        }
                        continue
                    }
                    matched += 1
                    XCTAssertEqual(full, Reading.success(event), variant)
                }
            }
        }
        XCTAssertGreaterThan(matched, 300)
        XCTAssertGreaterThan(declined, 300)
    }

    func testOtherLiteralsDoNotMatch() throws {
        let up = try XCTUnwrap(template(#"{"node":"primary","seq":4,"ev":"path","path":2,"up":true}"#, .mirror))
        XCTAssertNil(match(up, #"{"node":"primary","seq":4,"ev":"path","path":2,"up":false}"#))
        XCTAssertNil(match(up, #"{"node":"primary","seq":4,"ev":"path","path":2,"up":true} "#))
        XCTAssertNil(match(up, #"{"node":"primary","seq":4,"ev":"path","path":2,"up":true"#))
        XCTAssertNil(match(up, #"{"node":"primary ","seq":4,"ev":"path","path":2,"up":true}"#))
        let recv = try XCTUnwrap(template(
            #"{"node":"secondary","seq":1,"ev":"recv","stream":1,"sn":1,"path":1,"cause":{"node":"primary","seq":10}}"#, .mirror))
        XCTAssertNil(match(recv, #"{"node":"secondary","seq":1,"ev":"recv","stream":1,"sn":1,"path":1,"cause":{"node":"primarx","seq":10}}"#))
        XCTAssertNil(match(recv, #"{"node":"secondary","seq":1,"ev":"recv","stream":1,"sn":1,"path":1,"cause":{"node":"primary","seq":10.0}}"#))
    }

    func testShapesTemplatesDoNotCover() {
        let lines: [(TraceSystem, String)] = [
            (.mirror, #"{"node":"primary","seq":9,"ev":"append","lsn":16,"stream":3,"sn":2,"deps":[{"stream":4,"sn":2}]}"#),
            (.mirror, #"{"node":"secondary","seq":1,"ev":"recv","stream":1,"sn":1,"path":1,"cause":[{"node":"primary","seq":10}]}"#),
            (.mirror, #"{"node":"primary","seq":1,"ev":"assign","stream":0,"path":3,"lsn":4}"#),
            (.mirror, #"{"node":"primary","seq":1, "ev":"assign","stream":0,"path":3}"#),
            (.mirror, #"{"node":"pri\u006dary","seq":1,"ev":"assign","stream":0,"path":3}"#),
            (.mirror, #"{"node":"primary","seq":1,"ev":"assign","stream":0,"path":3,"meta":{"n":1}}"#),
            (.recovery, #"{"node":"w1","seq":7,"ev":"start","consumer":"c"}"#),
        ]
        for (system, line) in lines {
            XCTAssertNil(template(line, system), line)
        }
    }

    /// A file read with templates gives what parsing each line alone gives, line for line,
    /// errors included.
    func testAReaderWithTemplatesReadsAsTheParser() throws {
        let directory = readerMakeDirectory()
        defer { readerRemoveDirectory(directory) }
        for (system, line) in shapes {
            for index in 0... {
                guard replacing(line, integer: index, with: "0") != nil else { break }
                for number in numbers {
                    let variant = replacing(line, integer: index, with: number)!
                    // The template's line, then the variant.
                    let second = variant
                    let header = #"{"format":"plumb-trace","version":1,"system":"\#(system.rawValue)"}"#
                    let path = readerWrite(Array((header + "\n" + line + "\n" + second + "\n").utf8), "t.jsonl", in: directory)
                    let alone = fullParse(second, system)
                    switch (readerReadAll(path), alone) {
                    case (.success(let (_, items)), .success(var event)):
                        guard items.count == 2, case .event(let read) = items[1] else {
                            XCTFail("items \(items) for \(second)")
                            continue
                        }
                        event.location = SourceLocation(file: 0, line: 3)
                        XCTAssertEqual(read, event, second)
                    case (.failure(let error), .failure(let message)):
                        // The same message, unless the variant only broke the seq order.
                        if error.line == 3 && !error.message.contains("does not increase") {
                            XCTAssertEqual(error.message, message, second)
                        }
                    case (.failure(let error), .success):
                        XCTAssertTrue(error.message.contains("does not increase"), "\(error) for \(second)")
                    case (.success, .failure(let message)):
                        XCTFail("read \(second), which the parser refuses: \(message)")
                    }
                }
            }
        }
    }

    /// A file of one node whose shapes share their head, in an order the guess of the next
    /// shape often misses, reads as it does without templates: shapes whose text after the seq
    /// differs in its first eight bytes (`"send"`, `"commit"`, `"acked"`), or has fewer than
    /// eight (`,"t":`), or is the same there (`"assign"`, `"append"` and `"acked"`).
    func testShapesSharingAHeadReadAsWithoutTemplates() throws {
        let directory = readerMakeDirectory()
        defer { readerRemoveDirectory(directory) }
        var lines = [readerMirrorHeader]
        var state: UInt64 = 7
        for seq in 1...300 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let n = seq / 3 + 1
            switch (state >> 33) % 6 {
            case 0: lines.append(#"{"node":"primary","seq":\#(seq),"ev":"assign","stream":1,"path":0}"#)
            case 1: lines.append(#"{"node":"primary","seq":\#(seq),"ev":"acked","stream":1,"sn":\#(n),"cause":{"node":"secondary","seq":\#(seq)}}"#)
            case 2: lines.append(#"{"node":"primary","seq":\#(seq),"ev":"append","lsn":\#(seq),"stream":1,"sn":\#(seq)}"#)
            case 3: lines.append(#"{"node":"primary","seq":\#(seq),"t":\#(1000 + seq),"ev":"commit","lsn":\#(n)}"#)
            case 4: lines.append(#"{"node":"primary","seq":\#(seq),"ev":"send","stream":1,"sn":\#(n),"path":0,"t":5}"#)
            default: lines.append(#"{"node":"primary","seq":\#(seq),"ev":"commit","lsn":\#(n)}"#)
            }
        }
        let path = readerWrite(Array((lines.joined(separator: "\n") + "\n").utf8), "head.jsonl", in: directory)
        let (with, withError) = readItems(path, templates: true)
        XCTAssertNil(withError)
        XCTAssertEqual(with.count, 300)
        XCTAssertEqual(with, readItems(path, templates: false).items)
    }

    /// The items of the file at `path`, read with or without templates, up to its end or its
    /// first error.
    private func readItems(_ path: String, templates: Bool) -> (items: [TraceItem], error: TraceInputError?) {
        var items: [TraceItem] = []
        do {
            var reader = try TraceFileReader(path: path, fileIndex: 0, allowTruncated: false, templates: templates)
            while let item = try reader.next() { items.append(item) }
            return (items, nil)
        } catch {
            return (items, error)
        }
    }

    /// A file of two nodes (templates with two heads) reads as it does without templates.
    func testAFileOfTwoNodesReadsAsWithoutTemplates() throws {
        let directory = readerMakeDirectory()
        defer { readerRemoveDirectory(directory) }
        var lines = [readerMirrorHeader]
        for k in 1...40 {
            lines.append(#"{"node":"primary","seq":\#(2 * k - 1),"ev":"send","stream":\#(k % 3),"sn":\#(k),"path":0,"t":\#(100 + k)}"#)
            lines.append(#"{"node":"primary","seq":\#(2 * k),"ev":"commit","lsn":\#(k)}"#)
            lines.append(#"{"node":"secondary","seq":\#(k),"ev":"recv","stream":\#(k % 3),"sn":\#(k),"path":0,"cause":{"node":"primary","seq":\#(2 * k - 1)}}"#)
        }
        // A last line whose seq goes back: the error must be the same too.
        lines.append(#"{"node":"secondary","seq":7,"ev":"recv","stream":1,"sn":1,"path":0}"#)
        let path = readerWrite(Array((lines.joined(separator: "\n") + "\n").utf8), "two.jsonl", in: directory)
        let (with, withError) = readItems(path, templates: true)
        let (without, withoutError) = readItems(path, templates: false)
        XCTAssertEqual(with.count, 120)
        XCTAssertEqual(with, without)
        XCTAssertEqual(withError, withoutError)
        XCTAssertNotNil(withError)
    }
}
