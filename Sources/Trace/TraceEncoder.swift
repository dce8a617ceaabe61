/// Writes headers and events as trace lines (JSON, UTF-8), the inverse of `EventParser`.
///
/// Keys come in a fixed order: `node`, `seq`, `ev`, the event's fields in its table's order,
/// `cause` (one object for one cause, an array for more, absent for none), then `t` if set.
/// Optional empty arrays (`deps`, `after`, `logs`) and a nil `reason` are left out. For every
/// event `e`, parsing `encode(e)` gives back `e` (but for `location`, which is not written).
/// Stateless: safe to use from any thread.
public enum TraceEncoder {
    /// The header line, without a line end; `meta` is written with its keys sorted.
    public static func encode(_ header: TraceHeader, meta: [String: String]? = nil) -> [UInt8] {
        var out: [UInt8] = []
        append(header, meta: meta, to: &out)
        out.removeLast()
        return out
    }

    /// The event's line, without a line end.
    public static func encode(_ event: TraceEvent) -> [UInt8] {
        var out: [UInt8] = []
        append(event, to: &out)
        out.removeLast()
        return out
    }

    /// Appends the header's line and a newline to `out`.
    public static func append(_ header: TraceHeader, meta: [String: String]? = nil, to out: inout [UInt8]) {
        var w = Writer(out: out)
        out = []
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
        out = w.out
    }

    /// Appends the event's line and a newline to `out`.
    public static func append(_ event: TraceEvent, to out: inout [UInt8]) {
        var w = Writer(out: out)
        out = []
        w.raw("{\"node\":")
        w.string(event.node)
        w.raw(",\"seq\":")
        w.int(event.seq)
        w.raw(",\"ev\":")
        w.string(event.kind.name)
        fields(event.kind, &w)
        if event.causes.count == 1 {
            w.raw(",\"cause\":")
            eventID(event.causes[0], &w)
        } else if !event.causes.isEmpty {
            w.raw(",\"cause\":[")
            for (index, cause) in event.causes.enumerated() {
                if index > 0 { w.raw(",") }
                eventID(cause, &w)
            }
            w.raw("]")
        }
        if let t = event.t {
            w.raw(",\"t\":")
            w.int(t)
        }
        w.raw("}\n")
        out = w.out
    }

    /// Appends an `x-` event as one line, with `"\n"`.
    public static func append(extension event: ExtensionEvent, to out: inout [UInt8]) {
        var w = Writer(out: out)
        out = []
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
        out = w.out
    }

    private static func eventID(_ id: EventID, _ w: inout Writer) {
        w.raw("{\"node\":")
        w.string(id.node)
        w.raw(",\"seq\":")
        w.int(id.seq)
        w.raw("}")
    }

    /// The event's own fields, each as `,"key":value`.
    private static func fields(_ kind: EventKind, _ w: inout Writer) {
        switch kind {
        case let .append(lsn, stream, sn, deps):
            w.int("lsn", lsn)
            w.int("stream", stream)
            w.int("sn", sn)
            if !deps.isEmpty {
                w.raw(",\"deps\":[")
                for (index, dep) in deps.enumerated() {
                    w.raw(index > 0 ? ",{\"stream\":" : "{\"stream\":")
                    w.int(dep.stream)
                    w.raw(",\"sn\":")
                    w.int(dep.sn)
                    w.raw("}")
                }
                w.raw("]")
            }
        case let .assign(stream, path):
            w.int("stream", stream)
            w.int("path", path)
        case let .path(path, up):
            w.int("path", path)
            w.bool("up", up)
        case let .send(stream, sn, path), let .recv(stream, sn, path):
            w.int("stream", stream)
            w.int("sn", sn)
            w.int("path", path)
        case let .apply(stream, sn), let .drop(stream, sn), let .ack(stream, sn), let .acked(stream, sn):
            w.int("stream", stream)
            w.int("sn", sn)
        case let .commit(lsn):
            w.int("lsn", lsn)
        case let .submit(iface, id, off, len, deps):
            w.int("iface", iface)
            w.int("id", id)
            w.int("off", off)
            w.int("len", len)
            if !deps.isEmpty {
                w.raw(",\"deps\":[")
                for (index, dep) in deps.enumerated() {
                    if index > 0 { w.raw(",") }
                    w.int(dep)
                }
                w.raw("]")
            }
        case let .stage(id, region):
            w.int("id", id)
            w.int("region", region)
        case let .complete(id), let .durable(id), let .recovered(id):
            w.int("id", id)
        case let .sync(iface), let .syncDone(iface):
            w.int("iface", iface)
        case let .register(consumer, deps, after, logs):
            w.string("consumer", consumer)
            w.strings("deps", deps)
            if !after.isEmpty { w.strings("after", after) }
            if !logs.isEmpty { w.strings("logs", logs) }
        case let .reject(consumer, reason):
            w.string("consumer", consumer)
            w.string("reason", reason)
        case let .notify(consumer), let .start(consumer), let .observe(consumer), let .skip(consumer):
            w.string("consumer", consumer)
        case let .tag(consumer, log), let .untag(consumer, log), let .process(consumer, log):
            w.string("consumer", consumer)
            w.string("log", log)
        case let .end(consumer, ok, reason):
            w.string("consumer", consumer)
            w.bool("ok", ok)
            if let reason { w.string("reason", reason) }
        case let .done(ok):
            w.bool("ok", ok)
        case .takeover, .online, .begin, .crash:
            break
        }
    }
}

/// Appends JSON pieces to a byte buffer.
private struct Writer {
    var out: [UInt8]

    mutating func raw(_ text: StaticString) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// A signed decimal integer.
    mutating func int(_ value: Int) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var i = buffer.count
            repeat {
                i -= 1
                buffer[i] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            out.append(contentsOf: buffer[i...])
        }
    }

    /// A JSON string: quotes, `\` and control characters escaped; other text as UTF-8.
    mutating func string(_ text: String) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case 0..<0x20:
                raw("\\u00")
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0xF))
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// `,"key":value` for an integer.
    mutating func int(_ key: String, _ value: Int) {
        keyPrefix(key)
        int(value)
    }

    /// `,"key":value` for a boolean.
    mutating func bool(_ key: String, _ value: Bool) {
        keyPrefix(key)
        if value { raw("true") } else { raw("false") }
    }

    /// `,"key":value` for a string.
    mutating func string(_ key: String, _ value: String) {
        keyPrefix(key)
        string(value)
    }

    /// `,"key":[...]` for strings.
    mutating func strings(_ key: String, _ values: [String]) {
        keyPrefix(key)
        out.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            string(value)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// `,"key":` (keys are plain ASCII names).
    private mutating func keyPrefix(_ key: String) {
        out.append(UInt8(ascii: ","))
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: key.utf8)
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }
}
