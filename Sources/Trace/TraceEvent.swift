/// Names one event of a trace: the node that recorded it and that node's sequence number.
///
/// This is what a `cause` field holds and what violations cite.
public struct EventID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The node that recorded the event.
    public var node: String
    /// The node's own counter at the event.
    public var seq: Int

    /// Makes an event name.
    public init(node: String, seq: Int) {
        self.node = node
        self.seq = seq
    }

    /// Same node (byte for byte, as JSON compares strings) and same seq.
    public static func == (lhs: EventID, rhs: EventID) -> Bool {
        lhs.seq == rhs.seq && lhs.node.exactlyEquals(rhs.node)
    }

    /// Hashes the seq and the node's bytes.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(seq)
        hasher.combine(exactBytesOf: node)
    }

    /// Orders by node name, then by seq; only for stable output, never for happens-before.
    public static func < (lhs: EventID, rhs: EventID) -> Bool {
        lhs.node.exactlyEquals(rhs.node) ? lhs.seq < rhs.seq : Array(lhs.node.utf8).lexicographicallyPrecedes(rhs.node.utf8)
    }

    /// `node#seq`, as the text report prints it.
    public var description: String { "\(node)#\(seq)" }
}

/// Where a line came from: an index into the reader's file list and a 1-based line number.
public struct SourceLocation: Hashable, Sendable {
    /// Index into the list of files the trace was read from (`TraceSource.files`).
    public var file: Int
    /// 1-based line number within that file.
    public var line: Int

    /// Makes a location.
    public init(file: Int, line: Int) {
        self.file = file
        self.line = line
    }

    /// The location of events that were not read from a file (recorded in memory).
    public static let none = SourceLocation(file: -1, line: 0)
}

/// One entry of a mirror stream: `(stream, sn)`.
public struct StreamEntry: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The stream number.
    public var stream: Int
    /// The entry's position in its stream, from 1.
    public var sn: Int

    /// Makes a stream entry.
    public init(stream: Int, sn: Int) {
        self.stream = stream
        self.sn = sn
    }

    /// Orders by stream, then sn; for stable output.
    public static func < (lhs: StreamEntry, rhs: StreamEntry) -> Bool {
        lhs.stream == rhs.stream ? lhs.sn < rhs.sn : lhs.stream < rhs.stream
    }

    /// `(stream,sn)`.
    public var description: String { "(\(stream),\(sn))" }
}

/// What happened: one case per event name of TRACE-FORMAT.md, with its fields.
public enum EventKind: Sendable, Equatable {
    // MARK: mirror
    /// `append`: the primary logged record `lsn` as entry `sn` of `stream`.
    case append(lsn: Int, stream: Int, sn: Int, deps: [StreamEntry])
    /// `assign`: from now on `stream` is sent on `path`.
    case assign(stream: Int, path: Int)
    /// `path`: the node saw `path` go up or down.
    case path(path: Int, up: Bool)
    /// `send`: the primary sent an entry on a path.
    case send(stream: Int, sn: Int, path: Int)
    /// `recv`: the secondary received an entry on a path.
    case recv(stream: Int, sn: Int, path: Int)
    /// `apply`: the entry is durable in the secondary's log.
    case apply(stream: Int, sn: Int)
    /// `drop`: the secondary discarded a duplicate.
    case drop(stream: Int, sn: Int)
    /// `ack`: cumulative acknowledgement from the secondary.
    case ack(stream: Int, sn: Int)
    /// `acked`: the primary received an `ack`.
    case acked(stream: Int, sn: Int)
    /// `commit`: the client's write `lsn` is acknowledged.
    case commit(lsn: Int)
    /// `takeover`: the secondary serves the primary's clients.
    case takeover

    // MARK: driver
    /// `submit`: request `id` on interface `iface` writes `len` bytes at `off`.
    case submit(iface: Int, id: Int, off: Int, len: Int, deps: [Int])
    /// `stage`: the request's bytes are in staging region `region`.
    case stage(id: Int, region: Int)
    /// `complete`: the asynchronous completion reached the caller.
    case complete(id: Int)
    /// `durable`: the request is on stable storage.
    case durable(id: Int)
    /// `sync`: the caller of `iface` asks for everything so far to be durable.
    case sync(iface: Int)
    /// `sync_done`: the earliest unfinished sync of `iface` finished.
    case syncDone(iface: Int)
    /// `recovered`: after a crash, the request is part of the recovered state.
    case recovered(id: Int)
    /// `online`: recovery finished.
    case online

    // MARK: recovery
    /// `register`: an accepted registration.
    case register(consumer: String, deps: [String], after: [String], logs: [String])
    /// `reject`: a refused registration.
    case reject(consumer: String, reason: String)
    /// `begin`: the graph is sealed and the run starts.
    case begin
    /// `notify`: the framework tells a consumer to run.
    case notify(consumer: String)
    /// `start`: a worker starts a consumer's action.
    case start(consumer: String)
    /// `tag`: the consumer has `log` still to process.
    case tag(consumer: String, log: String)
    /// `untag`: the consumer has finished with `log`.
    case untag(consumer: String, log: String)
    /// `process`: the consumer processes `log`.
    case process(consumer: String, log: String)
    /// `end`: the action returned or failed.
    case end(consumer: String, ok: Bool, reason: String?)
    /// `observe`: the framework saw a worker's `end`.
    case observe(consumer: String)
    /// `skip`: not run because a hard dependency failed or was skipped.
    case skip(consumer: String)
    /// `done`: every consumer has ended or was skipped.
    case done(ok: Bool)

    // MARK: shared
    /// `crash`: the node lost power.
    case crash

    /// The event name as written in a trace (`ev`).
    public var name: String {
        switch self {
        case .append: "append"
        case .assign: "assign"
        case .path: "path"
        case .send: "send"
        case .recv: "recv"
        case .apply: "apply"
        case .drop: "drop"
        case .ack: "ack"
        case .acked: "acked"
        case .commit: "commit"
        case .takeover: "takeover"
        case .submit: "submit"
        case .stage: "stage"
        case .complete: "complete"
        case .durable: "durable"
        case .sync: "sync"
        case .syncDone: "sync_done"
        case .recovered: "recovered"
        case .online: "online"
        case .register: "register"
        case .reject: "reject"
        case .begin: "begin"
        case .notify: "notify"
        case .start: "start"
        case .tag: "tag"
        case .untag: "untag"
        case .process: "process"
        case .end: "end"
        case .observe: "observe"
        case .skip: "skip"
        case .done: "done"
        case .crash: "crash"
        }
    }
}

/// One line of a trace: who recorded what, when, and what caused it.
///
/// Mind its size (112 bytes) before adding a field: every event is moved from reader to
/// checker several times. Holding the first cause inline (136 bytes, or 121 with the
/// location packed) made `plumb check --engine graph` take 1.29x the CPU, mostly in
/// `memmove`, though it saved an allocation per event with a cause.
public struct TraceEvent: Sendable, Equatable {
    /// The node that recorded the event.
    public var node: String
    /// The node's own counter: strictly increasing along the node's lines.
    public var seq: Int
    /// The node's clock in nanoseconds; informational only, never used for ordering.
    public var t: Int?
    /// Events that happened before this one (a message received, a notification acted on).
    public var causes: [EventID]
    /// The event name and its fields.
    public var kind: EventKind
    /// Where the event was read from; `.none` for events made in memory.
    public var location: SourceLocation

    /// Makes an event.
    public init(
        node: String, seq: Int, kind: EventKind, causes: [EventID] = [], t: Int? = nil,
        location: SourceLocation = .none
    ) {
        self.node = node
        self.seq = seq
        self.t = t
        self.causes = causes
        self.kind = kind
        self.location = location
    }

    /// The name other events use to cite this one.
    public var id: EventID { EventID(node: node, seq: seq) }
}
