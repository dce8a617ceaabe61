/// Why a registration was refused. Each refused registration is recorded as `reject` with the
/// error's `description` as its reason.
public enum RegistrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A consumer of that name is already registered in this run (refused at once).
    case duplicate(consumer: String)
    /// The run has begun: its graph is sealed (refused at once).
    case late(consumer: String)
    /// The timeout is zero or negative (refused at once).
    case invalidTimeout(consumer: String, Duration)
    /// `consumer` names `name` (as a dep, after or logs), which was never registered (refused
    /// when the graph is sealed).
    case unknown(consumer: String, name: String)
    /// `consumer` names `name`, whose own registration was refused (refused when sealed).
    case namesRejected(consumer: String, name: String)
    /// `consumer` is on a dependency cycle; `cycle` lists it from `consumer` round to the
    /// consumer whose dependency is `consumer` again (refused when sealed).
    case cycle(consumer: String, cycle: [String])

    /// The consumer whose registration was refused.
    public var consumer: String {
        switch self {
        case let .duplicate(c), let .late(c), let .invalidTimeout(c, _), let .unknown(c, _),
            let .namesRejected(c, _), let .cycle(c, _):
            c
        }
    }

    /// What went wrong, naming the consumer and the name or cycle at fault.
    public var description: String {
        switch self {
        case let .duplicate(c):
            "consumer \"\(c)\" is already registered"
        case let .late(c):
            "consumer \"\(c)\" registers after recovery began; the dependency graph is sealed"
        case let .invalidTimeout(c, timeout):
            "consumer \"\(c)\" has timeout \(timeout); a timeout must be positive"
        case let .unknown(c, name):
            "consumer \"\(c)\" depends on \"\(name)\", which is not registered"
        case let .namesRejected(c, name):
            "consumer \"\(c)\" depends on \"\(name)\", whose registration was rejected"
        case let .cycle(c, cycle):
            "consumer \"\(c)\" is on the dependency cycle \((cycle + [cycle[0]]).joined(separator: " -> "))"
        }
    }
}

/// An input the core refuses because it does not fit the state it is in.
public enum RecoveryUsageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `begin` while a run is already walking its graph.
    case alreadyBegun(run: Int)
    /// A consumer tags a log again after it untagged it: a dependent may already have
    /// processed the log, so the new tag could not be honoured.
    case retagAfterUntag(consumer: String, log: String)

    /// What went wrong.
    public var description: String {
        switch self {
        case let .alreadyBegun(run):
            "run \(run) has already begun"
        case let .retagAfterUntag(c, log):
            "consumer \"\(c)\" tags log \"\(log)\" again after untagging it; dependents may have processed it"
        }
    }
}
