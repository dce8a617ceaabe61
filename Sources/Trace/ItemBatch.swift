/// A batch of items parsed from one file: the parser appends, then the consumer moves each
/// item out in turn. An item is never copied on the way (nor are its strings and arrays
/// retained and released).
///
/// Used by one thread at a time: a `PrefetchingReader`'s channel lock orders the handover from
/// its thread; an `InlineReader` fills and empties its one batch on the consumer's thread.
final class ItemBatch: @unchecked Sendable {
    /// The items; `[taken, count)` are initialized.
    private let items: UnsafeMutablePointer<TraceItem>
    /// How many items the batch holds at most.
    let capacity: Int
    /// Items appended.
    private var count = 0
    /// Items moved out.
    private var taken = 0

    /// An empty batch for `capacity` items.
    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        items = .allocate(capacity: self.capacity)
    }

    deinit {
        (items + taken).deinitialize(count: count - taken)
        items.deallocate()
    }

    /// Whether no more items fit.
    var isFull: Bool { count == capacity }

    /// Whether every item appended was taken (or none was appended).
    var isEmpty: Bool { taken == count }

    /// Appends `item`; the batch must not be full.
    func append(_ item: consuming TraceItem) {
        precondition(count < capacity, "batch full")
        (items + count).initialize(to: item)
        count += 1
    }

    /// How `fill(from:)` stopped.
    enum FillEnd {
        /// The batch is full; the file may hold more.
        case full
        /// The file ended.
        case end
        /// The file's parser threw, after the items before it were appended.
        case failed(TraceInputError)
    }

    /// Appends the items `reader` reads until the batch is full, the file ends or its parser
    /// throws; says which.
    func fill(from reader: inout TraceFileReader) -> FillEnd {
        do {
            while !isFull {
                guard let item = try reader.next() else { return .end }
                append(item)
            }
            return .full
        } catch {
            return .failed(error)
        }
    }

    /// Empties the batch for reuse; every item must have been taken.
    func reset() {
        precondition(taken == count, "items left in a batch being reused")
        count = 0
        taken = 0
    }

    /// Moves out the next item, nil when every one was taken.
    func take() -> TraceItem? { next()?.move() }

    /// Where the next item is, nil when every one was taken. It counts as taken: the caller
    /// moves it out before the batch is asked again or released.
    func next() -> UnsafeMutablePointer<TraceItem>? {
        guard taken < count else { return nil }
        taken += 1
        return items + taken - 1
    }
}
