import Trace

/// The primary controller's core: a caching log parsed into streams, streams spread over
/// interconnect paths, and client writes committed only once the secondary acknowledged them.
///
/// A deterministic value type with no I/O: `handle(_:)` takes one input and returns the actions
/// a runtime carries out in order. Trace events come back as `.record` actions placed before the
/// effects they cause (a `send` is recorded before its `.send`), so a runtime that performs the
/// actions in order never lets an effect leave the node before its event.
///
/// Semantics, in short:
/// - A write gets the next lsn and goes to stream `key % streams` as that stream's next sn.
///   Its deps name earlier lsns; deps on the same stream are implied by stream order and left
///   out, deps on committed records are already applied at the secondary and left out too.
/// - Every stream is assigned to one live path; paths are kept balanced (loads differ by at most
///   one). When a path goes down its streams move to live paths and every unacknowledged entry
///   last sent on it is sent again; when a path comes up it takes streams again.
/// - With every path down the primary is degraded: writes are logged but not committed, and a
///   `.degraded(true)` action says so, once.
/// - After `.crash` the primary does nothing. After `.restart` it is a stale node: it records
///   only `x-` notes, tries to resend its log with its old epoch, never commits, and stops for
///   good when the partner answers `fenced`.
public struct MirrorPrimary: Sendable {
    /// A client's write.
    public struct Write: Sendable, Equatable {
        /// The volume or file id: the same key always goes to the same stream.
        public var key: UInt64
        /// The data.
        public var payload: [UInt8]
        /// Earlier lsns (of other streams) that must be applied first: a barrier.
        public var deps: [Int]

        /// Makes a write.
        public init(key: UInt64, payload: [UInt8], deps: [Int] = []) {
            self.key = key
            self.payload = payload
            self.deps = deps
        }
    }

    /// One input to the core.
    public enum Input: Sendable, Equatable {
        /// A client write.
        case write(Write)
        /// A message arrived on a path.
        case arrived(path: Int, MirrorMessage)
        /// The path is connected and authenticated.
        case pathUp(Int)
        /// The path's connection closed or failed.
        case pathDown(Int)
        /// The controller loses power.
        case crash
        /// The controller boots again after a crash, with its caching log (NVRAM) intact.
        case restart
    }

    /// What the runtime must do, in order.
    public enum Action: Sendable, Equatable {
        /// Record this trace event.
        case record(TraceEvent)
        /// Record this `x-` note.
        case note(MirrorNote)
        /// Write this message on the path.
        case send(path: Int, MirrorMessage)
        /// Tell the client its write `lsn` is mirrored.
        case commit(lsn: Int)
        /// Every path is down (`true`): clients are not acknowledged; or a path is back (`false`).
        case degraded(Bool)
        /// The write was refused.
        case rejected(MirrorPrimaryError)
        /// The partner runs at a newer epoch: this primary is stale and stopped for good.
        case fenced(epoch: Int)
    }

    /// How the primary is doing.
    public enum Mode: Sendable, Equatable {
        /// Mirroring and committing.
        case running
        /// Lost power.
        case crashed
        /// Booted after a crash, not yet answered by the partner: records only notes.
        case rejoining
        /// Fenced off by the partner: does nothing more.
        case fenced
    }

    /// Counters for the summary; deterministic, like the rest of the core.
    public struct Stats: Sendable, Equatable {
        /// Entry sends per path (first sends and resends).
        public var sentPerPath: [Int]
        /// Sends of an entry that had been sent before.
        public var resent = 0
        /// Writes logged.
        public var appended = 0
        /// Writes committed.
        public var committed = 0
    }

    /// One unacknowledged entry.
    struct Pending: Sendable {
        var sn: Int
        var lsn: Int
        var key: UInt64
        var deps: [StreamEntry]
        var payload: [UInt8]
        /// The path its latest copy went out on; nil when it still has to be sent.
        var sentOn: Int?
        /// How many times it was sent.
        var sends = 0
    }

    /// One stream: its numbering, its path and its unacknowledged entries.
    struct Stream: Sendable {
        var nextSN = 1
        var path: Int?
        /// Entries acked+1 ..< nextSN, in sn order.
        var pending = PendingQueue<Pending>()
        var acked = 0
        /// How many pending entries have `sentOn == nil`.
        var unsent = 0
    }

    /// The generation this primary runs at; the secondary refuses older ones.
    public let epoch: Int
    /// The current mode.
    public internal(set) var mode: Mode = .running
    /// Whether every path is down.
    package internal(set) var isDegraded = false
    /// The lsn given to the latest accepted write (0 before any).
    public internal(set) var lastLSN = 0
    /// The summary counters.
    public internal(set) var stats: Stats
    /// Deliberate bugs for the explorer's tests; none by default.
    package var faults = MirrorPrimaryFaults()

    var seq = 0
    var streams: [Stream]
    var pathIsUp: [Bool]
    /// Uncommitted lsns and their entries, to resolve deps; changed through
    /// `noteUncommitted(_:_:)` and `noteCommitted(_:)`, which keep `uncommittedDigest`.
    private(set) var uncommitted: [Int: StreamEntry] = [:]
    /// The sum of a hash of each uncommitted lsn with its entry: what the explorer's fingerprint
    /// takes of `uncommitted`, at a cost that does not grow with it (`hash(into:)`).
    private(set) var uncommittedDigest: UInt64 = 0

    /// Makes a primary with `streams` streams and `paths` paths (all down until `.pathUp`),
    /// running at generation `epoch`.
    public init(streams: Int, paths: Int, epoch: Int = 1) {
        precondition(streams >= 1 && paths >= 1, "at least one stream and one path")
        self.epoch = epoch
        self.streams = Array(repeating: Stream(), count: streams)
        self.pathIsUp = Array(repeating: false, count: paths)
        self.stats = Stats(sentPerPath: Array(repeating: 0, count: paths))
    }

    /// The stream a key's records go to.
    func stream(forKey key: UInt64) -> Int { Int(key % UInt64(streams.count)) }

    /// The path each stream is assigned to (nil: none yet).
    package var assignments: [Int?] { streams.map(\.path) }

    /// Unacknowledged entries of all streams.
    public var unacknowledged: Int { streams.reduce(0) { $0 + $1.pending.count } }

    /// Takes one input and returns what to do, in order.
    public mutating func handle(_ input: Input) -> [Action] {
        var out: [Action] = []
        switch (mode, input) {
        case (.crashed, .restart):
            mode = .rejoining
            pathIsUp = pathIsUp.map { _ in false }
            out.append(.note(note("x-restart", [.init("epoch", epoch)])))
        case (.crashed, _), (.fenced, _):
            if case .write = input { out.append(.rejected(.notServing(mode))) }
        case (.rejoining, _):
            rejoin(input, &out)
        case (.running, .write(let write)):
            self.write(write, &out)
        case (.running, .arrived(let path, let message)):
            arrived(path: path, message, &out)
        case (.running, .pathUp(let path)):
            pathUp(path, &out)
        case (.running, .pathDown(let path)):
            pathDown(path, &out)
        case (.running, .crash):
            mode = .crashed
            out.append(.record(event(.crash)))
        case (.running, .restart):
            break
        }
        return out
    }

    /// Logs a write, assigns it to its stream and sends it if the stream's path is up.
    mutating func write(_ write: Write, _ out: inout [Action]) {
        let s = stream(forKey: write.key)
        var deps: [StreamEntry] = []
        for lsn in write.deps {
            guard lsn >= 1, lsn <= lastLSN else {
                out.append(.rejected(.unknownDependency(lsn: lsn, latest: lastLSN)))
                return
            }
            // Committed deps are applied at the secondary already; same-stream ones by order.
            if let dep = uncommitted[lsn], dep.stream != s, !deps.contains(dep) { deps.append(dep) }
        }
        lastLSN += 1
        let sn = streams[s].nextSN
        streams[s].nextSN += 1
        noteUncommitted(lastLSN, StreamEntry(stream: s, sn: sn))
        stats.appended += 1
        out.append(.record(event(.append(lsn: lastLSN, stream: s, sn: sn, deps: deps))))
        streams[s].pending.append(Pending(
            sn: sn, lsn: lastLSN, key: write.key, deps: deps, payload: write.payload))
        streams[s].unsent += 1
        if streams[s].path == nil { rebalance(&out) }
        sendUnsent(stream: s, &out)
        if faults.commitsBeforeAck {
            // test-only fault: the client is acknowledged before the secondary has the record.
            out.append(.record(event(.commit(lsn: lastLSN))))
            out.append(.commit(lsn: lastLSN))
        }
    }

    /// An `ack` commits every entry of its stream up to its sn; `fenced` stops the primary.
    mutating func arrived(path: Int, _ message: MirrorMessage, _ out: inout [Action]) {
        guard pathIsUp.indices.contains(path), pathIsUp[path] else { return }
        switch message {
        case let .ack(_, s, sn, ackSeq):
            guard streams.indices.contains(s), sn > streams[s].acked, sn < streams[s].nextSN else { return }
            out.append(.record(event(
                .acked(stream: s, sn: sn), causes: [EventID(node: MirrorNode.secondary, seq: ackSeq)])))
            while streams[s].acked < sn {
                let done = streams[s].pending.removeFirst()
                streams[s].acked = done.sn
                noteCommitted(done.lsn)
                stats.committed += 1
                out.append(.record(event(.commit(lsn: done.lsn))))
                out.append(.commit(lsn: done.lsn))
            }
        case let .fenced(partnerEpoch):
            guard partnerEpoch > epoch else { return }
            mode = .fenced
            out.append(.note(note("x-fenced", [.init("path", path), .init("epoch", partnerEpoch)])))
            out.append(.fenced(epoch: partnerEpoch))
        case .entry:
            // Only the secondary receives entries.
            break
        }
    }

    /// The next event of this node.
    mutating func event(_ kind: EventKind, causes: [EventID] = []) -> TraceEvent {
        seq += 1
        return TraceEvent(node: MirrorNode.primary, seq: seq, kind: kind, causes: causes)
    }

    /// The next `x-` note of this node.
    mutating func note(_ name: String, _ fields: [MirrorNote.Field]) -> MirrorNote {
        seq += 1
        return MirrorNote(node: MirrorNode.primary, seq: seq, name: name, fields: fields)
    }
}

/// Why the primary refused a write.
public enum MirrorPrimaryError: Error, Sendable, Equatable {
    /// A dep names an lsn that was never logged.
    case unknownDependency(lsn: Int, latest: Int)
    /// The primary is crashed, rejoining or fenced, and takes no writes.
    case notServing(MirrorPrimary.Mode)
}

extension MirrorPrimary {
    /// Records `lsn` as uncommitted, written as `entry`.
    mutating func noteUncommitted(_ lsn: Int, _ entry: StreamEntry) {
        if let old = uncommitted.updateValue(entry, forKey: lsn) { uncommittedDigest &-= Self.digest(lsn, old) }
        uncommittedDigest &+= Self.digest(lsn, entry)
    }

    /// Records `lsn` as committed.
    mutating func noteCommitted(_ lsn: Int) {
        if let old = uncommitted.removeValue(forKey: lsn) { uncommittedDigest &-= Self.digest(lsn, old) }
    }

    /// One uncommitted lsn's term of `uncommittedDigest`.
    private static func digest(_ lsn: Int, _ entry: StreamEntry) -> UInt64 {
        var h = StableHasher()
        h.combine(lsn)
        h.combine(entry.stream, entry.sn)
        return h.value
    }
}
