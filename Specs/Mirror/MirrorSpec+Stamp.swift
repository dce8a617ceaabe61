import Trace

extension MirrorSpec {
    /// An event as the spec keeps it: plain integers (the node as an index into
    /// `MirrorSpec.nodes`, the event name as a code), so that the state copies without
    /// reference counting and hashes without touching a string. `eventStamp(_:)` turns it back
    /// into the `EventStamp` that violations and obligations cite.
    struct Stamp: Sendable, Equatable {
        /// The node's seq.
        var seq: Int
        /// Where it was read from: the line.
        var line: Int
        /// Where it was read from: the file's index.
        var file: Int32
        /// The node, an index into `MirrorSpec.nodes`.
        var node: Int32
        /// The event name's code (`EventNameCode`).
        var kind: UInt8
    }

    /// The stamp of `event`, its node interned into `nodes`.
    mutating func makeStamp(_ event: TraceEvent) -> Stamp {
        Stamp(seq: event.seq, line: event.location.line, file: Int32(truncatingIfNeeded: event.location.file),
              node: Int32(intern(event.node)), kind: EventNameCode.code(of: event.kind))
    }

    /// The index of `node` in `nodes`, added when new. A trace names few nodes (two in a
    /// mirror trace), so a scan is quicker than hashing.
    @inline(__always) mutating func intern(_ node: String) -> Int {
        if let i = firstIndexExactlyEqual(node, count: nodes.count, name: { nodes[$0] }) { return i }
        return add(node: node)
    }

    /// Adds a node not seen before; returns its index.
    private mutating func add(node: String) -> Int {
        nodes.append(node)
        return nodes.count - 1
    }

    /// The stamp as violations cite it.
    func eventStamp(_ stamp: Stamp) -> EventStamp { Self.eventStamp(stamp, node: nodes[Int(stamp.node)]) }

    /// The stamp as violations cite it, its node's name given.
    static func eventStamp(_ stamp: Stamp, node: String) -> EventStamp {
        EventStamp(id: EventID(node: node, seq: stamp.seq), name: EventNameCode.names[Int(stamp.kind)],
                   location: SourceLocation(file: Int(stamp.file), line: stamp.line))
    }

    /// The event's name: `node#seq`.
    func id(_ stamp: Stamp) -> EventID { EventID(node: nodes[Int(stamp.node)], seq: stamp.seq) }
}

/// A code per event name, so that a kept event carries its name as one byte.
enum EventNameCode {
    /// The names, by code.
    static let names: [String] = [
        "append", "assign", "path", "send", "recv", "apply", "drop", "ack", "acked", "commit", "takeover",
        "submit", "stage", "complete", "durable", "sync", "sync_done", "recovered", "online",
        "register", "reject", "begin", "notify", "start", "tag", "untag", "process", "end", "observe",
        "skip", "done", "crash",
    ]

    /// The code of `kind`'s name: its index in `names`.
    static func code(of kind: EventKind) -> UInt8 {
        switch kind {
        case .append: 0
        case .assign: 1
        case .path: 2
        case .send: 3
        case .recv: 4
        case .apply: 5
        case .drop: 6
        case .ack: 7
        case .acked: 8
        case .commit: 9
        case .takeover: 10
        case .submit: 11
        case .stage: 12
        case .complete: 13
        case .durable: 14
        case .sync: 15
        case .syncDone: 16
        case .recovered: 17
        case .online: 18
        case .register: 19
        case .reject: 20
        case .begin: 21
        case .notify: 22
        case .start: 23
        case .tag: 24
        case .untag: 25
        case .process: 26
        case .end: 27
        case .observe: 28
        case .skip: 29
        case .done: 30
        case .crash: 31
        }
    }
}

extension SpecSink {
    /// `require` for two events a `MirrorSpec` keeps, named by `nodes` (its `nodes`): their
    /// stamps are made only when the sink cites them (the usual obligation holds and needs
    /// none). Not a method of the spec: calling one from a mutating method, with a message
    /// that reads the spec, copied the whole spec (a retain and a release of each of its
    /// arrays) at every obligation.
    @discardableResult
    func require(
        _ invariant: Invariant, _ before: MirrorSpec.Stamp, happensBefore after: MirrorSpec.Stamp,
        nodes: [String], message: @autoclosure () -> String
    ) -> Bool {
        let beforeNode = nodes[Int(before.node)], afterNode = nodes[Int(after.node)]
        return require(
            invariant, node: beforeNode, seq: before.seq, happensBefore: afterNode, seq: after.seq,
            stamps: {
                (MirrorSpec.eventStamp(before, node: beforeNode), MirrorSpec.eventStamp(after, node: afterNode))
            },
            message: message())
    }
}
