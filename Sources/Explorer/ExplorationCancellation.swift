import Trace

/// Stops a running exploration from another thread (the CLI's answer to SIGINT and SIGTERM).
///
/// **Thread-safe**: `cancel()` may be called from any thread; the flag is behind a lock. The
/// search threads look at it at their checkpoints (every few dozen steps), stop, and the
/// report says `interrupted`; counterexamples found so far are kept, not shrunk.
package final class ExplorationCancellation: Sendable {
    private let flag = Locked(false)

    /// Makes a cancellation that has not been cancelled.
    package init() {}

    /// Whether `cancel()` was called.
    package var isCancelled: Bool { flag.withLock { $0 } }

    /// Cancels the exploration; calling it again does nothing more.
    package func cancel() { flag.withLock { $0 = true } }
}
