/// An event kind whose fields are all numbers (or booleans), as a tag and up to four integers:
/// what a `FileRecorder` keeps on the recording thread instead of the line, and what the writer
/// thread turns into the line's fields. `TraceEncoder` writes these kinds' fields through
/// `write(_:)` too, so a packed event and the event itself give the same bytes by construction.
///
/// A value type: safe to use from any thread.
struct TracePackedKind {
    /// Which `EventKind` case; 0 is left for `TracePackedEvent.rawLine`.
    enum Tag: UInt8 {
        case append = 1, assign, path, send, recv, apply, drop, ack, acked, commit, takeover
        case submit, stage, complete, durable, sync, syncDone, recovered, online
        case begin, done, crash
    }

    /// The case.
    var tag: Tag
    /// Its numbers in the case's order (booleans as 0 and 1), unused ones 0.
    var f0 = 0, f1 = 0, f2 = 0, f3 = 0

    /// The numeric fields of `kind`, or nil for a kind with strings. Lists (`deps`) are not
    /// packed: `append` and `submit` give their numbers, and whoever packs a whole event checks
    /// that the list is empty (`hasNoList`).
    @inline(__always)
    init?(_ kind: EventKind) {
        switch kind {
        case let .append(lsn, stream, sn, _): (tag, f0, f1, f2) = (.append, lsn, stream, sn)
        case let .assign(stream, path): (tag, f0, f1) = (.assign, stream, path)
        case let .path(path, up): (tag, f0, f1) = (.path, path, up ? 1 : 0)
        case let .send(stream, sn, path): (tag, f0, f1, f2) = (.send, stream, sn, path)
        case let .recv(stream, sn, path): (tag, f0, f1, f2) = (.recv, stream, sn, path)
        case let .apply(stream, sn): (tag, f0, f1) = (.apply, stream, sn)
        case let .drop(stream, sn): (tag, f0, f1) = (.drop, stream, sn)
        case let .ack(stream, sn): (tag, f0, f1) = (.ack, stream, sn)
        case let .acked(stream, sn): (tag, f0, f1) = (.acked, stream, sn)
        case let .commit(lsn): (tag, f0) = (.commit, lsn)
        case .takeover: tag = .takeover
        case let .submit(iface, id, off, len, _): (tag, f0, f1, f2, f3) = (.submit, iface, id, off, len)
        case let .stage(id, region): (tag, f0, f1) = (.stage, id, region)
        case let .complete(id): (tag, f0) = (.complete, id)
        case let .durable(id): (tag, f0) = (.durable, id)
        case let .sync(iface): (tag, f0) = (.sync, iface)
        case let .syncDone(iface): (tag, f0) = (.syncDone, iface)
        case let .recovered(id): (tag, f0) = (.recovered, id)
        case .online: tag = .online
        case .begin: tag = .begin
        case let .done(ok): (tag, f0) = (.done, ok ? 1 : 0)
        case .crash: tag = .crash
        case .register, .reject, .notify, .start, .tag, .untag, .process, .end, .observe, .skip:
            return nil
        }
    }

    /// Whether `kind` has no list to write after its numbers (`deps` empty or absent).
    @inline(__always)
    static func hasNoList(_ kind: EventKind) -> Bool {
        switch kind {
        case let .append(_, _, _, deps): deps.isEmpty
        case let .submit(_, _, _, _, deps): deps.isEmpty
        default: true
        }
    }

    /// `,"ev":"NAME"` and the fields, each as `,"key":value` (at most 200 bytes; a list that
    /// follows is the caller's).
    @inline(__always)
    func write(_ c: inout TraceLineCursor) {
        switch tag {
        case .append:
            c.raw(",\"ev\":\"append\",\"lsn\":")
            c.int(f0)
            c.raw(",\"stream\":")
            c.int(f1)
            c.raw(",\"sn\":")
            c.int(f2)
        case .assign:
            c.raw(",\"ev\":\"assign\",\"stream\":")
            c.int(f0)
            c.raw(",\"path\":")
            c.int(f1)
        case .path:
            c.raw(",\"ev\":\"path\",\"path\":")
            c.int(f0)
            c.raw(",\"up\":")
            c.bool(f1 != 0)
        case .send:
            c.raw(",\"ev\":\"send\",\"stream\":")
            streamSNPath(&c)
        case .recv:
            c.raw(",\"ev\":\"recv\",\"stream\":")
            streamSNPath(&c)
        case .apply:
            c.raw(",\"ev\":\"apply\",\"stream\":")
            streamSN(&c)
        case .drop:
            c.raw(",\"ev\":\"drop\",\"stream\":")
            streamSN(&c)
        case .ack:
            c.raw(",\"ev\":\"ack\",\"stream\":")
            streamSN(&c)
        case .acked:
            c.raw(",\"ev\":\"acked\",\"stream\":")
            streamSN(&c)
        case .commit:
            c.raw(",\"ev\":\"commit\",\"lsn\":")
            c.int(f0)
        case .takeover:
            c.raw(",\"ev\":\"takeover\"")
        case .submit:
            c.raw(",\"ev\":\"submit\",\"iface\":")
            c.int(f0)
            c.raw(",\"id\":")
            c.int(f1)
            c.raw(",\"off\":")
            c.int(f2)
            c.raw(",\"len\":")
            c.int(f3)
        case .stage:
            c.raw(",\"ev\":\"stage\",\"id\":")
            c.int(f0)
            c.raw(",\"region\":")
            c.int(f1)
        case .complete:
            c.raw(",\"ev\":\"complete\",\"id\":")
            c.int(f0)
        case .durable:
            c.raw(",\"ev\":\"durable\",\"id\":")
            c.int(f0)
        case .sync:
            c.raw(",\"ev\":\"sync\",\"iface\":")
            c.int(f0)
        case .syncDone:
            c.raw(",\"ev\":\"sync_done\",\"iface\":")
            c.int(f0)
        case .recovered:
            c.raw(",\"ev\":\"recovered\",\"id\":")
            c.int(f0)
        case .online:
            c.raw(",\"ev\":\"online\"")
        case .begin:
            c.raw(",\"ev\":\"begin\"")
        case .done:
            c.raw(",\"ev\":\"done\",\"ok\":")
            c.bool(f0 != 0)
        case .crash:
            c.raw(",\"ev\":\"crash\"")
        }
    }

    /// `N,"sn":N,"path":N` (after a `"stream":` key).
    @inline(__always)
    private func streamSNPath(_ c: inout TraceLineCursor) {
        streamSN(&c)
        c.raw(",\"path\":")
        c.int(f2)
    }

    /// `N,"sn":N` (after a `"stream":` key).
    @inline(__always)
    private func streamSN(_ c: inout TraceLineCursor) {
        c.int(f0)
        c.raw(",\"sn\":")
        c.int(f1)
    }
}

/// One entry of a `FileRecorder`'s buffer, 64 bytes: an event of numbers only, recorded by the
/// recorder's own node with at most one cause from its usual peer (both names kept once, by the
/// recorder), or the header of a line already encoded (`rawLine`: its bytes follow, padded to 8).
///
/// A plain value with no references: stored and loaded as raw bytes.
struct TracePackedEvent {
    /// The kind's tag (`TracePackedKind.Tag`), or 0 for a line already encoded.
    var tag: UInt8
    /// Whether the event has a time (`t`) and a cause (`causeSeq`, by the peer).
    var hasT: Bool
    var hasCause: Bool
    /// The event's `seq`, its time, and the `seq` of its cause.
    var seq: Int
    var t: Int
    var causeSeq: Int
    /// The kind's numbers (`TracePackedKind`); for a `rawLine` header, `f0` is the line's length.
    var f0: Int, f1: Int, f2: Int, f3: Int

    /// Bytes per entry (the lines of `rawLine` entries follow it).
    static let stride = 64

    /// The header of an encoded line of `count` bytes.
    static func rawLine(count: Int) -> TracePackedEvent {
        TracePackedEvent(tag: 0, hasT: false, hasCause: false, seq: 0, t: 0, causeSeq: 0, f0: count, f1: 0, f2: 0, f3: 0)
    }

    /// `event` packed, given the nodes it must name; nil unless its kind has numbers only (no
    /// list), it was recorded by `node`, and it has no cause or one by `causeNode`.
    @inline(__always)
    init?(_ event: TraceEvent, node: String, causeNode: String) {
        guard let kind = TracePackedKind(event.kind), TracePackedKind.hasNoList(event.kind),
              event.node == node
        else { return nil }
        switch event.causes.count {
        case 0: (hasCause, causeSeq) = (false, 0)
        case 1:
            guard event.causes[0].node == causeNode else { return nil }
            (hasCause, causeSeq) = (true, event.causes[0].seq)
        default: return nil
        }
        tag = kind.tag.rawValue
        seq = event.seq
        (hasT, t) = event.t.map { (true, $0) } ?? (false, 0)
        (f0, f1, f2, f3) = (kind.f0, kind.f1, kind.f2, kind.f3)
    }

    private init(tag: UInt8, hasT: Bool, hasCause: Bool, seq: Int, t: Int, causeSeq: Int, f0: Int, f1: Int, f2: Int, f3: Int) {
        (self.tag, self.hasT, self.hasCause, self.seq, self.t, self.causeSeq) = (tag, hasT, hasCause, seq, t, causeSeq)
        (self.f0, self.f1, self.f2, self.f3) = (f0, f1, f2, f3)
    }

    /// The kind with its numbers (nil for a `rawLine` header).
    var kind: TracePackedKind? {
        TracePackedKind.Tag(rawValue: tag).map { TracePackedKind(tag: $0, f0: f0, f1: f1, f2: f2, f3: f3) }
    }
}

extension TracePackedKind {
    /// A kind from its parts (as a `TracePackedEvent` holds them).
    init(tag: Tag, f0: Int, f1: Int, f2: Int, f3: Int) {
        self.tag = tag
        (self.f0, self.f1, self.f2, self.f3) = (f0, f1, f2, f3)
    }
}

/// The `seq` and the clock's upper digits of the line a writer wrote last, kept as digits: a
/// node's `seq` goes up by one a line, and the digits of its clock (`t`, nanoseconds) above the
/// lowest eight change ten times a second, so the next line mostly copies them instead of
/// dividing again. The digits are the ones `TraceLineCursor.int` writes.
///
/// Not thread-safe: a value of the writer thread.
struct TraceRunningNumbers {
    /// The last `seq` written, and its digits (`seqCount` of them; 0: none kept).
    private var seq = 0
    private var seqCount = 0
    private var seqDigits: (UInt64, UInt64, UInt64) = (0, 0, 0)
    /// The last clock's value over 10^8, and its digits (`highCount` of them; 0: none kept).
    private var high = 0
    private var highCount = 0
    private var highDigits: (UInt64, UInt64) = (0, 0)

    /// Writes `value`, a `seq`: the last one's digits counted up when it follows it. Copies 24
    /// bytes whatever its length (the line's bound leaves room).
    @inline(__always)
    mutating func writeSeq(_ value: Int, _ c: inout TraceLineCursor) {
        guard value >= 0 else {
            seqCount = 0
            c.int(value)
            return
        }
        if seqCount == 0 || value != seq &+ 1 || !countUp() {
            seqCount = withUnsafeMutableBytes(of: &seqDigits) { digits in
                TraceLineWriter.writeDecimal(UInt(value), at: digits.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        seq = value
        let out = UnsafeMutableRawPointer(c.at)
        withUnsafeBytes(of: &seqDigits) { out.copyMemory(from: $0.baseAddress!, byteCount: 24) }
        c.at += seqCount
    }

    /// Adds one to the kept digits; false when they are all nines (the count grows: the
    /// caller writes the number afresh).
    @inline(__always)
    private mutating func countUp() -> Bool {
        let count = seqCount
        return withUnsafeMutableBytes(of: &seqDigits) { digits in
            var index = count &- 1
            while index >= 0, digits[index] == UInt8(ascii: "9") {
                digits[index] = UInt8(ascii: "0")
                index &-= 1
            }
            guard index >= 0 else { return false }
            digits[index] &+= 1
            return true
        }
    }

    /// Writes `value`, a clock: at 10^8 and over, the upper digits as kept when they are the
    /// last clock's, then the lowest eight. Copies 16 bytes for the upper digits whatever their
    /// length (the line's bound leaves room).
    @inline(__always)
    mutating func writeT(_ value: Int, _ c: inout TraceLineCursor) {
        guard value >= 100_000_000 else {
            c.int(value)
            return
        }
        let upper = value / 100_000_000, lower = value % 100_000_000
        if highCount == 0 || upper != high {
            high = upper
            highCount = withUnsafeMutableBytes(of: &highDigits) { digits in
                TraceLineWriter.writeDecimal(UInt(upper), at: digits.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        let out = UnsafeMutableRawPointer(c.at)
        withUnsafeBytes(of: &highDigits) { out.copyMemory(from: $0.baseAddress!, byteCount: 16) }
        c.at += highCount
        TraceLineWriter.writeEightDigits(UInt(lower), at: c.at)
        c.at += 8
    }
}
