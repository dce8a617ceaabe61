import Foundation

/// Reads and parses one trace file on a thread of its own, a few thousand lines ahead of
/// the consumer, so that parsing several files (and replaying them) uses every core.
///
/// Thread-safe for one consumer: `next()` is called from one thread while the reader thread
/// fills a bounded queue, so memory stays bounded however far ahead the file is.
final class PrefetchingReader: @unchecked Sendable {
    private enum Chunk {
        case items([TraceItem])
        case failed(TraceInputError)
        /// The file's end, with the reader's count of lines dropped as cut off mid-write.
        case end(droppedCutLines: Int)
    }

    private let condition = NSCondition()
    private var chunks: [Chunk] = []
    private var stopped = false
    private let capacity: Int
    private var current: [TraceItem] = []
    private var position = 0
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
        self.capacity = capacity
        let handoff = Handoff(reader: reader)
        let thread = Thread { [self] in self.produce(handoff.reader, batch: batch) }
        thread.name = "plumb-read-\(fileIndex)"
        thread.start()
    }

    deinit { stop() }

    /// Moves the reader to its thread; the opener never touches it again.
    private struct Handoff: @unchecked Sendable {
        var reader: TraceFileReader
    }

    /// The next item of the file, nil at its end; throws what the file's parser threw.
    func next() throws(TraceInputError) -> TraceItem? {
        if position < current.count {
            position += 1
            return current[position - 1]
        }
        if finished { return nil }
        condition.lock()
        while chunks.isEmpty { condition.wait() }
        let chunk = chunks.removeFirst()
        condition.broadcast()
        condition.unlock()
        switch chunk {
        case .items(let items):
            current = items
            position = 1
            return items[0]
        case .failed(let error):
            finished = true
            throw error
        case .end(let dropped):
            finished = true
            droppedCutLines = dropped
            return nil
        }
    }

    /// Tells the reader thread to stop early (the consumer gave up on the file).
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func produce(_ reader: TraceFileReader, batch: Int) {
        var reader = reader
        var items: [TraceItem] = []
        items.reserveCapacity(batch)
        while true {
            let chunk: Chunk
            do {
                if let item = try reader.next() {
                    items.append(item)
                    if items.count < batch { continue }
                    chunk = .items(items)
                    items = []
                    items.reserveCapacity(batch)
                } else if !items.isEmpty {
                    chunk = .items(items)
                    items = []
                } else {
                    chunk = .end(droppedCutLines: reader.droppedCutLines)
                }
            } catch {
                if !items.isEmpty && !put(.items(items)) { return }
                items = []
                chunk = .failed(error)
            }
            guard put(chunk) else { return }
            switch chunk {
            case .end, .failed: return
            case .items: continue
            }
        }
    }

    /// Queues a chunk, waiting while the queue is full; false when told to stop.
    private func put(_ chunk: Chunk) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while chunks.count >= capacity && !stopped { condition.wait() }
        if stopped { return false }
        chunks.append(chunk)
        condition.broadcast()
        return true
    }
}
