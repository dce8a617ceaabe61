/// What a recovery consumer declares when it registers: its name and what it waits for.
///
/// The core never sees a consumer's action: it only names consumers and tells the runtime which
/// one to start on which worker. The runtime keeps the actions (see `RecoveryLive`), so the same
/// graph can be walked by the live runtime or by a simulated one.
public struct ConsumerRegistration: Sendable, Equatable {
    /// The consumer's name, unique in a run.
    public var name: String
    /// Hard dependencies: consumers that must have succeeded before this one starts. If one of
    /// them fails or is skipped, this one is skipped.
    public var deps: [String]
    /// Soft ordering: consumers that must have finished (succeeded, failed or been skipped)
    /// before this one starts, whatever their outcome.
    public var after: [String]
    /// Per-log dependencies: this consumer processes a log only once each of these consumers
    /// has untagged it or ended. It starts as soon as each of them has started (so that it can
    /// never hold a worker while waiting for one that has none), not when they end.
    public var logs: [String]
    /// How long the action may run before the framework records it as timed out and abandons
    /// it; `nil` for no limit.
    public var timeout: Duration?

    /// Makes a registration; every list defaults to empty and the timeout to none.
    public init(
        _ name: String, deps: [String] = [], after: [String] = [], logs: [String] = [],
        timeout: Duration? = nil
    ) {
        self.name = name
        self.deps = deps
        self.after = after
        self.logs = logs
        self.timeout = timeout
    }
}

/// Names one execution of a consumer's action: the run it belongs to and the consumer.
///
/// Every input a running consumer causes (its end, its tags, its log requests) carries its
/// ticket, so that the core can drop what an abandoned consumer, or one of a crashed run, does
/// later: nothing of it is recorded.
public struct Ticket: Hashable, Sendable, CustomStringConvertible {
    /// The run, from 1; a crash or a finished run makes the next registration open the next run.
    public var run: Int
    /// The consumer.
    public var consumer: String

    /// Makes a ticket.
    package init(run: Int, consumer: String) {
        self.run = run
        self.consumer = consumer
    }

    /// `consumer@run`.
    public var description: String { "\(consumer)@\(run)" }
}
