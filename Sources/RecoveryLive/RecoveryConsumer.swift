import Recovery

/// A recovery consumer as the live runtime runs it: its registration and its action.
///
/// The action is `async` and waits by suspending (Swift's pool has one thread per core). It
/// may be run again by a later run after a crash, so it must be safe to repeat. It should honour
/// cancellation: past its timeout it is cancelled and abandoned, and whatever it does later is
/// not recorded. The consumers that recover the driver and the mirror plug in here as ordinary
/// `RecoveryConsumer` values.
public struct RecoveryConsumer: Sendable {
    /// The consumer's action: returns when its part of recovery is done, throws when it failed.
    public typealias Action = @Sendable (RecoveryContext) async throws -> Void

    /// Its name and what it waits for.
    public var registration: ConsumerRegistration
    /// What it does.
    public var action: Action

    /// Makes a consumer; see `ConsumerRegistration` for the meaning of each list.
    public init(
        _ name: String, deps: [String] = [], after: [String] = [], logs: [String] = [],
        timeout: Duration? = nil, action: @escaping Action
    ) {
        registration = ConsumerRegistration(name, deps: deps, after: after, logs: logs, timeout: timeout)
        self.action = action
    }

    /// The consumer's name.
    public var name: String { registration.name }
}

/// What a running action can ask of the framework: tag, untag and process logs.
///
/// A value handed to each action; safe to use from any task. Once the consumer was abandoned
/// (timed out, or its run crashed) every call is ignored and `process` throws
/// `CancellationError`.
public struct RecoveryContext: Sendable {
    /// The execution this context belongs to.
    public let ticket: Ticket
    let runtime: LiveRecovery

    /// The consumer's name.
    public var consumer: String { ticket.consumer }

    /// Says the consumer has `log` still to process: consumers with it in their `logs` wait
    /// for the untag (or the end) before processing `log`. Throws when the log was untagged
    /// already (dependents may have processed it).
    public func tag(_ log: String) throws(RecoveryUsageError) {
        if let error = runtime.feed(.tag(ticket, log: log)).first { throw error }
    }

    /// Says the consumer has finished with `log`: dependents may process it now.
    public func untag(_ log: String) {
        _ = runtime.feed(.untag(ticket, log: log))
    }

    /// Waits until every consumer this one has in `logs` has released `log`, and records that
    /// this one processes it. Throws `CancellationError` when the consumer is abandoned first.
    public func process(_ log: String) async throws {
        try await runtime.awaitProcess(ticket, log)
    }
}

/// A consumer's action exceeded its timeout.
public struct ConsumerTimedOut: Error, Sendable, CustomStringConvertible {
    /// The consumer.
    public var consumer: String
    /// Its timeout.
    public var timeout: Duration

    /// `consumer "x" exceeded its timeout of 1.0 seconds`.
    public var description: String { "consumer \"\(consumer)\" exceeded its timeout of \(timeout)" }
}

/// How a live run ended.
public struct RecoveryReport: Sendable {
    /// The run, from 1.
    public var run: Int
    /// Who succeeded, failed and was skipped; nil when the run crashed.
    public var outcome: RecoveryOutcome?
    /// Each failed consumer with the error its action threw (or `ConsumerTimedOut`), in
    /// registration order.
    public var errors: [(consumer: String, error: any Error)] = []

    /// Whether the run crashed before `done`.
    public var crashed: Bool { outcome == nil }
}
