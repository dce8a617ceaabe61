/// The events of one node read from one file that wait for their turn in `CausalOrder`, in
/// seq order: an array with a moving head, compacted as it drains.
struct EventQueue {
    /// The file the events were read from.
    let file: Int
    /// The node that recorded them (`CausalOrder`'s index).
    let node: Int
    /// Where the queue is in its node's list of queues that hold events, while it holds any.
    var slot = -1
    /// The events; those before `head` were handed out.
    private(set) var items: [TraceEvent] = []
    /// The position of the first event waiting.
    private(set) var head = 0

    /// An empty queue of `node`'s events from `file`.
    init(file: Int, node: Int) {
        self.file = file
        self.node = node
    }

    /// Whether no event waits.
    var isEmpty: Bool { head == items.count }
    /// The first event waiting.
    var first: TraceEvent? { head < items.count ? items[head] : nil }
    /// How many events wait.
    var count: Int { items.count - head }

    /// The seq of the first event waiting.
    var firstSeq: Int? { head < items.count ? items[head].seq : nil }

    /// Moves the first event out for a look, leaving in its place a stand-in with its seq that
    /// holds no storage: unlike a copy, nothing is retained now or released later. The caller
    /// then either puts it back (`restoreFirst`) or drops the stand-in (`pop`).
    @inline(__always)
    mutating func takeFirst() -> TraceEvent {
        var event = TraceEvent(node: "", seq: items[head].seq, kind: .crash)
        swap(&event, &items[head])
        return event
    }

    /// Puts back the event `takeFirst` moved out (swapped, so neither is copied); `e` is left
    /// holding the stand-in.
    @inline(__always)
    mutating func restoreFirst(_ e: inout TraceEvent) { swap(&e, &items[head]) }

    /// Adds an event after the others.
    mutating func push(_ e: consuming TraceEvent) { items.append(e) }

    /// Removes the first event.
    mutating func pop() {
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 4096 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
    }
}
