#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// Records events to a trace file: the header first, then one line per event.
///
/// With `partialUntilFinished`, lines go to `path + ".partial"` and `finish()` renames that file
/// to `path`: a file under `path` is then always a whole recording, and one cut short (a crash, a
/// kill, an interrupt) keeps the `.partial` name that `plumb check DIR` skips. Lines are written
/// whole (the buffer holds whole lines), so a cut leaves at most a causeless tail.
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

    /// The file's path, as given: where the recording is once finished.
    public let path: String
    /// Where lines are written until `finish()`: `path`, or `path + ".partial"`.
    public let writingPath: String
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
    /// With `partialUntilFinished`, removes a file left at `path` by an earlier recording (so
    /// that it is not taken for this one) and writes to `path + ".partial"` until `finish()`.
    ///
    /// Throws the `Errno` of a failed open or header write.
    public init(
        path: String, system: TraceSystem, meta: [String: String]? = nil,
        bufferLimit: Int = FileRecorder.defaultBufferLimit, partialUntilFinished: Bool = false
    ) throws(Errno) {
        self.path = path
        writingPath = partialUntilFinished ? path + ".partial" : path
        self.header = TraceHeader(system: system)
        self.bufferLimit = max(bufferLimit, 1)
        if partialUntilFinished, unlink(path) != 0, errno != ENOENT { throw Errno(rawValue: errno) }
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(
                FilePath(writingPath), .writeOnly, options: [.create, .truncate],
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

    /// Closes the file (see `close()`) and gives the recording its final name, `path`: the
    /// recording is whole. Throws the first write, close or rename error; after an error the
    /// file keeps its `.partial` name.
    public func finish() throws(Errno) {
        try close()
        guard writingPath != path else { return }
        if rename(writingPath, path) != 0 { throw Errno(rawValue: errno) }
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
