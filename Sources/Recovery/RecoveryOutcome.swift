/// How a run that reached `done` ended: who succeeded, failed or was skipped, and which
/// registrations were refused. Lists are in registration order.
public struct RecoveryOutcome: Sendable, Equatable {
    /// A consumer that failed and why (the error's description, or `"timeout"`).
    public struct Failure: Sendable, Equatable {
        /// The consumer.
        public var consumer: String
        /// Why it failed.
        public var reason: String

        /// Makes a failure.
        package init(consumer: String, reason: String) {
            self.consumer = consumer
            self.reason = reason
        }
    }

    /// The run, from 1.
    public var run: Int
    /// Consumers whose action returned.
    public var succeeded: [String] = []
    /// Consumers whose action threw or timed out.
    public var failed: [Failure] = []
    /// Consumers not run because a hard dependency failed or was skipped.
    public var skipped: [String] = []
    /// Refused registrations.
    public var rejected: [RegistrationError] = []

    /// Makes an empty outcome of `run`.
    package init(run: Int) { self.run = run }

    /// Whether no consumer failed (what `done` records as `ok`). Refused registrations do not
    /// count: they were reported when recovery began.
    public var ok: Bool { failed.isEmpty }
}
