import Foundation

/// Reads and parses one trace file on a thread of its own, a few thousand lines ahead of
/// the consumer, so that parsing several files (and replaying them) uses every core.
///
/// Thread-safe for one consumer: `next()` is called from one thread while the reader thread
/// fills a bounded queue, so memory stays bounded however far ahead the file is. The thread
/// holds only the queue, never the reader: releasing the reader (or `stop()`) ends the thread,
/// which then closes the file, even when the consumer gave up in the middle of it.
final class PrefetchingReader: @unchecked Sendable {
    /// What the thread hands over.
    fileprivate enum Chunk {
        /// Items parsed, in line order.
        case items(ItemBatch)
        /// The file's input error; nothing follows it.
        case failed(TraceInputError)
        /// The file's end, with the reader's count of lines dropped as cut off mid-write.
        case end(droppedCutLines: Int)
    }

    /// The queue the thread fills.
    private let channel: Channel
    /// The chunk being handed out.
    private var current: ItemBatch?
    /// Whether the end or an error was handed out.
    private var finished = false

    /// The header, read before the thread starts.
    let header: TraceHeader
    /// Lines the file's reader dropped as cut off mid-write; known once `next()` returned nil.
    private(set) var droppedCutLines = 0

    /// Opens `path` (reading its header at once) and starts parsing ahead in the background;
    /// `allowTruncated` is `TraceFileReader`'s.
    init(
        path: String, fileIndex: Int, allowTruncated: Bool = false, batch: Int = 2048, capacity: Int = 4
    ) throws(TraceInputError) {
        let reader = try TraceFileReader(path: path, fileIndex: fileIndex, allowTruncated: allowTruncated)
        self.header = reader.header
        let channel = Channel(capacity: capacity)
        self.channel = channel
        let handoff = Handoff(reader: reader)
        let thread = Thread { channel.produce(handoff.reader, batch: batch) }
        thread.name = "plumb-read-\(fileIndex)"
        thread.start()
    }

    deinit { stop() }

    /// Moves the reader to its thread; the opener never touches it again.
    private struct Handoff: @unchecked Sendable {
        var reader: TraceFileReader
    }

    /// Where the next item of the file waits, nil at the file's end; throws what the file's
    /// parser threw. The caller moves the item out (`move()`) before it asks again: handed
    /// over in place, an event is copied once on its way to the consumer.
    func next() throws(TraceInputError) -> UnsafeMutablePointer<TraceItem>? {
        if let slot = current?.next() { return slot }
        if finished { return nil }
        switch channel.take() {
        case .items(let items):
            // The batch before is released: its last item was moved out before this call.
            current = items
            return items.next()
        case .failed(let error):
            finished = true
            throw error
        case .end(let dropped):
            finished = true
            droppedCutLines = dropped
            return nil
        }
    }

    /// Bytes of the file the reader thread has read so far (it reads a few chunks ahead).
    var bytesRead: Int { channel.bytesRead }

    /// Tells the reader thread to stop early (the consumer gave up on the file); `next()` is
    /// not to be called after it.
    func stop() { channel.stop() }
}

/// The bounded queue between a reader thread and its consumer.
private final class Channel: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [PrefetchingReader.Chunk] = []
    private var stopped = false
    private let capacity: Int
    /// Whether the consumer, or the producer, waits on `condition`.
    private var consumerWaits = false, producerWaits = false
    /// The reader's bytes read when it queued its latest chunk.
    private var bytes = 0

    /// The reader's bytes read when it queued its latest chunk.
    var bytesRead: Int {
        condition.lock()
        defer { condition.unlock() }
        return bytes
    }

    /// A queue holding at most `capacity` chunks.
    init(capacity: Int) { self.capacity = max(capacity, 1) }

    /// The oldest chunk, waiting for one if need be. Not to be called after `stop()` (the
    /// consumer gave up): with the queue empty, nothing would ever come.
    func take() -> PrefetchingReader.Chunk {
        condition.lock()
        while chunks.isEmpty {
            // Stopped, the producer puts nothing more: fail loudly rather than wait forever.
            precondition(!stopped, "a stopped trace reader was read")
            consumerWaits = true
            condition.wait()
            consumerWaits = false
        }
        let chunk = chunks.removeFirst()
        // A producer waiting for room is woken once the queue is half empty, so that it then
        // parses several chunks in a row: waking it for every chunk taken cost a sleep and a
        // wake-up per chunk.
        if producerWaits && chunks.count <= capacity / 2 { condition.broadcast() }
        condition.unlock()
        return chunk
    }

    /// Makes the producer give up at its next chunk.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// The thread's body: parses `reader` in chunks of `batch` items until its end, an error,
    /// or `stop()`; the reader (and its file) is released when this returns.
    func produce(_ reader: TraceFileReader, batch: Int) {
        var reader = reader
        while true {
            let items = ItemBatch(capacity: batch)
            let stop = items.fill(from: &reader)
            if !items.isEmpty { guard put(.items(items), bytesRead: reader.bytesRead) else { return } }
            switch stop {
            case .full:
                continue
            case .end:
                _ = put(.end(droppedCutLines: reader.droppedCutLines), bytesRead: reader.bytesRead)
                return
            case .failed(let error):
                _ = put(.failed(error), bytesRead: reader.bytesRead)
                return
            }
        }
    }

    /// Queues a chunk, waiting while the queue is full; false when told to stop.
    private func put(_ chunk: PrefetchingReader.Chunk, bytesRead: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while chunks.count >= capacity && !stopped {
            producerWaits = true
            condition.wait()
            producerWaits = false
        }
        if stopped { return false }
        chunks.append(chunk)
        bytes = bytesRead
        if consumerWaits { condition.broadcast() }
        return true
    }
}
