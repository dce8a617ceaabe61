extension RecoverySimulation {
    /// One thing that can happen next. Consumers are numbered in registration order (`c0` is 0).
    /// A choice names what happens, not when: the same choice in two states is the same
    /// transition (each consumer tags, untags or processes a given log at most once per run).
    package enum Choice: Sendable, Hashable, CustomStringConvertible {
        /// The consumer's action tags its own log.
        case tag(consumer: Int)
        /// The consumer's action untags its own log.
        case untag(consumer: Int)
        /// The consumer's action asks to process the log of consumer `log`, and waits for the
        /// framework's go-ahead (which may come in this step or a later one).
        case process(consumer: Int, log: Int)
        /// The consumer's action returns, throws, or outlives its timeout.
        case end(consumer: Int, Ending)
        /// The framework loses power; a new run then registers the same consumers and begins.
        case crash

        /// The consumer the choice belongs to; nil for a crash.
        package var consumer: Int? {
            switch self {
            case let .tag(c), let .untag(c), let .process(c, _), let .end(c, _): c
            case .crash: nil
            }
        }

        /// `c1 tags c1.log`, `c3 processes c0.log`, `c2 fails`, `the framework crashes`, ...
        package var description: String {
            switch self {
            case let .tag(c): "c\(c) tags \(RecoverySimulation.logName(of: c))"
            case let .untag(c): "c\(c) untags \(RecoverySimulation.logName(of: c))"
            case let .process(c, log): "c\(c) processes \(RecoverySimulation.logName(of: log))"
            case let .end(c, .ok): "c\(c) ends ok"
            case let .end(c, .failed): "c\(c) fails"
            case let .end(c, .timeout): "c\(c) times out"
            case .crash: "the framework crashes"
            }
        }
    }

    /// How a running consumer's action ends.
    package enum Ending: Sendable, Hashable {
        /// It returns, once its steps are done.
        case ok
        /// It throws, at any step it is not waiting in (uses up one failure).
        case failed
        /// Its timeout fires, even while it waits (uses up one failure; only a consumer with a
        /// timeout).
        case timeout
    }
}
