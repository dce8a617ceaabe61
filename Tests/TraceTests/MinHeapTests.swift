import XCTest
@testable import Trace

/// The package's one heap pops in ascending order, keeps its order after every change, and
/// compares by contents, not layout.
final class MinHeapTests: XCTestCase {
    func testPopsInOrderAndKeepsItsInvariant() {
        var random = SplitMix64(seed: 5)
        var heap = MinHeap<Int>()
        var model: [Int] = []
        for step in 0..<2_000 {
            if step % 3 == 2, let lowest = heap.popMin() {
                XCTAssertEqual(lowest, model.min())
                model.remove(at: model.firstIndex(of: lowest)!)
            } else {
                let value = Int(random.next() % 100)
                heap.insert(value)
                model.append(value)
            }
            heap.checkInvariants()
            XCTAssertEqual(heap.count, model.count)
            XCTAssertEqual(heap.min, model.min())
        }
        var drained: [Int] = []
        while let x = heap.popMin() { drained.append(x) }
        XCTAssertEqual(drained, model.sorted())
        XCTAssertTrue(heap.isEmpty)
    }

    func testEqualityIgnoresLayout() {
        var a = MinHeap<QueueHead>(), b = MinHeap<QueueHead>()
        for q in [3, 1, 2] { a.insert(QueueHead(seq: 7, queue: q)) }
        for q in [1, 2, 3] { b.insert(QueueHead(seq: 7, queue: q)) }
        XCTAssertEqual(a, b)
        b.popMin()
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(a.popMin(), QueueHead(seq: 7, queue: 1))
    }
}
