import Trace

/// The node names the `mirror` trace format allows.
package enum MirrorNode {
    /// The controller that owns the caching log and acknowledges clients.
    package static let primary = "primary"
    /// The failover partner that keeps a copy of the log.
    package static let secondary = "secondary"
}

/// One log entry as it travels from the primary to the secondary.
///
/// It carries everything the secondary needs to apply and persist the record, plus the seq of
/// the primary's `send` event so that the secondary's `recv` can name it as its cause.
public struct MirrorEntryMessage: Sendable, Equatable {
    /// The sender's generation: the secondary refuses entries of an older one (fencing).
    public var epoch: Int
    /// The seq of the primary's `send` event of this copy of the entry.
    public var sendSeq: Int
    /// The record's log sequence number.
    public var lsn: Int
    /// The client's key (a volume or file id); the secondary serves reads by it after takeover.
    public var key: UInt64
    /// The stream and position of the entry.
    public var entry: StreamEntry
    /// Entries of other streams that must be applied first (a barrier).
    public var deps: [StreamEntry]
    /// The client's data.
    public var payload: [UInt8]

    /// Makes an entry message.
    public init(
        epoch: Int, sendSeq: Int, lsn: Int, key: UInt64, entry: StreamEntry, deps: [StreamEntry],
        payload: [UInt8]
    ) {
        self.epoch = epoch
        self.sendSeq = sendSeq
        self.lsn = lsn
        self.key = key
        self.entry = entry
        self.deps = deps
        self.payload = payload
    }
}

/// What the two controllers say to each other over a path, once the path is authenticated.
public enum MirrorMessage: Sendable, Equatable {
    /// Primary to secondary: one log entry.
    case entry(MirrorEntryMessage)
    /// Secondary to primary: every entry of `stream` up to `sn` is applied; `ackSeq` is the seq
    /// of the secondary's `ack` event, which the primary's `acked` names as its cause.
    case ack(epoch: Int, stream: Int, sn: Int, ackSeq: Int)
    /// Secondary to a stale primary: the partner runs at `epoch` now; stop.
    case fenced(epoch: Int)
}

/// A record the secondary applied, for its own copy of the log.
public struct MirrorRecord: Sendable, Equatable {
    /// The record's log sequence number.
    public var lsn: Int
    /// The client's key.
    public var key: UInt64
    /// The stream and position of the entry.
    public var entry: StreamEntry
    /// The client's data.
    public var payload: [UInt8]

    /// Makes a record.
    public init(lsn: Int, key: UInt64, entry: StreamEntry, payload: [UInt8]) {
        self.lsn = lsn
        self.key = key
        self.entry = entry
        self.payload = payload
    }
}

/// An `x-` event: something a node did that the trace format has no event for (a fenced
/// primary's attempts, a refused stale frame). Checkers drop these lines; people read them.
public typealias MirrorNote = ExtensionEvent
