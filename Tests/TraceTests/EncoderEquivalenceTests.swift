import Foundation
import XCTest
@testable import Trace

/// The byte encoder against a plain one built from strings, as TRACE-FORMAT.md spells lines
/// out: for random events of every kind (numbers at every digit count and sign, names that need
/// escaping, names too long to keep as an opening, several nodes and causes), both the
/// stateless encoder and a `FileRecorder` (which copies node openings it has seen) write
/// exactly the reference's bytes.
final class EncoderEquivalenceTests: XCTestCase {
    func testEncoderMatchesTheReferenceForRandomEvents() {
        var generator = EncoderSampleGenerator(seed: 0x5EED)
        for _ in 0..<20_000 {
            let event = generator.event()
            let expected = referenceLine(event)
            XCTAssertEqual(String(decoding: TraceEncoder.encode(event), as: UTF8.self), expected)
        }
    }

    func testEncoderWritesEveryDigitCountAndSign() {
        var values: [Int] = [0, 1, 9, 10, 11, 99, 100, 101, Int.max, Int.min, Int.min + 1, Int.max - 1]
        var power = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, power + 1, -power + 1, -power, -power - 1]
        }
        for value in values {
            let event = TraceEvent(node: "primary", seq: value, kind: .commit(lsn: value), t: value)
            XCTAssertEqual(String(decoding: TraceEncoder.encode(event), as: UTF8.self), referenceLine(event), "\(value)")
        }
    }

    func testFileRecorderMatchesTheReferenceWithCachedOpenings() throws {
        let directory = readerMakeDirectory()
        defer { readerRemoveDirectory(directory) }
        var generator = EncoderSampleGenerator(seed: 42)
        // Mostly one node with one peer (what the cache is for), and now and then others.
        let events = (0..<20_000).map { _ in generator.event() }
        try assertRecordsTheReference(events, at: directory + "/random.jsonl")
    }

    /// A controller's recorder sees one node and one peer: its numeric events are packed on the
    /// recording thread and encoded by the writer thread, the others encoded at once, in between.
    func testFileRecorderMatchesTheReferenceForPackedEvents() throws {
        let directory = readerMakeDirectory()
        defer { readerRemoveDirectory(directory) }
        var generator = EncoderSampleGenerator(seed: 0xFACE)
        let events = (0..<20_000).map { _ in
            var event = generator.event()
            event.node = "primary"
            event.causes = event.causes.prefix(generator.below(4) == 0 ? 2 : 1).map {
                EventID(node: generator.below(20) == 0 ? "elsewhere" : "secondary", seq: $0.seq)
            }
            return event
        }
        XCTAssertLessThanOrEqual(MemoryLayout<TracePackedEvent>.size, TracePackedEvent.stride, "an entry fits its stride")
        XCTAssertLessThanOrEqual(MemoryLayout<TracePackedEvent>.alignment, 8, "entries are 8-byte aligned")
        let packed = events.filter { TracePackedEvent($0, node: "primary", causeNode: "secondary") != nil }
        XCTAssertGreaterThan(packed.count, events.count / 3, "most numeric events are packed")
        for event in packed.prefix(2_000) {
            let entry = try XCTUnwrap(TracePackedEvent(event, node: "primary", causeNode: "secondary"))
            var line = TraceLineWriter(base: .allocate(capacity: 4096), count: 0, capacity: 4096, owned: true)
            var prefixes = TraceNodePrefixes()
            var numbers = TraceRunningNumbers()
            line.withCursor(reserving: TraceEncoder.packedBound(node: "primary", causeNode: "secondary")) { c in
                TraceEncoder.write(entry, kind: entry.kind!, node: "primary", causeNode: "secondary", to: &c,
                                   prefixes: &prefixes, numbers: &numbers)
            }
            XCTAssertEqual(String(decoding: UnsafeBufferPointer(start: line.base, count: line.count), as: UTF8.self), referenceLine(event) + "\n")
            line.base.deallocate()
        }
        try assertRecordsTheReference(events, at: directory + "/packed.jsonl")
    }

    /// The writer counts a node's `seq` up in its digits and keeps its clock's upper digits:
    /// seqs one after another across every digit count (9 to 10, 999 to 1000), jumps, negative
    /// and huge ones, and clocks across 10^8 boundaries, small, negative and missing.
    func testFileRecorderMatchesTheReferenceForRunningNumbers() throws {
        let directory = readerMakeDirectory()
        defer { readerRemoveDirectory(directory) }
        var seqs = Array(0...1_205) + Array(9_990...10_010) + [99_999, 100_000, 100_001, 5, 6, -3, -2, 7]
        seqs += [Int.max - 2, Int.max - 1, Int.max, 0, 1]
        var generator = EncoderSampleGenerator(seed: 99)
        var clock = 99_999_000
        let events = seqs.enumerated().map { index, seq in
            clock += [1, 7, 250_000, 99_999_999, 1][generator.below(5)]
            let t: Int? = switch index % 50 {
            case 0: nil
            case 1: -clock
            case 2: generator.below(100_000_000)
            case 3: Int.max - generator.below(10)
            default: clock
            }
            return TraceEvent(node: "primary", seq: seq, kind: .send(stream: index % 8, sn: index, path: index % 4),
                              causes: index % 3 == 0 ? [EventID(node: "secondary", seq: index)] : [], t: t)
        }
        try assertRecordsTheReference(events, at: directory + "/running.jsonl")
    }

    /// Records `events` with a small-buffered `FileRecorder` at `path` and checks that the file
    /// holds exactly the reference lines after its header.
    private func assertRecordsTheReference(_ events: [TraceEvent], at path: String,
                                           file: StaticString = #filePath, line: UInt = #line) throws {
        let recorder = try FileRecorder(path: path, system: .mirror, bufferLimit: 4096)
        for event in events { recorder.record(event) }
        try recorder.close()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
        XCTAssertEqual(Array(lines), events.map { Substring(referenceLine($0)) } + [""], file: file, line: line)
    }
}

/// Random events of every kind, with names from a small pool (so openings repeat) and now and
/// then a fresh one.
struct EncoderSampleGenerator {
    var bits: SplitMix64

    init(seed: UInt64) { bits = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { bits.next() }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// A number of a random digit count and sign, sometimes an extreme.
    mutating func int() -> Int {
        switch below(10) {
        case 0: return [Int.min, Int.max, 0, -1][below(4)]
        case 1...5: return below(1000)
        default:
            let digits = below(19) + 1
            var value = 0
            for _ in 0..<digits { value = value &* 10 &+ below(10) }
            return below(4) == 0 ? -value : value
        }
    }

    mutating func name() -> String {
        switch below(20) {
        case 0: return ""
        case 1: return "a \"quoted\" \\ name\n\t\u{1}\u{1F}\u{7F}"
        case 2: return "worker-é-😀"
        case 3: return String(repeating: "long-node-name-", count: 1 + below(4))
        case 4: return "n\(below(1000))"
        default: return ["primary", "secondary"][below(2)]
        }
    }

    mutating func names() -> [String] { (0..<below(3)).map { _ in name() } }

    mutating func event() -> TraceEvent {
        let kinds: [EventKind] = [
            .append(lsn: int(), stream: int(), sn: int(),
                    deps: (0..<below(3)).map { _ in StreamEntry(stream: int(), sn: int()) }),
            .assign(stream: int(), path: int()), .path(path: int(), up: below(2) == 0),
            .send(stream: int(), sn: int(), path: int()), .recv(stream: int(), sn: int(), path: int()),
            .apply(stream: int(), sn: int()), .drop(stream: int(), sn: int()), .ack(stream: int(), sn: int()),
            .acked(stream: int(), sn: int()), .commit(lsn: int()), .takeover,
            .submit(iface: int(), id: int(), off: int(), len: int(), deps: (0..<below(3)).map { _ in int() }),
            .stage(id: int(), region: int()), .complete(id: int()), .durable(id: int()), .sync(iface: int()),
            .syncDone(iface: int()), .recovered(id: int()), .online,
            .register(consumer: name(), deps: names(), after: names(), logs: names()),
            .reject(consumer: name(), reason: name()), .begin, .notify(consumer: name()),
            .start(consumer: name()), .tag(consumer: name(), log: name()), .untag(consumer: name(), log: name()),
            .process(consumer: name(), log: name()),
            .end(consumer: name(), ok: below(2) == 0, reason: below(2) == 0 ? nil : name()),
            .observe(consumer: name()), .skip(consumer: name()), .done(ok: below(2) == 0), .crash,
        ]
        let causes = (0..<[0, 0, 1, 1, 1, 2, 3][below(7)]).map { _ in EventID(node: name(), seq: int()) }
        return TraceEvent(node: name(), seq: int(), kind: kinds[below(kinds.count)], causes: causes,
                          t: below(3) == 0 ? nil : int())
    }
}

/// A trace line built from strings, field by field as TRACE-FORMAT.md lists them: the
/// reference the byte encoder must match.
func referenceLine(_ event: TraceEvent) -> String {
    /// JSON's escapes for quotes, `\` and control bytes; every other byte as it is.
    func quoted(_ text: String) -> String {
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += Array("\\\"".utf8)
            case UInt8(ascii: "\\"): bytes += Array("\\\\".utf8)
            case 0x0A: bytes += Array("\\n".utf8)
            case 0x0D: bytes += Array("\\r".utf8)
            case 0x09: bytes += Array("\\t".utf8)
            case 0x08: bytes += Array("\\b".utf8)
            case 0x0C: bytes += Array("\\f".utf8)
            case 0..<0x20: bytes += Array(String(format: "\\u%04x", byte).utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        return String(decoding: bytes, as: UTF8.self)
    }
    func list(_ values: [String]) -> String { "[" + values.map(quoted).joined(separator: ",") + "]" }
    var fields: [(String, String)] = []
    switch event.kind {
    case let .append(lsn, stream, sn, deps):
        fields = [("lsn", "\(lsn)"), ("stream", "\(stream)"), ("sn", "\(sn)")]
        if !deps.isEmpty {
            fields.append(("deps", "[" + deps.map { "{\"stream\":\($0.stream),\"sn\":\($0.sn)}" }.joined(separator: ",") + "]"))
        }
    case let .assign(stream, path): fields = [("stream", "\(stream)"), ("path", "\(path)")]
    case let .path(path, up): fields = [("path", "\(path)"), ("up", "\(up)")]
    case let .send(stream, sn, path), let .recv(stream, sn, path):
        fields = [("stream", "\(stream)"), ("sn", "\(sn)"), ("path", "\(path)")]
    case let .apply(stream, sn), let .drop(stream, sn), let .ack(stream, sn), let .acked(stream, sn):
        fields = [("stream", "\(stream)"), ("sn", "\(sn)")]
    case let .commit(lsn): fields = [("lsn", "\(lsn)")]
    case let .submit(iface, id, off, len, deps):
        fields = [("iface", "\(iface)"), ("id", "\(id)"), ("off", "\(off)"), ("len", "\(len)")]
        if !deps.isEmpty { fields.append(("deps", "[" + deps.map(String.init).joined(separator: ",") + "]")) }
    case let .stage(id, region): fields = [("id", "\(id)"), ("region", "\(region)")]
    case let .complete(id), let .durable(id), let .recovered(id): fields = [("id", "\(id)")]
    case let .sync(iface), let .syncDone(iface): fields = [("iface", "\(iface)")]
    case let .register(consumer, deps, after, logs):
        fields = [("consumer", quoted(consumer)), ("deps", list(deps))]
        if !after.isEmpty { fields.append(("after", list(after))) }
        if !logs.isEmpty { fields.append(("logs", list(logs))) }
    case let .reject(consumer, reason): fields = [("consumer", quoted(consumer)), ("reason", quoted(reason))]
    case let .notify(consumer), let .start(consumer), let .observe(consumer), let .skip(consumer):
        fields = [("consumer", quoted(consumer))]
    case let .tag(consumer, log), let .untag(consumer, log), let .process(consumer, log):
        fields = [("consumer", quoted(consumer)), ("log", quoted(log))]
    case let .end(consumer, ok, reason):
        fields = [("consumer", quoted(consumer)), ("ok", "\(ok)")]
        if let reason { fields.append(("reason", quoted(reason))) }
    case let .done(ok): fields = [("ok", "\(ok)")]
    case .takeover, .online, .begin, .crash: break
    }
    func id(_ cause: EventID) -> String { "{\"node\":\(quoted(cause.node)),\"seq\":\(cause.seq)}" }
    var line = "{\"node\":\(quoted(event.node)),\"seq\":\(event.seq),\"ev\":\"\(event.kind.name)\""
    for (key, value) in fields { line += ",\"\(key)\":\(value)" }
    if event.causes.count == 1 {
        line += ",\"cause\":" + id(event.causes[0])
    } else if !event.causes.isEmpty {
        line += ",\"cause\":[" + event.causes.map(id).joined(separator: ",") + "]"
    }
    if let t = event.t { line += ",\"t\":\(t)" }
    return line + "}"
}
