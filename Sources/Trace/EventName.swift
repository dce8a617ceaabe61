/// The event names of TRACE-FORMAT.md, with the system and nodes each belongs to.
enum EventName: String, CaseIterable {
    case append, assign, path, send, recv, apply, drop, ack, acked, commit, takeover
    case submit, stage, complete, durable, sync, syncDone = "sync_done", recovered, online
    case register, reject, begin, notify, start, tag, untag, process, end, observe, skip, done
    case crash

    /// Where an event may be recorded, per its system's table.
    enum NodeRule {
        /// Mirror: only on `primary`.
        case primary
        /// Mirror: only on `secondary`.
        case secondary
        /// Mirror: on `primary` or `secondary`.
        case mirrorNode
        /// Driver: only on `driver`.
        case driver
        /// Recovery: only on `framework`.
        case framework
        /// Recovery: only on a worker, any node other than `framework`.
        case worker
        /// Recovery: on any node.
        case anyNode
    }

    /// The system that defines the event; nil for `crash`, which every system has.
    var system: TraceSystem? {
        switch self {
        case .append, .assign, .path, .send, .recv, .apply, .drop, .ack, .acked, .commit, .takeover:
            .mirror
        case .submit, .stage, .complete, .durable, .sync, .syncDone, .recovered, .online:
            .driver
        case .register, .reject, .begin, .notify, .start, .tag, .untag, .process, .end, .observe,
            .skip, .done:
            .recovery
        case .crash:
            nil
        }
    }

    /// Where the event may be recorded in `system` (the event's own one, or the trace's for `crash`).
    func rule(in system: TraceSystem) -> NodeRule {
        switch self {
        case .append, .assign, .send, .acked, .commit: .primary
        case .recv, .apply, .drop, .ack, .takeover: .secondary
        case .path: .mirrorNode
        case .submit, .stage, .complete, .durable, .sync, .syncDone, .recovered, .online: .driver
        case .register, .reject, .begin, .notify, .observe, .skip, .done: .framework
        case .start, .process: .worker
        case .end, .tag, .untag: .anyNode
        case .crash:
            switch system {
            case .mirror: .mirrorNode
            case .driver: .driver
            case .recovery: .framework
            }
        }
    }

    /// The event spelled by the `count` bytes at `p`, if any: by first byte, then length and bytes.
    static func identify(_ p: UnsafePointer<UInt8>, _ count: Int) -> EventName? {
        @inline(__always) func spells(_ word: StaticString) -> Bool {
            count == word.utf8CodeUnitCount && memoryEqual(p, word.utf8Start, count)
        }
        guard count > 0 else { return nil }
        switch p[0] {
        case UInt8(ascii: "a"):
            return spells("append") ? .append : spells("assign") ? .assign : spells("apply") ? .apply
                : spells("ack") ? .ack : spells("acked") ? .acked : nil
        case UInt8(ascii: "b"): return spells("begin") ? .begin : nil
        case UInt8(ascii: "c"):
            return spells("commit") ? .commit : spells("complete") ? .complete : spells("crash") ? .crash : nil
        case UInt8(ascii: "d"):
            return spells("drop") ? .drop : spells("durable") ? .durable : spells("done") ? .done : nil
        case UInt8(ascii: "e"): return spells("end") ? .end : nil
        case UInt8(ascii: "n"): return spells("notify") ? .notify : nil
        case UInt8(ascii: "o"): return spells("online") ? .online : spells("observe") ? .observe : nil
        case UInt8(ascii: "p"): return spells("path") ? .path : spells("process") ? .process : nil
        case UInt8(ascii: "r"):
            return spells("recv") ? .recv : spells("recovered") ? .recovered : spells("register") ? .register
                : spells("reject") ? .reject : nil
        case UInt8(ascii: "s"):
            return spells("send") ? .send : spells("submit") ? .submit : spells("stage") ? .stage
                : spells("sync") ? .sync : spells("sync_done") ? .syncDone : spells("start") ? .start
                : spells("skip") ? .skip : nil
        case UInt8(ascii: "t"): return spells("takeover") ? .takeover : spells("tag") ? .tag : nil
        case UInt8(ascii: "u"): return spells("untag") ? .untag : nil
        default: return nil
        }
    }

    /// Reads the event's own fields from `f`, per its table row.
    func kind(_ f: ObjectFields) throws(TraceInputError) -> EventKind {
        switch self {
        // mirror
        case .append:
            return .append(
                lsn: try f.natural(.lsn), stream: try f.natural(.stream), sn: try f.natural(.sn),
                deps: try streamEntries(f) ?? [])
        case .assign: return .assign(stream: try f.natural(.stream), path: try f.natural(.path))
        case .path: return .path(path: try f.natural(.path), up: try f.flag(.up))
        case .send:
            return .send(stream: try f.natural(.stream), sn: try f.natural(.sn), path: try f.natural(.path))
        case .recv:
            return .recv(stream: try f.natural(.stream), sn: try f.natural(.sn), path: try f.natural(.path))
        case .apply: return .apply(stream: try f.natural(.stream), sn: try f.natural(.sn))
        case .drop: return .drop(stream: try f.natural(.stream), sn: try f.natural(.sn))
        case .ack: return .ack(stream: try f.natural(.stream), sn: try f.natural(.sn))
        case .acked: return .acked(stream: try f.natural(.stream), sn: try f.natural(.sn))
        case .commit: return .commit(lsn: try f.natural(.lsn))
        case .takeover: return .takeover
        // driver
        case .submit:
            return .submit(
                iface: try f.natural(.iface), id: try f.natural(.id), off: try f.natural(.off),
                len: try f.natural(.len), deps: try f.naturalArray(.deps) ?? [])
        case .stage: return .stage(id: try f.natural(.id), region: try f.natural(.region))
        case .complete: return .complete(id: try f.natural(.id))
        case .durable: return .durable(id: try f.natural(.id))
        case .sync: return .sync(iface: try f.natural(.iface))
        case .syncDone: return .syncDone(iface: try f.natural(.iface))
        case .recovered: return .recovered(id: try f.natural(.id))
        case .online: return .online
        // recovery
        case .register:
            let consumer = try f.requiredString(.consumer)
            return .register(
                consumer: consumer, deps: try f.requiredStringArray(.deps), after: try f.stringArray(.after) ?? [],
                logs: try f.stringArray(.logs) ?? [])
        case .reject:
            return .reject(consumer: try f.requiredString(.consumer), reason: try f.requiredString(.reason))
        case .begin: return .begin
        case .notify: return .notify(consumer: try f.requiredString(.consumer))
        case .start: return .start(consumer: try f.requiredString(.consumer))
        case .tag: return .tag(consumer: try f.requiredString(.consumer), log: try f.requiredString(.log))
        case .untag: return .untag(consumer: try f.requiredString(.consumer), log: try f.requiredString(.log))
        case .process:
            return .process(consumer: try f.requiredString(.consumer), log: try f.requiredString(.log))
        case .end:
            return .end(
                consumer: try f.requiredString(.consumer), ok: try f.flag(.ok), reason: try f.string(.reason))
        case .observe: return .observe(consumer: try f.requiredString(.consumer))
        case .skip: return .skip(consumer: try f.requiredString(.consumer))
        case .done: return .done(ok: try f.flag(.ok))
        // shared
        case .crash: return .crash
        }
    }

    /// Mirror `append`'s optional `deps`: an array of `{"stream":..,"sn":..}`; nil when absent
    /// or null.
    private func streamEntries(_ f: ObjectFields) throws(TraceInputError) -> [StreamEntry]? {
        guard let at = f.presentOffset(.deps) else { return nil }
        let expected = "an object {\"stream\",\"sn\"}"
        var entries: [StreamEntry] = []
        try f.forEachElement(of: at, FieldName(.deps), "an array of {\"stream\",\"sn\"} objects") {
            (element, index) throws(TraceInputError) in
            let entry = try f.withObject(at: element, parent: .deps, index: index, expected: expected) {
                (dep) throws(TraceInputError) -> StreamEntry in
                StreamEntry(stream: try dep.natural(.stream), sn: try dep.natural(.sn))
            }
            entries.append(entry)
        }
        return entries
    }
}
