/// Reads and parses one trace file on the consumer's own thread, a batch of lines at a time:
/// the least CPU time, where `PrefetchingReader` spends more of it to take less wall time.
///
/// Its items are handed out as `PrefetchingReader` hands out its own, from a batch whose
/// memory is reused, so memory stays bounded (batches of 256 and 512 items took the same CPU
/// as 2048). A value type, used by one thread; the file is closed when the reader is released.
struct InlineReader {
    private var reader: TraceFileReader
    private let batch: ItemBatch
    /// The error that ended the last batch, thrown once its items were handed out.
    private var failure: TraceInputError?
    /// Whether the file's end (or its error) was reached while filling a batch.
    private var ended = false

    /// Opens `path`, reading its header at once; `allowTruncated` is `TraceFileReader`'s.
    init(path: String, fileIndex: Int, allowTruncated: Bool = false, batch: Int = 2048) throws(TraceInputError) {
        reader = try TraceFileReader(path: path, fileIndex: fileIndex, allowTruncated: allowTruncated)
        self.batch = ItemBatch(capacity: batch)
    }

    /// The file's header.
    var header: TraceHeader { reader.header }
    /// Lines the reader dropped as cut off mid-write; final once `next()` returned nil.
    var droppedCutLines: Int { reader.droppedCutLines }
    /// Bytes of the file read so far (up to a batch ahead of the items handed out).
    var bytesRead: Int { reader.bytesRead }

    /// Where the next item of the file waits, nil at the file's end; throws what the file's
    /// parser threw, after the items read before it. The caller moves the item out (`move()`)
    /// before it asks again.
    mutating func next() throws(TraceInputError) -> UnsafeMutablePointer<TraceItem>? {
        if let slot = batch.next() { return slot }
        if ended {
            if let failure {
                self.failure = nil
                throw failure
            }
            return nil
        }
        batch.reset()
        switch batch.fill(from: &reader) {
        case .full: break
        case .end: ended = true
        case .failed(let error):
            ended = true
            failure = error
        }
        return try next()
    }
}
