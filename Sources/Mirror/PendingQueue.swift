/// A first-in first-out queue over an array: appends at the back, removals at the front in
/// amortised O(1), indexed access from the front.
///
/// The primary keeps each stream's unacknowledged entries in one, in sn order.
struct PendingQueue<Element: Sendable>: Sendable {
    private var storage: [Element] = []
    private var head = 0

    /// The number of elements.
    var count: Int { storage.count - head }
    /// Whether the queue is empty.
    var isEmpty: Bool { head == storage.count }

    /// The element `offset` places from the front.
    subscript(offset: Int) -> Element {
        get { storage[head + offset] }
        set { storage[head + offset] = newValue }
    }

    /// Appends at the back.
    mutating func append(_ element: Element) { storage.append(element) }

    /// Removes and returns the front element.
    mutating func removeFirst() -> Element {
        let element = storage[head]
        head += 1
        if head >= 1024 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    /// The offsets from the front, in order.
    var indices: Range<Int> { 0..<count }
}
