/// A line the reader parsed in full, with its integers cut out: a later line with the same
/// bytes around its integers is the same event with other numbers, read without parsing it
/// again.
///
/// Recorders write one shape per event kind (`{"node":"primary","seq":9,"ev":"send",...}`), so
/// most lines of a file repeat a handful of shapes and differ only in their numbers. A template
/// keeps the bytes between the integers of a line the full parser accepted, and for each integer
/// which field it is (`Slot`). A line matches when its bytes between integers are the same and
/// each integer is one the quick scan reads (no leading zero, no fraction or exponent, in
/// Int64's range) and is >= 0 unless it is the clock `t`. Everything else about the line (its
/// keys, strings, `null`s, booleans, its node and event name) is then byte for byte the
/// template's, so the full parser would give the template's event with these numbers: what
/// `match` returns. Any doubt, and `match` returns nil: the caller parses the line in full,
/// which words any error.
///
/// Only events whose kind has numbers alone (no list, no strings: `TracePackedKind`) and at most
/// one cause, given as one object, are templates; a template is checked when made by matching
/// its own line and comparing with the full parse.
///
/// A reference type that owns its `shape`, which lines are tried against; not thread-safe:
/// used by one reader.
package final class LineTemplate {
    /// Which field an integer of the line is: its raw value is its place in `Numbers`.
    enum Slot: UInt8 {
        case seq, t, causeSeq, field0, field1, field2, field3
    }

    /// The bytes between integers and the fields of the integers (the template owns them).
    let shape: Shape
    /// The template event's node, its cause's node (nil: no cause), and whether it has a clock.
    let node: String
    private let causeNode: String?
    private let hasT: Bool
    /// The row of `node` in the reader's table of last seqs, once the reader looked it up
    /// (-1 before): the reader's, which alone uses this template.
    var seqRow = -1
    /// The template event's kind, and its one boolean (`path`'s `up`, `done`'s `ok`).
    private let tag: TracePackedKind.Tag
    private let flag: Bool

    /// The template of `line`, which the full parser read as `event`; nil when the line or the
    /// event has a shape templates do not cover.
    package init?(line: UnsafeBufferPointer<UInt8>, event: TraceEvent) {
        guard event.causes.count <= 1, let packed = TracePackedKind(event.kind), TracePackedKind.hasNoList(event.kind),
              let base = line.baseAddress
        else { return nil }
        var shape = ShapeScan(base: base, end: line.count, tag: packed.tag)
        guard shape.scanEvent(), shape.slots.contains(.seq), shape.slots.contains(.causeSeq) == !event.causes.isEmpty,
              shape.slots.contains(.t) == (event.t != nil)
        else { return nil }
        self.shape = Shape(shape)
        node = event.node
        causeNode = event.causes.first?.node
        hasT = event.t != nil
        tag = packed.tag
        flag = switch event.kind {
        case .path(_, let up): up
        case .done(let ok): ok
        default: false
        }
        // The cut must give back the event itself.
        guard match(line) == event else { return nil }
    }

    deinit { shape.deallocate() }

    /// The integers of a line of this shape, by field, in `Slot` order: an integer is stored
    /// at its slot's place, with no branch on which slot it is.
    struct Numbers {
        private var values: (Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0)

        var seq: Int { values.0 }
        var t: Int { values.1 }
        var causeSeq: Int { values.2 }
        var fields: (Int, Int, Int, Int) { (values.3, values.4, values.5, values.6) }

        /// Sets the integer of `slot`.
        @inline(__always) mutating func set(_ slot: Slot, _ value: Int) {
            withUnsafeMutableBytes(of: &values) {
                $0.storeBytes(of: value, toByteOffset: Int(slot.rawValue) &* MemoryLayout<Int>.stride, as: Int.self)
            }
        }
    }

    /// The event `line` holds, when it has this template's shape; nil otherwise.
    package func match(_ line: UnsafeBufferPointer<UInt8>) -> TraceEvent? {
        var numbers = Numbers()
        guard let (pos, value) = shape.head(line), shape.tail(line, pos: pos, first: value, into: &numbers)
        else { return nil }
        return event(numbers, location: .none)
    }

    /// The template's event with `numbers`, read from `location`.
    @inline(__always) func event(_ numbers: Numbers, location: SourceLocation) -> TraceEvent {
        TraceEvent(
            node: node, seq: numbers.seq, kind: kind(numbers.fields),
            causes: causeNode.map { [EventID(node: $0, seq: numbers.causeSeq)] } ?? [],
            t: hasT ? numbers.t : nil, location: location)
    }

    /// The template's kind with `f` (in `TracePackedKind`'s order) for its numbers.
    @inline(__always) private func kind(_ f: (Int, Int, Int, Int)) -> EventKind {
        switch tag {
        case .append: .append(lsn: f.0, stream: f.1, sn: f.2, deps: [])
        case .assign: .assign(stream: f.0, path: f.1)
        case .path: .path(path: f.0, up: flag)
        case .send: .send(stream: f.0, sn: f.1, path: f.2)
        case .recv: .recv(stream: f.0, sn: f.1, path: f.2)
        case .apply: .apply(stream: f.0, sn: f.1)
        case .drop: .drop(stream: f.0, sn: f.1)
        case .ack: .ack(stream: f.0, sn: f.1)
        case .acked: .acked(stream: f.0, sn: f.1)
        case .commit: .commit(lsn: f.0)
        case .takeover: .takeover
        case .submit: .submit(iface: f.0, id: f.1, off: f.2, len: f.3, deps: [])
        case .stage: .stage(id: f.0, region: f.1)
        case .complete: .complete(id: f.0)
        case .durable: .durable(id: f.0)
        case .sync: .sync(iface: f.0)
        case .syncDone: .syncDone(iface: f.0)
        case .recovered: .recovered(id: f.0)
        case .online: .online
        case .begin: .begin
        case .done: .done(ok: flag)
        case .crash: .crash
        }
    }
}

extension LineTemplate {
    /// What a line is matched against: a template's bytes between integers and the field of
    /// each integer. Plain pointers, so that the cache keeps an array of them and tries one
    /// without reference counting or closures; the template that made it frees them.
    struct Shape {
        /// The bytes between integers, one segment after another (`ends` splits them).
        let literal: UnsafeMutableBufferPointer<UInt8>
        /// Where each segment ends in `literal`: one more segment than integers.
        let ends: UnsafeMutableBufferPointer<Int>
        /// The field of each integer, in line order.
        let slots: UnsafeMutableBufferPointer<Slot>
        /// The first eight bytes of the segment after the first integer, when it has eight
        /// (`hasSecondWord`): a line of another shape mostly differs there (`mayGoOn`).
        private let secondWord: UInt64
        private let hasSecondWord: Bool

        /// The shape a scan cut.
        fileprivate init(_ scan: ShapeScan) {
            literal = .allocate(capacity: max(scan.bytes.count, 1))
            _ = literal.initialize(from: scan.bytes)
            ends = .allocate(capacity: scan.segmentEnds.count)
            _ = ends.initialize(from: scan.segmentEnds)
            slots = .allocate(capacity: max(scan.slots.count, 1))
            _ = slots.initialize(from: scan.slots)
            hasSecondWord = ends.count > 1 && ends[1] - ends[0] >= 8
            secondWord = hasSecondWord ? UnsafeRawPointer(literal.baseAddress! + ends[0]).loadUnaligned(as: UInt64.self) : 0
        }

        /// False when a line whose `head` ended at `pos` cannot have this shape, as its next
        /// eight bytes show: a cheap test before `tail` (true: `tail` decides).
        @inline(__always) func mayGoOn(_ line: UnsafeBufferPointer<UInt8>, at pos: Int) -> Bool {
            guard hasSecondWord else { return true }
            guard line.count &- pos >= 8 else { return false }
            return UnsafeRawPointer(line.baseAddress! + pos).loadUnaligned(as: UInt64.self) == secondWord
        }

        /// Frees the buffers (the template's `deinit`).
        fileprivate func deallocate() {
            literal.deallocate()
            ends.deallocate()
            slots.deallocate()
        }

        /// Where the line's first integer ends and its value, when the line starts with this
        /// template's first segment and an integer there.
        @inline(__always) func head(_ line: UnsafeBufferPointer<UInt8>) -> (pos: Int, value: Int)? {
            guard let base = line.baseAddress else { return nil }
            let count = ends[0]
            guard line.count > count, Self.equal(base, UnsafePointer(literal.baseAddress!), count) else { return nil }
            var pos = count
            guard let value = Self.integer(base, line.count, &pos, signed: slots[0] == .t) else { return nil }
            return (pos, value)
        }

        /// Whether `other` starts with the same segment and the same field as this one: then both
        /// read a line's `head` alike.
        func sharesHead(with other: Shape) -> Bool {
            ends[0] == other.ends[0] && slots[0] == other.slots[0]
                && Self.equal(UnsafePointer(literal.baseAddress!), UnsafePointer(other.literal.baseAddress!), ends[0])
        }

        /// Sets `numbers` to the integers of `line` whose `head` ended at `pos` with value `first`;
        /// false when the rest of the line does not have this shape.
        @inline(__always) func tail(
            _ line: UnsafeBufferPointer<UInt8>, pos: Int, first: Int, into numbers: inout Numbers
        ) -> Bool {
            let base = line.baseAddress!, end = line.count
            let literal = UnsafePointer(literal.baseAddress!)
            var pos = pos, start = ends[0]
            var value = first
            var i = 0
            while true {
                numbers.set(slots[i], value)
                i &+= 1
                let stop = ends[i], count = stop &- start
                if i == ends.count &- 1 { return end &- pos == count && Self.equal(base + pos, literal + start, count) }
                guard end &- pos > count, Self.equal(base + pos, literal + start, count) else { return false }
                pos &+= count
                start = stop
                guard let next = Self.integer(base, end, &pos, signed: slots[i] == .t) else { return false }
                value = next
            }
        }

        /// The integer at `pos` (moving `pos` past it) as the quick scan reads one
        /// (`JSONCursor.plainDigits`): negative only if `signed`. A leading zero followed by a
        /// digit, a fraction or an exponent is left for the next segment to reject: segments start
        /// with `,`, `}` or `]`.
        @inline(__always) private static func integer(
            _ base: UnsafePointer<UInt8>, _ end: Int, _ pos: inout Int, signed: Bool
        ) -> Int? {
            var i = pos
            guard let value = JSONCursor.plainDigits(base, end, &i, negative: signed && base[i] == UInt8(ascii: "-"))
            else { return nil }
            pos = i
            return value
        }

        /// Whether the `count` bytes at `a` and `b` are equal: eight at a time, the last eight
        /// overlapping the ones before (both texts hold `count` bytes there).
        @inline(__always) static func equal(
            _ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int
        ) -> Bool {
            if count < 8 {
                for i in 0..<count where a[i] != b[i] { return false }
                return true
            }
            @inline(__always) func word(_ p: UnsafePointer<UInt8>, _ at: Int) -> UInt64 {
                UnsafeRawPointer(p + at).loadUnaligned(as: UInt64.self)
            }
            var i = 0
            while i &+ 8 < count {
                if word(a, i) != word(b, i) { return false }
                i &+= 8
            }
            return word(a, count &- 8) == word(b, count &- 8)
        }
    }
}

/// Walks a line in the plain shape (no whitespace, strings of printable ASCII without escapes)
/// and cuts it at its integers, naming each one's field; fails on anything else.
private struct ShapeScan {
    let base: UnsafePointer<UInt8>
    let end: Int
    /// The event's kind, which says which key is which field.
    let tag: TracePackedKind.Tag
    var pos = 0
    var bytes: [UInt8] = []
    var segmentEnds: [Int] = []
    var slots: [LineTemplate.Slot] = []

    init(base: UnsafePointer<UInt8>, end: Int, tag: TracePackedKind.Tag) {
        self.base = base
        self.end = end
        self.tag = tag
    }

    /// Scans the line's object to its end.
    mutating func scanEvent() -> Bool {
        guard object(inCause: false), pos == end else { return false }
        bytes.append(contentsOf: UnsafeBufferPointer(start: base + literalStart, count: end - literalStart))
        segmentEnds.append(bytes.count)
        return true
    }

    /// Where the literal bytes not yet copied start.
    private var literalStart = 0

    /// Scans the object at `pos` (the event, or its `cause` when `inCause`).
    private mutating func object(inCause: Bool) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        if take(UInt8(ascii: "}")) { return true }
        while true {
            guard let key = string() else { return false }
            guard take(UInt8(ascii: ":")), pos < end else { return false }
            switch base[pos] {
            case UInt8(ascii: "\""):
                guard string() != nil else { return false }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard let slot = slot(for: key, inCause: inCause) else { return false }
                cut(slot)
            case UInt8(ascii: "{"):
                guard !inCause, key == .cause, object(inCause: true) else { return false }
            case UInt8(ascii: "["):
                // Only an empty list (a `deps` with nothing in it).
                guard !inCause, take(UInt8(ascii: "[")), take(UInt8(ascii: "]")) else { return false }
            case UInt8(ascii: "t"): guard word("true") else { return false }
            case UInt8(ascii: "f"): guard word("false") else { return false }
            case UInt8(ascii: "n"): guard word("null") else { return false }
            default: return false
            }
            if take(UInt8(ascii: ",")) { continue }
            return take(UInt8(ascii: "}"))
        }
    }

    /// Ends a literal segment at the integer at `pos` and skips the integer.
    private mutating func cut(_ slot: LineTemplate.Slot) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: base + literalStart, count: pos - literalStart))
        segmentEnds.append(bytes.count)
        slots.append(slot)
        if base[pos] == UInt8(ascii: "-") { pos += 1 }
        while pos < end, isDigit(base[pos]) { pos += 1 }
        literalStart = pos
    }

    /// The key a string at `pos` spells, when the parser reads it (nil: fail, or another key).
    private mutating func string() -> FieldKey?? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = pos
        while pos < end, base[pos] != UInt8(ascii: "\"") {
            guard base[pos] >= 0x20, base[pos] < 0x7F, base[pos] != UInt8(ascii: "\\") else { return nil }
            pos += 1
        }
        guard pos < end else { return nil }
        pos += 1
        return .some(FieldKey.identify(base + start, pos - 1 - start))
    }

    /// Consumes `byte` if it is at `pos`.
    private mutating func take(_ byte: UInt8) -> Bool {
        guard pos < end, base[pos] == byte else { return false }
        pos += 1
        return true
    }

    /// Consumes `text` (a literal) if it is at `pos`.
    private mutating func word(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard end - pos >= count, memoryEqual(base + pos, text.utf8Start, count) else { return false }
        pos += count
        return true
    }

    /// The field an integer under `key` is, for this kind; nil when the parser would not read it.
    private func slot(for key: FieldKey?, inCause: Bool) -> LineTemplate.Slot? {
        guard let key else { return nil }
        if inCause { return key == .seq ? .causeSeq : nil }
        switch key {
        case .seq: return .seq
        case .t: return .t
        default: break
        }
        let order: [FieldKey] = switch tag {
        case .append: [.lsn, .stream, .sn]
        case .assign: [.stream, .path]
        case .path: [.path]
        case .send, .recv: [.stream, .sn, .path]
        case .apply, .drop, .ack, .acked: [.stream, .sn]
        case .commit: [.lsn]
        case .submit: [.iface, .id, .off, .len]
        case .stage: [.id, .region]
        case .complete, .durable, .recovered: [.id]
        case .sync, .syncDone: [.iface]
        case .takeover, .online, .begin, .done, .crash: []
        }
        guard let index = order.firstIndex(of: key) else { return nil }
        return [LineTemplate.Slot.field0, .field1, .field2, .field3][index]
    }
}
