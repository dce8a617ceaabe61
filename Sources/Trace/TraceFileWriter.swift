#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// The thread behind a `FileRecorder`: takes its buffers whole, in the order they were handed
/// over, turns the packed events in them into lines (`TraceEncoder`, the same bytes as encoding
/// the events themselves) and writes each buffer's lines with one `write(2)`. So the recording
/// thread only copies numbers; the JSON and the system call happen here.
///
/// On Linux the thread runs under `SCHED_BATCH`: it gets its fair share of the CPU, but waking
/// it does not preempt the thread that is running (an event loop), it waits for its turn.
/// At most `slots` buffers wait for it at once: a recording faster than the disk waits in
/// `submit` rather than holding ever more memory.
///
/// Thread-safe: `submit`, `takeSpare`, `drain`, `stop` and the counters take one mutex (the
/// writer thread takes it only between buffers, never while it encodes or writes); the thread's
/// own output buffer and line openings are touched by the thread alone.
final class TraceFileWriter: @unchecked Sendable {
    /// A buffer of packed events and encoded lines (`TracePackedEvent` entries), filled by the
    /// recording thread and handed to the writer whole, then back for reuse.
    ///
    /// Not thread-safe: owned by the recorder's locked state, then by the writer thread, never
    /// by both.
    final class Chunk: @unchecked Sendable {
        var base: UnsafeMutablePointer<UInt8>
        var count = 0
        var capacity: Int
        /// The node that recorded the packed events, and the node of their causes.
        var node = "", causeNode = ""

        init(capacity: Int) {
            self.capacity = capacity
            base = .allocate(capacity: capacity)
        }

        /// Takes over the memory of `entries`.
        init(_ entries: TraceLineWriter, node: String, causeNode: String) {
            (base, count, capacity) = (entries.base, entries.count, entries.capacity)
            (self.node, self.causeNode) = (node, causeNode)
        }

        deinit { base.deallocate() }

        /// Gives the memory to a writer of entries (the chunk must not be used after).
        func lend() -> TraceLineWriter {
            let entries = TraceLineWriter(base: base, count: 0, capacity: capacity, owned: true)
            base = .allocate(capacity: 1)
            capacity = 1
            count = 0
            return entries
        }
    }

    private let fd: FileDescriptor
    private let slots: Int
    private let spares: Int
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Signalled when a buffer or the stop arrives (the thread waits on it).
    private let work: UnsafeMutablePointer<pthread_cond_t>
    /// Broadcast when a buffer is written (`submit` and `drain` wait on it).
    private let progress: UnsafeMutablePointer<pthread_cond_t>
    private var thread: pthread_t?

    // Guarded by `mutex`.
    private var queue: [Chunk] = []
    private var spare: [Chunk] = []
    private var handed = 0
    private var written = 0
    private var failure: Errno?
    private var nanoseconds = 0
    private var stopping = false

    // The thread's alone.
    private var output: TraceLineWriter
    private var prefixes = TraceNodePrefixes()
    private var numbers = TraceRunningNumbers()

    /// Starts the thread, writing to `fd`; `outputCapacity` is the size of its line buffer (it
    /// grows when a buffer's lines need more). Throws the `Errno` of a failed thread start.
    init(fd: FileDescriptor, slots: Int, spares: Int, outputCapacity: Int) throws(Errno) {
        self.fd = fd
        self.slots = max(slots, 1)
        self.spares = spares
        let capacity = max(outputCapacity, 256)
        output = TraceLineWriter(base: .allocate(capacity: capacity), count: 0, capacity: capacity, owned: true)
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        work = .allocate(capacity: 1)
        work.initialize(to: pthread_cond_t())
        pthread_cond_init(work, nil)
        progress = .allocate(capacity: 1)
        progress.initialize(to: pthread_cond_t())
        pthread_cond_init(progress, nil)
        var started = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&started, nil, { context in
            let writer = Unmanaged<TraceFileWriter>.fromOpaque(context!).takeRetainedValue()
            writer.run()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<TraceFileWriter>.fromOpaque(context).release()
            throw Errno(rawValue: result)
        }
        thread = started
    }

    deinit {
        output.base.deallocate()
        pthread_cond_destroy(work)
        work.deinitialize(count: 1)
        work.deallocate()
        pthread_cond_destroy(progress)
        progress.deinitialize(count: 1)
        progress.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Queues `chunk` for writing, waiting while `slots` buffers already wait.
    func submit(_ chunk: Chunk) {
        pthread_mutex_lock(mutex)
        while queue.count >= slots { pthread_cond_wait(progress, mutex) }
        queue.append(chunk)
        handed += 1
        pthread_cond_signal(work)
        pthread_mutex_unlock(mutex)
    }

    /// A written buffer to fill again, if one is kept, and the writer's first error.
    func takeSpare() -> (Chunk?, Errno?) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return (spare.popLast(), failure)
    }

    /// Waits until every buffer submitted so far is written; returns the writer's first error.
    func drain() -> Errno? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let target = handed
        while written < target { pthread_cond_wait(progress, mutex) }
        return failure
    }

    /// Writes what is queued, then ends the thread and waits for it (calling it again does
    /// nothing).
    func stop() {
        pthread_mutex_lock(mutex)
        let running = thread
        thread = nil
        stopping = true
        pthread_cond_signal(work)
        pthread_mutex_unlock(mutex)
        if let running { pthread_join(running, nil) }
    }

    /// CPU time the thread has spent turning buffers into lines and writing them.
    var cpuNanoseconds: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return nanoseconds
    }

    /// The thread: takes buffers in order until stopped with none left.
    private func run() {
        #if os(Linux)
        var parameters = sched_param(sched_priority: 0)
        _ = sched_setscheduler(0, Self.schedBatch, &parameters)
        #endif
        pthread_mutex_lock(mutex)
        while true {
            while queue.isEmpty, !stopping { pthread_cond_wait(work, mutex) }
            if queue.isEmpty { break }
            let chunk = queue.removeFirst()
            let failed = failure != nil
            pthread_mutex_unlock(mutex)
            let before = Self.threadCPUNanoseconds()
            let error = failed ? nil : write(chunk)
            let cpu = Self.threadCPUNanoseconds() - before
            chunk.count = 0
            pthread_mutex_lock(mutex)
            nanoseconds += cpu
            if failure == nil, let error { failure = error }
            if spare.count < spares { spare.append(chunk) }
            written += 1
            pthread_cond_broadcast(progress)
        }
        pthread_mutex_unlock(mutex)
    }

    /// Linux's `SCHED_BATCH` (sched.h; not every C library exposes the name).
    private static let schedBatch: Int32 = 3

    /// Turns the chunk's entries into lines and writes them; the error of a failed write.
    private func write(_ chunk: Chunk) -> Errno? {
        var output = self.output
        var prefixes = self.prefixes
        var numbers = self.numbers
        output.count = 0
        let node = chunk.node, causeNode = chunk.causeNode
        let bound = TraceEncoder.packedBound(node: node, causeNode: causeNode)
        let entries = UnsafeRawPointer(chunk.base)
        var at = 0
        while at < chunk.count {
            let entry = entries.load(fromByteOffset: at, as: TracePackedEvent.self)
            at += TracePackedEvent.stride
            if let kind = entry.kind {
                output.withCursor(reserving: bound) { c in
                    TraceEncoder.write(entry, kind: kind, node: node, causeNode: causeNode, to: &c, prefixes: &prefixes, numbers: &numbers)
                }
            } else {
                let count = entry.f0
                output.reserve(count)
                (output.base + output.count).initialize(from: chunk.base + at, count: count)
                output.count += count
                at += (count + 7) & ~7
            }
        }
        self.output = output
        self.prefixes = prefixes
        self.numbers = numbers
        do {
            _ = try fd.writeAll(UnsafeRawBufferPointer(start: output.base, count: output.count))
            return nil
        } catch {
            return (error as? Errno) ?? .ioError
        }
    }

    /// The calling thread's CPU time, in nanoseconds.
    static func threadCPUNanoseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return now.tv_sec * 1_000_000_000 + now.tv_nsec
    }
}
