/// Where a running system records its trace: passed in like a logger, never global.
///
/// Implementations are thread-safe: `record` and `flush` may be called from any thread.
public protocol TraceRecorder: Sendable {
    /// Records one event (its `location` is not written).
    func record(_ event: TraceEvent)
    /// Records one `x-` event, which the checker ignores.
    func record(extension event: ExtensionEvent)
    /// Makes everything recorded so far survive a simulated crash of the recording process
    /// (for a file: hands it to the operating system).
    func flush()
}

/// Keeps recorded events in memory, in the order `record` was called.
///
/// Thread-safe: every method takes a lock, so concurrent `record` calls are all kept (in the
/// order they took the lock).
public final class MemoryRecorder: TraceRecorder {
    private let storage = Locked<[TraceEvent]>([])
    private let extensions = Locked<[ExtensionEvent]>([])

    /// Makes an empty recorder.
    public init() {}

    /// Appends `event`.
    public func record(_ event: TraceEvent) {
        storage.withLock { $0.append(event) }
    }

    /// Appends an `x-` event (kept apart: it is not a `TraceEvent`).
    public func record(extension event: ExtensionEvent) {
        extensions.withLock { $0.append(event) }
    }

    /// A copy of the `x-` events recorded so far.
    public var extensionEvents: [ExtensionEvent] {
        extensions.withLock { $0 }
    }

    /// Nothing to do: memory holds everything already.
    public func flush() {}

    /// A copy of the events recorded so far.
    public var events: [TraceEvent] {
        storage.withLock { $0 }
    }

    /// Forgets every event recorded so far.
    public func removeAll() {
        storage.withLock { $0.removeAll() }
        extensions.withLock { $0.removeAll() }
    }
}

/// Takes every event and keeps none: a run without the recording's cost, for benchmarks.
///
/// Thread-safe: it has no state.
public final class DiscardingRecorder: TraceRecorder {
    /// Makes a recorder that keeps nothing.
    public init() {}
    /// Drops `event`.
    public func record(_ event: TraceEvent) {}
    /// Drops `event`.
    public func record(extension event: ExtensionEvent) {}
    /// Nothing to flush.
    public func flush() {}
}
