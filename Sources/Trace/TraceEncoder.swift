/// Writes headers and events as trace lines (JSON, UTF-8), the inverse of `EventParser`.
///
/// Keys come in a fixed order: `node`, `seq`, `ev`, the event's fields in its table's order,
/// `cause` (one object for one cause, an array for more, absent for none), then `t` if set.
/// Optional empty arrays (`deps`, `after`, `logs`) and a nil `reason` are left out. For every
/// event `e`, parsing `encode(e)` gives back `e` (but for `location`, which is not written).
/// Stateless: safe to use from any thread.
package enum TraceEncoder {
    /// The header line, without a line end; `meta` is written with its keys sorted.
    package static func encode(_ header: TraceHeader, meta: [String: String]? = nil) -> [UInt8] {
        var out: [UInt8] = []
        append(header, meta: meta, to: &out)
        out.removeLast()
        return out
    }

    /// The event's line, without a line end.
    package static func encode(_ event: TraceEvent) -> [UInt8] {
        var out: [UInt8] = []
        append(event, to: &out)
        out.removeLast()
        return out
    }

    /// Appends the header's line and a newline to `out`.
    package static func append(_ header: TraceHeader, meta: [String: String]? = nil, to out: inout [UInt8]) {
        TraceLineWriter.appending(to: &out) { write(header, meta: meta, to: &$0) }
    }

    /// Writes the header's line and a newline.
    static func write(_ header: TraceHeader, meta: [String: String]?, to w: inout TraceLineWriter) {
        w.raw("{\"format\":")
        w.string(TraceHeader.formatName)
        w.raw(",\"version\":")
        w.int(header.version)
        w.raw(",\"system\":")
        w.string(header.system.rawValue)
        if let meta {
            w.raw(",\"meta\":{")
            for (index, key) in meta.keys.sorted().enumerated() {
                if index > 0 { w.raw(",") }
                w.string(key)
                w.raw(":")
                w.string(meta[key]!)
            }
            w.raw("}")
        }
        w.raw("}\n")
    }

    /// Appends the event's line and a newline to `out`.
    package static func append(_ event: TraceEvent, to out: inout [UInt8]) {
        TraceLineWriter.appending(to: &out) { write(event, to: &$0) }
    }

    /// Writes the event's line and a newline.
    static func write(_ event: TraceEvent, to w: inout TraceLineWriter) {
        var prefixes = TraceNodePrefixes()
        write(event, to: &w, prefixes: &prefixes)
    }

    /// Writes the event's line and a newline: one bound reserved, then every piece written
    /// without further checks, constant pieces (`,"ev":"send","stream":`) whole, and the node
    /// names' openings copied from `prefixes` when they are there.
    static func write(_ event: TraceEvent, to w: inout TraceLineWriter, prefixes: inout TraceNodePrefixes) {
        w.withCursor(reserving: bound(event)) { c in
            TraceNodePrefixes.write(event.node, slot: &prefixes.own, &c)
            c.int(event.seq)
            fields(event.kind, &c)
            if event.causes.count == 1 {
                c.raw(",\"cause\":")
                cause(event.causes[0].node, event.causes[0].seq, &c, &prefixes)
            } else if !event.causes.isEmpty {
                c.raw(",\"cause\":[")
                for index in event.causes.indices {
                    if index > 0 { c.byte(UInt8(ascii: ",")) }
                    cause(event.causes[index].node, event.causes[index].seq, &c, &prefixes)
                }
                c.byte(UInt8(ascii: "]"))
            }
            end(event.t, &c)
        }
    }

    /// Writes a packed event's line and a newline (what `write(_:to:prefixes:)` writes for the
    /// event it was packed from): `node` recorded it, `causeNode` made its cause if it has one;
    /// its `seq` and `t` count on the digits of the line before (`numbers`). The cursor must
    /// have `packedBound(node:causeNode:)` bytes of room.
    @inline(__always)
    static func write(
        _ event: TracePackedEvent, kind: TracePackedKind, node: String, causeNode: String,
        to c: inout TraceLineCursor, prefixes: inout TraceNodePrefixes, numbers: inout TraceRunningNumbers
    ) {
        TraceNodePrefixes.write(node, slot: &prefixes.own, &c)
        numbers.writeSeq(event.seq, &c)
        kind.write(&c)
        if event.hasCause {
            c.raw(",\"cause\":")
            cause(causeNode, event.causeSeq, &c, &prefixes)
        }
        if event.hasT {
            c.raw(",\"t\":")
            numbers.writeT(event.t, &c)
        }
        c.raw("}\n")
    }

    /// The most bytes a packed event's line takes (see `bound(_:)`).
    static func packedBound(node: String, causeNode: String) -> Int {
        320 &+ TraceLineCursor.bound(node) &+ 96 &+ TraceLineCursor.bound(causeNode)
    }

    /// One cause: `{"node":NAME,"seq":N}`.
    @inline(__always)
    private static func cause(_ node: String, _ seq: Int, _ c: inout TraceLineCursor, _ prefixes: inout TraceNodePrefixes) {
        TraceNodePrefixes.write(node, slot: &prefixes.cause, &c)
        c.int(seq)
        c.byte(UInt8(ascii: "}"))
    }

    /// `,"t":N` if there is a time, then `}` and the newline.
    @inline(__always)
    private static func end(_ t: Int?, _ c: inout TraceLineCursor) {
        if let t {
            c.raw(",\"t\":")
            c.int(t)
        }
        c.raw("}\n")
    }

    /// The most bytes the event's line takes: 320 for the fixed pieces, the longest name, up
    /// to four numbers with their keys and the node's opening copied whole (48 bytes, see
    /// `TraceNodePrefixes`), plus what its strings, causes and deps may take.
    @inline(__always)
    static func bound(_ event: TraceEvent) -> Int {
        var n = 320 &+ TraceLineCursor.bound(event.node)
        for cause in event.causes { n &+= 96 &+ TraceLineCursor.bound(cause.node) }
        switch event.kind {
        case let .append(_, _, _, deps): n &+= 64 &* deps.count
        case let .submit(_, _, _, _, deps): n &+= 32 &* deps.count
        case let .register(consumer, deps, after, logs):
            n &+= 64 &+ TraceLineCursor.bound(consumer)
            for name in deps { n &+= 8 &+ TraceLineCursor.bound(name) }
            for name in after { n &+= 8 &+ TraceLineCursor.bound(name) }
            for name in logs { n &+= 8 &+ TraceLineCursor.bound(name) }
        case let .reject(consumer, reason):
            n &+= TraceLineCursor.bound(consumer) &+ TraceLineCursor.bound(reason)
        case let .notify(consumer), let .start(consumer), let .observe(consumer), let .skip(consumer):
            n &+= TraceLineCursor.bound(consumer)
        case let .tag(consumer, log), let .untag(consumer, log), let .process(consumer, log):
            n &+= TraceLineCursor.bound(consumer) &+ TraceLineCursor.bound(log)
        case let .end(consumer, _, reason):
            n &+= TraceLineCursor.bound(consumer) &+ (reason.map(TraceLineCursor.bound) ?? 0)
        default:
            break
        }
        return n
    }

    /// Appends an `x-` event as one line, with `"\n"`.
    package static func append(extension event: ExtensionEvent, to out: inout [UInt8]) {
        TraceLineWriter.appending(to: &out) { write(extension: event, to: &$0) }
    }

    /// Writes an `x-` event's line and a newline.
    static func write(extension event: ExtensionEvent, to w: inout TraceLineWriter) {
        w.raw("{\"node\":")
        w.string(event.node)
        w.raw(",\"seq\":")
        w.int(event.seq)
        w.raw(",\"ev\":")
        w.string(event.name)
        for field in event.fields {
            w.raw(",")
            w.string(field.key)
            w.raw(":")
            w.int(field.value)
        }
        w.raw("}\n")
    }

    /// `,"ev":"NAME"` and the event's own fields, each as `,"key":value`: the numbers of the
    /// kinds that have only numbers through `TracePackedKind` (as the recorder's writer thread
    /// writes them), then a list if there is one; the kinds with strings here.
    private static func fields(_ kind: EventKind, _ c: inout TraceLineCursor) {
        if let packed = TracePackedKind(kind) {
            packed.write(&c)
            switch kind {
            case let .append(_, _, _, deps) where !deps.isEmpty:
                c.raw(",\"deps\":[")
                for index in deps.indices {
                    c.raw(index > 0 ? ",{\"stream\":" : "{\"stream\":")
                    c.int(deps[index].stream)
                    c.raw(",\"sn\":")
                    c.int(deps[index].sn)
                    c.byte(UInt8(ascii: "}"))
                }
                c.byte(UInt8(ascii: "]"))
            case let .submit(_, _, _, _, deps) where !deps.isEmpty:
                c.raw(",\"deps\":[")
                for index in deps.indices {
                    if index > 0 { c.byte(UInt8(ascii: ",")) }
                    c.int(deps[index])
                }
                c.byte(UInt8(ascii: "]"))
            default:
                break
            }
            return
        }
        switch kind {
        case let .register(consumer, deps, after, logs):
            c.raw(",\"ev\":\"register\",\"consumer\":")
            c.string(consumer)
            c.raw(",\"deps\":")
            strings(deps, &c)
            if !after.isEmpty {
                c.raw(",\"after\":")
                strings(after, &c)
            }
            if !logs.isEmpty {
                c.raw(",\"logs\":")
                strings(logs, &c)
            }
        case let .reject(consumer, reason):
            c.raw(",\"ev\":\"reject\",\"consumer\":")
            c.string(consumer)
            c.raw(",\"reason\":")
            c.string(reason)
        case let .notify(consumer):
            c.raw(",\"ev\":\"notify\",\"consumer\":")
            c.string(consumer)
        case let .start(consumer):
            c.raw(",\"ev\":\"start\",\"consumer\":")
            c.string(consumer)
        case let .tag(consumer, log):
            c.raw(",\"ev\":\"tag\",\"consumer\":")
            consumerLog(consumer, log, &c)
        case let .untag(consumer, log):
            c.raw(",\"ev\":\"untag\",\"consumer\":")
            consumerLog(consumer, log, &c)
        case let .process(consumer, log):
            c.raw(",\"ev\":\"process\",\"consumer\":")
            consumerLog(consumer, log, &c)
        case let .end(consumer, ok, reason):
            c.raw(",\"ev\":\"end\",\"consumer\":")
            c.string(consumer)
            c.raw(",\"ok\":")
            c.bool(ok)
            if let reason {
                c.raw(",\"reason\":")
                c.string(reason)
            }
        case let .observe(consumer):
            c.raw(",\"ev\":\"observe\",\"consumer\":")
            c.string(consumer)
        case let .skip(consumer):
            c.raw(",\"ev\":\"skip\",\"consumer\":")
            c.string(consumer)
        default:
            // Packed above.
            break
        }
    }

    /// `"C","log":"L"` (after a `"consumer":` key).
    private static func consumerLog(_ consumer: String, _ log: String, _ c: inout TraceLineCursor) {
        c.string(consumer)
        c.raw(",\"log\":")
        c.string(log)
    }

    /// `["a","b"]`.
    private static func strings(_ values: [String], _ c: inout TraceLineCursor) {
        c.byte(UInt8(ascii: "["))
        for index in values.indices {
            if index > 0 { c.byte(UInt8(ascii: ",")) }
            c.string(values[index])
        }
        c.byte(UInt8(ascii: "]"))
    }
}
