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
/// whole (a buffer holds whole lines), so a cut leaves at most a causeless tail.
///
/// The recording thread does as little as it can: an event of numbers only, by the recorder's
/// node with at most one cause from its usual peer (nearly every event of the mirror and the
/// driver: all but those with `deps`), is copied as 64 bytes of numbers (`TracePackedEvent`)
/// into an in-memory buffer; any other event is encoded there as its line (`TraceEncoder`:
/// bytes, no intermediate strings or objects).
/// When the buffer exceeds `bufferLimit` (256 KiB by default) it is handed whole to a writer
/// thread (`TraceFileWriter`), which turns the packed events into their lines, the same bytes
/// as encoding the events, and writes them; recording goes on into a fresh buffer, so the
/// recording thread neither encodes JSON nor waits for `write(2)`. `flush()` hands every line
/// recorded so far to the operating system and waits until it is written, so a simulated crash
/// handler can call it and lose nothing (it does not `fsync`: that guards against power loss,
/// not crashes).
///
/// Thread-safe: every method takes one lock (a bare pthread mutex around the state, which is
/// reached through a pointer: no closure and no exclusivity check per event), so lines of
/// concurrent `record` calls never mix and appear in the order the calls took the lock; buffers
/// are written in the order they were handed over. The first write error is kept: later events
/// are dropped and `close()` throws it.
public final class FileRecorder: TraceRecorder, @unchecked Sendable {
    /// The default buffer size that triggers a write: 256 KiB.
    public static let defaultBufferLimit = 256 << 10

    /// The file's path, as given: where the recording is once finished.
    public let path: String
    /// Where lines are written until `finish()`: `path`, or `path + ".partial"`.
    public let writingPath: String
    /// The header written first.
    public let header: TraceHeader

    private typealias Chunk = TraceFileWriter.Chunk

    private struct State {
        var fd: FileDescriptor?
        /// The buffer events are packed (or encoded) into (fields of the state, not of the
        /// chunk object, so that an event touches one place).
        var entries: TraceLineWriter
        var error: Errno?
        /// The node openings the lines encoded here use most, encoded once.
        var prefixes = TraceNodePrefixes()
        /// The node whose events are packed: the first event's.
        var node = ""
        /// The node whose causes are packed: the first single cause's.
        var causeNode = ""
        var hasNode = false
        var hasCauseNode = false
    }

    /// The state, guarded by `mutex` (see `locked`).
    private let state: UnsafeMutablePointer<State>
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let bufferLimit: Int
    /// The writer thread: encodes and writes handed-over buffers in order.
    private let writer: TraceFileWriter

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
        // Buffers that may wait for the writer at once (about 2 MiB of them, 2 to 8), and
        // written buffers kept for reuse (at most 4, and no more than the slots): no fresh
        // allocation, and its page faults, per hand-over.
        let slotCount = min(max((2 << 20) / self.bufferLimit, 2), 8)
        if partialUntilFinished, unlink(path) != 0, errno != ENOENT { throw Errno(rawValue: errno) }
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(
                FilePath(writingPath), .writeOnly, options: [.create, .truncate],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw (error as? Errno) ?? .ioError
        }
        do {
            writer = try TraceFileWriter(
                fd: fd, slots: slotCount, spares: min(slotCount, 4), outputCapacity: self.bufferLimit * 3 / 2 + 64 << 10)
        } catch {
            try? fd.close()
            throw error
        }
        var entries = Chunk(capacity: self.bufferLimit + 64 << 10).lend()
        Self.rawLine(in: &entries) { TraceEncoder.write(TraceHeader(system: system), meta: meta, to: &$0) }
        state = .allocate(capacity: 1)
        state.initialize(to: State(fd: fd, entries: entries))
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        // The header goes out at once: the file is a valid trace even if nothing follows.
        flush()
        if locked({ $0.error }) != nil {
            // `close()` stops the writer and closes the file once (`deinit` then finds it
            // closed), and throws the error.
            try close()
        }
    }

    deinit {
        try? close()
        writer.stop()
        state.pointee.entries.base.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` on the state, holding the lock.
    @inline(__always)
    private func locked<R>(_ body: (inout State) -> R) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body(&state.pointee)
    }

    /// Packs the event into the buffer (or appends its line), handing the buffer to the writer
    /// once it is full.
    ///
    /// Dropped after `close()` or after a write error.
    public func record(_ event: TraceEvent) {
        pthread_mutex_lock(mutex)
        let s = state
        if s.pointee.fd != nil, s.pointee.error == nil {
            if !s.pointee.hasNode {
                s.pointee.node = event.node
                s.pointee.hasNode = true
            }
            if !s.pointee.hasCauseNode, event.causes.count == 1 {
                s.pointee.causeNode = event.causes[0].node
                s.pointee.hasCauseNode = true
            }
            if let packed = TracePackedEvent(event, node: s.pointee.node, causeNode: s.pointee.causeNode) {
                s.pointee.entries.reserve(TracePackedEvent.stride)
                UnsafeMutableRawPointer(s.pointee.entries.base + s.pointee.entries.count)
                    .storeBytes(of: packed, as: TracePackedEvent.self)
                s.pointee.entries.count += TracePackedEvent.stride
            } else {
                Self.rawLine(in: &s.pointee.entries) { TraceEncoder.write(event, to: &$0, prefixes: &s.pointee.prefixes) }
            }
            if s.pointee.entries.count >= bufferLimit { handOver(&s.pointee) }
        }
        pthread_mutex_unlock(mutex)
    }

    /// Appends an `x-` event's line, like `record(_:)`.
    public func record(extension event: ExtensionEvent) {
        locked { state in
            guard state.fd != nil, state.error == nil else { return }
            Self.rawLine(in: &state.entries) { TraceEncoder.write(extension: event, to: &$0) }
            if state.entries.count >= bufferLimit { handOver(&state) }
        }
    }

    /// Appends a line that `body` encodes, as an entry of its own: a `rawLine` header, the
    /// line, and padding to 8 bytes.
    private static func rawLine(in entries: inout TraceLineWriter, _ body: (inout TraceLineWriter) -> Void) {
        let headerAt = entries.count
        entries.reserve(TracePackedEvent.stride)
        entries.count += TracePackedEvent.stride
        body(&entries)
        let count = entries.count - headerAt - TracePackedEvent.stride
        let padded = (count + 7) & ~7
        entries.reserve(padded - count)
        entries.count = headerAt + TracePackedEvent.stride + padded
        UnsafeMutableRawPointer(entries.base + headerAt).storeBytes(of: .rawLine(count: count), as: TracePackedEvent.self)
    }

    /// Writes every buffered line to the file, and waits until every buffer handed to the
    /// writer is written.
    public func flush() {
        locked { handOver(&$0) }
        takeWriterError(writer.drain())
    }

    /// Makes the writer's first error the recorder's (later events are then dropped).
    private func takeWriterError(_ failure: Errno?) {
        guard let failure else { return }
        locked { if $0.error == nil { $0.error = failure } }
    }

    /// Flushes and closes the file; throws the first write (or close) error, if any.
    ///
    /// Closing twice is harmless; events recorded afterwards are dropped.
    public func close() throws(Errno) {
        // The descriptor leaves the state with the last buffer: a `record` racing with this
        // finds the recorder closed and drops its event rather than handing the stopped writer
        // a buffer.
        let fd: FileDescriptor? = locked { state in
            handOver(&state)
            defer { state.fd = nil }
            return state.fd
        }
        takeWriterError(writer.drain())
        writer.stop()
        let error: Errno? = locked { state in
            if let fd {
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

    /// Hands the buffer to the writer (holding the lock) and starts a fresh one.
    private func handOver(_ state: inout State) {
        guard state.fd != nil, state.entries.count > 0, state.error == nil else {
            state.entries.count = 0
            return
        }
        let chunk = Chunk(state.entries, node: state.node, causeNode: state.causeNode)
        let (spare, failure) = writer.takeSpare()
        state.entries = (spare ?? Chunk(capacity: bufferLimit + 64 << 10)).lend()
        if let failure { state.error = failure }
        // The chunk is the writer's until it comes back as a spare. The writer never takes the
        // recorder's lock, so waiting for a slot here, under that lock, cannot deadlock.
        writer.submit(chunk)
    }

    /// CPU time the writer thread has spent turning this recording's buffers into lines and
    /// writing them so far (what the recording costs beyond packing events on the recording
    /// threads); for benchmarks.
    package var writerCPUTime: Duration {
        .nanoseconds(writer.cpuNanoseconds)
    }
}
