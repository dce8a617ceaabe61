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
