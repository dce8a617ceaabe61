import Trace

extension MirrorSimulation {
    /// The message at the head of a path's queue, as a delivery choice names it.
    package enum Message: Hashable, Sendable, CustomStringConvertible {
        /// An entry of `(stream, sn)`.
        case entry(StreamEntry)
        /// A cumulative ack of a stream up to an sn.
        case ack(StreamEntry)
        /// The secondary's refusal of a stale primary.
        case fenced

        /// `entry (1,2)`, `ack (0,1)`, `fenced`.
        package var description: String {
            switch self {
            case .entry(let entry): "entry \(entry)"
            case .ack(let entry): "ack \(entry)"
            case .fenced: "fenced"
            }
        }
    }

    /// One step the simulated runtime can take. Equal choices are the same transition in any
    /// state where they are enabled: a delivery names its path and the message at the head of
    /// the path's queue (only a delivery on that queue changes its head).
    package enum Choice: Hashable, Sendable, CustomStringConvertible {
        /// The head of the path's queue towards the secondary arrives there.
        case deliverToSecondary(path: Int, Message)
        /// The head of the path's queue towards the primary arrives there.
        case deliverToPrimary(path: Int, Message)
        /// The client writes record `lsn` (the next one) to the primary.
        case write(lsn: Int)
        /// The primary sees the connection of a failed path closed.
        case primaryNoticesDown(path: Int)
        /// The secondary sees the connection of a failed path closed.
        case secondaryNoticesDown(path: Int)
        /// The path's connection breaks: what is in flight on it, either way, is lost.
        case fail(path: Int)
        /// The primary redials a failed path: the secondary authenticates the new connection
        /// (dropping the old one if it had not seen it close), then the primary.
        case comeBack(path: Int)
        /// Every path is down at the secondary: it takes over.
        case takeover
        /// The primary loses power; its connections break.
        case crashPrimary
        /// The secondary loses power; its connections break.
        case crashSecondary

        /// For people: `deliver entry (1,2) on path 0 to the secondary`, `path 1 fails`, ...
        package var description: String {
            switch self {
            case let .deliverToSecondary(path, message): "deliver \(message) on path \(path) to the secondary"
            case let .deliverToPrimary(path, message): "deliver \(message) on path \(path) to the primary"
            case .write(let lsn): "the client writes lsn \(lsn)"
            case .primaryNoticesDown(let path): "the primary sees path \(path) down"
            case .secondaryNoticesDown(let path): "the secondary sees path \(path) down"
            case .fail(let path): "path \(path) fails"
            case .comeBack(let path): "path \(path) comes back"
            case .takeover: "the secondary takes over"
            case .crashPrimary: "the primary crashes"
            case .crashSecondary: "the secondary crashes"
            }
        }
    }
}
