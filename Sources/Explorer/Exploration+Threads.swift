import Trace
import Dispatch

extension Exploration {
    /// Node `i` goes to part `i % parts`: the shard rule.
    static func deal<T>(_ items: [T], parts: Int) -> [[T]] {
        var result = Array(repeating: [T](), count: parts)
        for (ordinal, item) in items.enumerated() { result[ordinal % parts].append(item) }
        return result
    }

    /// Runs `body(0..<count)` concurrently (Dispatch's `concurrentPerform`: one thread per core
    /// at most, so `count` above the core count queues) and returns the results in order.
    static func inParallel(_ count: Int, _ body: @Sendable (Int) -> SearchTally) -> [SearchTally] {
        if count == 1 { return [body(0)] }
        let results = Locked([SearchTally?](repeating: nil, count: count))
        DispatchQueue.concurrentPerform(iterations: count) { thread in
            let tally = body(thread)
            results.withLock { $0[thread] = tally }
        }
        return results.withLock { $0.map { $0! } }
    }
}
