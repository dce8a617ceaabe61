import Z3

/// Stops a running check from another thread (the CLI's answer to SIGINT and SIGTERM).
///
/// **Thread-safe**: `cancel()` may be called from any thread. Once cancelled, the replay stops
/// within a few thousand events, queued solver batches are dropped, and every Z3 query (running
/// or not yet started) ends at once as unknown; the report returned is marked `interrupted`
/// and must not be taken as a verdict.
public final class CheckCancellation: Sendable {
    /// The cancellation every Z3 context of the check obeys.
    let solver = Z3Cancellation()

    /// Makes a cancellation that has not been cancelled.
    public init() {}

    /// Whether `cancel()` was called.
    public var isCancelled: Bool { solver.isCancelled }

    /// Cancels the check; calling it again does nothing more.
    public func cancel() { solver.cancel() }
}
