/// Why a whole-controller run or one of its recovery consumers failed.
package enum ControllerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A write the primary acknowledged is missing from the secondary's rebuilt log, or differs.
    case lostCommit(lsn: Int)
    /// After recovery the device does not hold the value the secondary serves for a key.
    case mismatch(key: UInt64, offset: Int)
    /// A consumer ran before the one it needs had left its result.
    case missing(String)

    /// For people.
    package var description: String {
        switch self {
        case let .lostCommit(lsn): "committed record lsn \(lsn) is missing from the secondary's rebuilt log, or differs"
        case let .mismatch(key, offset):
            "key \(key): the device at offset \(offset) does not hold the value the secondary serves"
        case let .missing(what): "\(what) is not available"
        }
    }
}
