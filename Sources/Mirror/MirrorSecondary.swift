import Trace

/// The secondary controller's core: applies each stream strictly in order whatever order the
/// paths deliver in, honours barriers, drops duplicates, acknowledges cumulatively, and takes
/// over when the primary is gone.
///
/// A deterministic value type with no I/O: `handle(_:)` takes one input and returns the actions
/// a runtime carries out in order; trace events come back as `.record` actions placed before the
/// effects they cause (an `ack` is recorded before its message is sent).
///
/// Semantics, in short:
/// - An entry is received (`recv`, caused by the primary's `send`), then held in its stream's
///   reorder buffer until every earlier sn of the stream and every dep is applied; then it is
///   applied (`apply`, and a `.persist` of the record for the secondary's copy of the log).
/// - A copy of an entry already applied or already buffered is dropped (`drop`). A copy of an
///   applied entry is answered with the stream's cumulative ack again: the primary resends after
///   a path failure, and the first ack may have been lost with that path.
/// - Each stream that advanced while handling one message is acknowledged once, up to its
///   greatest applied sn, on the path its latest entry came in on (if that path fails, the
///   primary resends what went out on it, and the copies are acknowledged again).
/// - `.takeover` raises the epoch: from then on, and for any sender of an older epoch, entries
///   are refused (`x-fence` note, `fenced` reply) and never applied: a stale primary cannot
///   overwrite the partner.
public struct MirrorSecondary: Sendable {
    /// One input to the core.
    public enum Input: Sendable, Equatable {
        /// A message arrived on a path.
        case arrived(path: Int, MirrorMessage)
        /// The path is connected and authenticated.
        case pathUp(Int)
        /// The path's connection closed or failed.
        case pathDown(Int)
        /// The controller loses power.
        case crash
        /// The primary is gone: serve its clients from this copy of the log.
        case takeover
    }

    /// What the runtime must do, in order.
    public enum Action: Sendable, Equatable {
        /// Record this trace event.
        case record(TraceEvent)
        /// Record this `x-` note.
        case note(MirrorNote)
        /// Write this message on the path.
        case send(path: Int, MirrorMessage)
        /// Make this applied record durable in the secondary's copy of the log.
        case persist(MirrorRecord)
        /// The secondary now serves the clients, at this epoch.
        case tookOver(epoch: Int)
    }

    /// How the secondary is doing.
    public enum Mode: Sendable, Equatable {
        /// Receiving and applying the primary's log.
        case mirroring
        /// Took over: serves clients and refuses every entry.
        case serving
        /// Lost power.
        case crashed
    }

    /// One stream: how far it is applied, and what waits in its reorder buffer.
    struct Stream: Sendable {
        var applied = 0
        var buffer: [Int: MirrorEntryMessage] = [:]
        /// The path its latest entry arrived on: its acks go back that way.
        var lastPath = 0
    }

    /// The current epoch: entries of an older one are refused.
    public internal(set) var epoch: Int
    /// The current mode.
    public internal(set) var mode: Mode = .mirroring
    /// Entries applied.
    public internal(set) var appliedCount = 0
    /// Duplicates dropped.
    public internal(set) var droppedCount = 0
    /// Deliberate bugs for the explorer's tests; none by default.
    package var faults = MirrorSecondaryFaults()

    var seq = 0
    var streams: [Int: Stream] = [:]
    /// The stream numbers seen, sorted, so that every scan over streams is in a fixed order.
    var streamIDs: [Int] = []
    var pathIsUp: [Int: Bool] = [:]

    /// Makes a secondary that accepts entries of generation `epoch` or newer.
    public init(epoch: Int = 1) {
        self.epoch = epoch
    }

    /// The greatest sn of `stream` applied so far (0: none).
    package func applied(stream: Int) -> Int { streams[stream]?.applied ?? 0 }

    /// Entries received and waiting in reorder buffers.
    package var buffered: Int { streams.values.reduce(0) { $0 + $1.buffer.count } }

    /// Takes one input and returns what to do, in order.
    public mutating func handle(_ input: Input) -> [Action] {
        var out: [Action] = []
        guard mode != .crashed else { return out }
        switch input {
        case let .arrived(path, .entry(entry)):
            arrived(path: path, entry, &out)
        case .arrived:
            // Acks and fences go the other way.
            break
        case let .pathUp(path), let .pathDown(path):
            let up = input == .pathUp(path)
            guard pathIsUp[path] != up else { break }
            pathIsUp[path] = up
            out.append(.record(event(.path(path: path, up: up))))
        case .crash:
            mode = .crashed
            out.append(.record(event(.crash)))
        case .takeover:
            guard mode == .mirroring else { break }
            mode = .serving
            epoch += 1
            out.append(.record(event(.takeover)))
            out.append(.tookOver(epoch: epoch))
        }
        return out
    }

    /// The next event of this node.
    mutating func event(_ kind: EventKind, causes: [EventID] = []) -> TraceEvent {
        seq += 1
        return TraceEvent(node: MirrorNode.secondary, seq: seq, kind: kind, causes: causes)
    }

    /// The next `x-` note of this node.
    mutating func note(_ name: String, _ fields: [MirrorNote.Field]) -> MirrorNote {
        seq += 1
        return MirrorNote(node: MirrorNode.secondary, seq: seq, name: name, fields: fields)
    }
}
