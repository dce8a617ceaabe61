/// A binary min-heap of `(seq, queue)` pairs: for one node, the seq at the head of each of its
/// queues that hold events, lowest first (ties: lowest queue). `CausalOrder` deletes lazily: a
/// pair whose queue's head has moved on is dropped when it reaches the top.
struct HeadHeap {
    /// The pairs, in heap order.
    private var entries: [(seq: Int, queue: Int)] = []

    /// The lowest pair, if any.
    var top: (seq: Int, queue: Int)? { entries.first }

    /// Adds a pair.
    mutating func push(seq: Int, queue: Int) {
        entries.append((seq, queue))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.less(entries[child], entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes the lowest pair.
    mutating func popTop() {
        guard !entries.isEmpty else { return }
        entries.swapAt(0, entries.count - 1)
        entries.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var lowest = parent
            if left < entries.count && Self.less(entries[left], entries[lowest]) { lowest = left }
            if right < entries.count && Self.less(entries[right], entries[lowest]) { lowest = right }
            if lowest == parent { return }
            entries.swapAt(parent, lowest)
            parent = lowest
        }
    }

    /// Lower seq first, then lower queue.
    private static func less(_ a: (seq: Int, queue: Int), _ b: (seq: Int, queue: Int)) -> Bool {
        a.seq != b.seq ? a.seq < b.seq : a.queue < b.queue
    }
}
