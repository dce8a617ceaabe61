/// What went wrong in the live mirror.
public enum MirrorLiveError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A path's connection closed before its handshake finished (refused, wrong key, timeout).
    case handshakeFailed(path: Int, reason: String)
    /// Every path is down: the primary is degraded and stops acknowledging clients.
    case degraded(unacknowledged: Int)
    /// The secondary stopped before it took over.
    case stoppedWithoutTakeover
    /// The secondary did not take over within the time allowed.
    case takeoverTimedOut(seconds: Int)
    /// The node is not in a state to do this.
    case notRunning(String)

    /// A sentence for the operator.
    public var description: String {
        switch self {
        case let .handshakeFailed(path, reason): "path \(path): handshake failed: \(reason)"
        case let .degraded(count): "every path is down: degraded, \(count) writes not acknowledged"
        case .stoppedWithoutTakeover: "the secondary stopped without taking over"
        case let .takeoverTimedOut(seconds): "the secondary did not take over within \(seconds) s"
        case let .notRunning(what): "not running: \(what)"
        }
    }
}
