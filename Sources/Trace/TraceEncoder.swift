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
    public static func append(_ event: TraceEvent, to out: inout [UInt8]) {
        TraceLineWriter.appending(to: &out) { write(event, to: &$0) }
    }

    /// Writes the event's line and a newline.
    static func write(_ event: TraceEvent, to w: inout TraceLineWriter) {
        w.raw("{\"node\":")
        w.string(event.node)
        w.raw(",\"seq\":")
        w.int(event.seq)
        w.raw(",\"ev\":")
        w.raw(quotedName(event.kind))
        assert(String(decoding: UnsafeRawBufferPointer(start: quotedName(event.kind).utf8Start,
                                                        count: quotedName(event.kind).utf8CodeUnitCount), as: UTF8.self)
               == "\"\(event.kind.name)\"", "quotedName and EventKind.name disagree")
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
    }

    /// Appends an `x-` event as one line, with `"\n"`.
    public static func append(extension event: ExtensionEvent, to out: inout [UInt8]) {
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

    /// The event's name in quotes (`EventKind.name`, as a constant: no string per event).
    private static func quotedName(_ kind: EventKind) -> StaticString {
        switch kind {
        case .append: "\"append\""
        case .assign: "\"assign\""
        case .path: "\"path\""
        case .send: "\"send\""
        case .recv: "\"recv\""
        case .apply: "\"apply\""
        case .drop: "\"drop\""
        case .ack: "\"ack\""
        case .acked: "\"acked\""
        case .commit: "\"commit\""
        case .takeover: "\"takeover\""
        case .submit: "\"submit\""
        case .stage: "\"stage\""
        case .complete: "\"complete\""
        case .durable: "\"durable\""
        case .sync: "\"sync\""
        case .syncDone: "\"sync_done\""
        case .recovered: "\"recovered\""
        case .online: "\"online\""
        case .register: "\"register\""
        case .reject: "\"reject\""
        case .begin: "\"begin\""
        case .notify: "\"notify\""
        case .start: "\"start\""
        case .tag: "\"tag\""
        case .untag: "\"untag\""
        case .process: "\"process\""
        case .end: "\"end\""
        case .observe: "\"observe\""
        case .skip: "\"skip\""
        case .done: "\"done\""
        case .crash: "\"crash\""
        }
    }

    private static func eventID(_ id: EventID, _ w: inout TraceLineWriter) {
        w.raw("{\"node\":")
        w.string(id.node)
        w.raw(",\"seq\":")
        w.int(id.seq)
        w.raw("}")
    }

    /// The event's own fields, each as `,"key":value`.
    private static func fields(_ kind: EventKind, _ w: inout TraceLineWriter) {
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

