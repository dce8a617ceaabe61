/// A binary min-heap: the package's one heap, for deterministic "lowest first" choices (the
/// causal merge's queue heads, the happens-before graph's ready events, the recovery core's
/// ready consumers), never a hash order.
///
/// Two heaps are equal when they hold the same elements, whatever their layout (which depends
/// on the order of insertion, while `popMin` does not).
package struct MinHeap<Element: Comparable & Sendable>: Sendable {
    private var items: [Element] = []

    /// Makes an empty heap.
    package init() {}

    /// Whether the heap is empty.
    package var isEmpty: Bool { items.isEmpty }
    /// How many elements it holds.
    package var count: Int { items.count }
    /// The lowest element, if any.
    package var min: Element? { items.first }

    /// Adds `element`.
    package mutating func insert(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the lowest element, or nil when empty.
    @discardableResult
    package mutating func popMin() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let lowest = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count && items[left] < items[smallest] { smallest = left }
            if right < items.count && items[right] < items[smallest] { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return lowest
    }

    /// Checks the heap order (no element below its parent); for tests.
    package func checkInvariants() {
        for child in items.indices.dropFirst() {
            precondition(!(items[child] < items[(child - 1) / 2]), "MinHeap: element \(child) is below its parent")
        }
    }
}

extension MinHeap: Equatable {
    /// The same elements, in any layout.
    package static func == (lhs: MinHeap, rhs: MinHeap) -> Bool {
        lhs.items.count == rhs.items.count && lhs.items.sorted() == rhs.items.sorted()
    }
}
