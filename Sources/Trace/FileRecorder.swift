#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import SystemPackage

/// Records events to a trace file: the header first, then one line per event.
///
/// With `partialUntilFinished`, lines go to `path + ".partial"` and `finish()` renames that file
/// to `path`: a file under `path` is then always a whole recording, and one cut short (a crash, a
/// kill, an interrupt) keeps the `.partial` name that `plumb check DIR` skips. Lines are written
/// whole (the buffer holds whole lines), so a cut leaves at most a causeless tail.
///
/// Lines are encoded straight into an in-memory buffer (`TraceEncoder`: bytes, no intermediate
/// strings or objects); when it exceeds `bufferLimit` (256 KiB by default) the whole buffer is
/// handed to a writer thread (a serial queue) and recording goes on into a fresh one, so the
/// recording thread never waits for `write(2)`. `flush()` hands every line recorded so far to the
/// operating system and waits until it is written, so a simulated crash handler can call it and
/// lose nothing (it does not `fsync`: that guards against power loss, not crashes).
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

    private struct State {
        var fd: FileDescriptor?
        /// The buffer lines are encoded into (fields of the state, not of the chunk object, so
        /// that an event touches one place).
        var lines: TraceLineWriter
        var error: Errno?
        /// The node openings the lines use most, encoded once.
        var prefixes = TraceNodePrefixes()
    }

    /// What the writer gives back, under a lock of its own: the writer never takes the
    /// recorder's lock, so a recording thread waiting for a writer slot under that lock
    /// cannot block it.
    private struct Returns: Sendable {
        /// Buffers the writer has written, emptied, for reuse: no fresh allocation (and its
        /// page faults) per hand-over.
        var spare: [Chunk] = []
        /// The writer's first error.
        var error: Errno?
        /// CPU time the writer spent in `write(2)` (its thread's clock), in nanoseconds.
        var writeNanoseconds = 0
    }

    /// A buffer of raw memory that lines are encoded into (`TraceLineWriter`), handed whole to
    /// the writer and back.
    ///
    /// Not thread-safe: owned by the recorder's locked state, then by the writer while it
    /// writes it, never by both.
    private final class Chunk: @unchecked Sendable {
        var base: UnsafeMutablePointer<UInt8>
        var count = 0
        var capacity: Int

        init(capacity: Int) {
            self.capacity = capacity
            base = .allocate(capacity: capacity)
        }

        /// Takes over the memory of `lines`.
        init(_ lines: TraceLineWriter) {
            (base, count, capacity) = (lines.base, lines.count, lines.capacity)
        }

        deinit { base.deallocate() }

        /// Gives the memory to a writer of lines (the chunk must not be used after).
        func lend() -> TraceLineWriter {
            let lines = TraceLineWriter(base: base, count: 0, capacity: capacity, owned: true)
            base = .allocate(capacity: 1)
            capacity = 1
            count = 0
            return lines
        }

        /// The bytes written.
        var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
    }

    /// The state, guarded by `mutex` (see `locked`).
    private let state: UnsafeMutablePointer<State>
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let bufferLimit: Int
    /// The writer thread: writes handed-over buffers in order.
    private let writer = DispatchQueue(label: "plumb.trace-writer")
    /// Buffers that may wait for the writer at once: a recording faster than the disk waits
    /// here rather than holding ever more memory (about 2 MiB of buffers, 2 to 8 of them: 8
    /// of the default size).
    private let slots: DispatchSemaphore
    /// Written buffers kept for reuse (at most 4, and no more than the slots).
    private let spares: Int
    private let returns = Locked(Returns())

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
        let slotCount = min(max((2 << 20) / self.bufferLimit, 2), 8)
        slots = DispatchSemaphore(value: slotCount)
        spares = min(slotCount, 4)
        if partialUntilFinished, unlink(path) != 0, errno != ENOENT { throw Errno(rawValue: errno) }
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(
                FilePath(writingPath), .writeOnly, options: [.create, .truncate],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw (error as? Errno) ?? .ioError
        }
        var lines = Chunk(capacity: max(bufferLimit, 1) + 64 << 10).lend()
        TraceEncoder.write(TraceHeader(system: system), meta: meta, to: &lines)
        state = .allocate(capacity: 1)
        state.initialize(to: State(fd: fd, lines: lines))
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        // The header goes out at once: the file is a valid trace even if nothing follows.
        flush()
        if let error = locked({ $0.error }) {
            try? fd.close()
            throw error
        }
    }

    deinit {
        try? close()
        state.pointee.lines.base.deallocate()
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

    /// Appends the event's line to the buffer, writing the buffer out once it is full.
    ///
    /// Dropped after `close()` or after a write error.
    public func record(_ event: TraceEvent) {
        pthread_mutex_lock(mutex)
        if state.pointee.fd != nil, state.pointee.error == nil {
            TraceEncoder.write(event, to: &state.pointee.lines, prefixes: &state.pointee.prefixes)
            if state.pointee.lines.count >= bufferLimit { handOver(&state.pointee) }
        }
        pthread_mutex_unlock(mutex)
    }

    /// Appends an `x-` event's line, like `record(_:)`.
    public func record(extension event: ExtensionEvent) {
        locked { state in
            guard state.fd != nil, state.error == nil else { return }
            TraceEncoder.write(extension: event, to: &state.lines)
            if state.lines.count >= bufferLimit { handOver(&state) }
        }
    }

    /// Writes every buffered line to the file, and waits until every buffer handed to the
    /// writer is written.
    public func flush() {
        locked { handOver(&$0) }
        writer.sync {}
        takeWriterError()
    }

    /// Makes the writer's first error the recorder's (later events are then dropped).
    private func takeWriterError() {
        guard let failure = returns.withLock({ $0.error }) else { return }
        locked { if $0.error == nil { $0.error = failure } }
    }

    /// Flushes and closes the file; throws the first write (or close) error, if any.
    ///
    /// Closing twice is harmless; events recorded afterwards are dropped.
    public func close() throws(Errno) {
        locked { handOver(&$0) }
        writer.sync {}
        takeWriterError()
        let error: Errno? = locked { state in
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

    /// Hands the buffer to the writer (holding the lock) and starts a fresh one.
    private func handOver(_ state: inout State) {
        guard let fd = state.fd, state.lines.count > 0, state.error == nil else {
            state.lines.count = 0
            return
        }
        let chunk = Chunk(state.lines)
        let (spare, failure) = returns.withLock { ($0.spare.popLast(), $0.error) }
        state.lines = (spare ?? Chunk(capacity: bufferLimit + 64 << 10)).lend()
        if let failure { state.error = failure }
        // The chunk is the writer's until it comes back through `spare`. The writer takes only
        // the `returns` lock, so waiting for a slot here, under the recorder's lock, cannot
        // deadlock.
        slots.wait()
        writer.async { [returns = self.returns, slots = self.slots, spares = self.spares] in
            var failure: Errno?
            let cpuBefore = Self.threadCPUNanoseconds()
            do {
                _ = try fd.writeAll(chunk.bytes)
            } catch {
                failure = (error as? Errno) ?? .ioError
            }
            let cpu = Self.threadCPUNanoseconds() - cpuBefore
            chunk.count = 0
            returns.withLock { returns in
                returns.writeNanoseconds += cpu
                if returns.error == nil, let failure { returns.error = failure }
                if returns.spare.count < spares { returns.spare.append(chunk) }
            }
            slots.signal()
        }
    }

    /// CPU time the writer thread has spent writing this recording's buffers so far (what the
    /// recording costs beyond encoding on the recording threads); for benchmarks.
    public var writerCPUTime: Duration {
        .nanoseconds(returns.withLock { $0.writeNanoseconds })
    }

    /// The calling thread's CPU time, in nanoseconds.
    static func threadCPUNanoseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return now.tv_sec * 1_000_000_000 + now.tv_nsec
    }
}
