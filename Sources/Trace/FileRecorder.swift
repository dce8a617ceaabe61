import SystemPackage

/// Records events to a trace file: the header first, then one line per event.
///
/// Lines are encoded into an in-memory buffer and written when it exceeds `bufferLimit`
/// (256 KiB by default), on `flush()` and on `close()`; never one write per event. `flush()`
/// hands every line recorded so far to the operating system, so a simulated crash handler can
/// call it and lose nothing (it does not `fsync`: that guards against power loss, not crashes).
///
/// Thread-safe: every method takes one lock, so lines of concurrent `record` calls never mix
/// and appear in the order the calls took the lock. The first write error is kept: later
/// events are dropped and `close()` throws it.
public final class FileRecorder: TraceRecorder {
    /// The default buffer size that triggers a write: 256 KiB.
    public static let defaultBufferLimit = 256 << 10

    /// The file's path, as given.
    public let path: String
    /// The header written first.
    public let header: TraceHeader

    private struct State {
        var fd: FileDescriptor?
        var buffer: [UInt8] = []
        var error: Errno?
    }

    private let state: Locked<State>
    private let bufferLimit: Int

    /// Creates (or truncates) the file at `path` and writes the header, with `meta` if given.
    ///
    /// Throws the `Errno` of a failed open or header write.
    public init(
        path: String, system: TraceSystem, meta: [String: String]? = nil,
        bufferLimit: Int = FileRecorder.defaultBufferLimit
    ) throws(Errno) {
        self.path = path
        self.header = TraceHeader(system: system)
        self.bufferLimit = max(bufferLimit, 1)
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(
                FilePath(path), .writeOnly, options: [.create, .truncate],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw (error as? Errno) ?? .ioError
        }
        var buffer: [UInt8] = []
        TraceEncoder.append(header, meta: meta, to: &buffer)
        state = Locked(State(fd: fd, buffer: buffer))
        // The header goes out at once: the file is a valid trace even if nothing follows.
        flush()
        if let error = state.withLock({ $0.error }) {
            try? fd.close()
            throw error
        }
    }

    deinit {
        try? close()
    }

    /// Appends the event's line to the buffer, writing the buffer out once it is full.
    ///
    /// Dropped after `close()` or after a write error.
    public func record(_ event: TraceEvent) {
        state.withLock { state in
            guard state.fd != nil, state.error == nil else { return }
            TraceEncoder.append(event, to: &state.buffer)
            if state.buffer.count >= bufferLimit { Self.writeOut(&state) }
        }
    }

    /// Appends an `x-` event's line, like `record(_:)`.
    public func record(extension event: ExtensionEvent) {
        state.withLock { state in
            guard state.fd != nil, state.error == nil else { return }
            TraceEncoder.append(extension: event, to: &state.buffer)
            if state.buffer.count >= bufferLimit { Self.writeOut(&state) }
        }
    }

    /// Writes every buffered line to the file.
    public func flush() {
        state.withLock { Self.writeOut(&$0) }
    }

    /// Flushes and closes the file; throws the first write (or close) error, if any.
    ///
    /// Closing twice is harmless; events recorded afterwards are dropped.
    public func close() throws(Errno) {
        let error: Errno? = state.withLock { state in
            Self.writeOut(&state)
            if let fd = state.fd {
                state.fd = nil
                do {
                    try fd.close()
                } catch {
                    if state.error == nil { state.error = (error as? Errno) ?? .ioError }
                }
            }
            return state.error
        }
        if let error { throw error }
    }

    /// Writes the buffer (holding the lock); on failure keeps the error and drops the bytes.
    private static func writeOut(_ state: inout State) {
        guard let fd = state.fd, !state.buffer.isEmpty else { return }
        if state.error == nil {
            do {
                _ = try state.buffer.withUnsafeBytes { try fd.writeAll($0) }
            } catch {
                state.error = (error as? Errno) ?? .ioError
            }
        }
        state.buffer.removeAll(keepingCapacity: true)
    }
}
