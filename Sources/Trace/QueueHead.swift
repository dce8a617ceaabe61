/// A queue head of one node in the causal merge: the seq at the head of a queue that holds
/// events. `CausalOrder` keeps them in a `MinHeap` and deletes lazily: an entry whose queue's head
/// has moved on is dropped when it reaches the top.
struct QueueHead: Comparable, Sendable {
    var seq: Int
    var queue: Int

    /// Lower seq first, then lower queue.
    static func < (a: QueueHead, b: QueueHead) -> Bool {
        a.seq != b.seq ? a.seq < b.seq : a.queue < b.queue
    }
}
