import Trace

extension SpecMonitor {
    /// Hashes what every future verdict depends on, and nothing of the history beyond it, so
    /// that two executions that reach one state by different histories hash alike.
    ///
    /// The spec's state is hashed by `hashSpec` (the spec's own `hash(into:stamp:)`), which
    /// hands over each event stamp it holds. A stamp matters to the future only through
    /// happens-before: the spec compares it with other stamps it holds, and with events still
    /// to come, whose vector clocks are the current clocks of the nodes raised by the clocks of
    /// the `sources` (the events that messages in flight name as their cause). So every seq
    /// involved, per node (held stamps, their clocks, the sources' clocks, the current clocks),
    /// is replaced by its rank among them: an order-preserving renaming, under which every
    /// answer the sink can give now or later is the same. Two states with equal summaries (and
    /// equal cores, which the caller hashes without their seq counters) have the same future
    /// verdicts, up to the seqs printed in messages.
    package func summary(
        into h: inout StableHasher, sources: [EventID],
        hashSpec: (S, inout StableHasher, (inout StableHasher, EventStamp?) -> Void) -> Void
    ) {
        var held: [EventStamp] = []
        hashSpec(spec, &h) { hasher, stamp in
            hasher.combine(stamp != nil)
            if let stamp { held.append(stamp) }
        }
        h.combine(inputError != nil)
        h.combine(firstViolation?.invariant.rawValue ?? "")
        // Nodes in name order; `slots[k]` is the index in `clocks` of the k-th.
        let names = clocks.nodeNames
        let order = names.indices.sorted { names[$0].utf8.lexicographicallyPrecedes(names[$1].utf8) }
        let n = order.count
        h.combine(n)
        for i in order { h.combine(names[i]) }
        var position = Array(repeating: 0, count: n)
        for (k, i) in order.enumerated() { position[i] = k }

        // Every clock in play, flattened: n values each (-1: nothing known). The current
        // clocks first, then the held stamps', then the sources'.
        var values: [Int] = []
        values.reserveCapacity((n + held.count + sources.count) * n)
        func append(node i: Int, seq: Int) {
            for k in 0..<n { values.append(clocks.latestKnown(of: order[k], atNode: i, seq: seq)) }
        }
        for i in order { append(node: i, seq: clocks.lastSeq(ofNode: i)) }
        var heldNodes: [Int] = []
        heldNodes.reserveCapacity(held.count)
        for stamp in held {
            let i = clocks.nodeIndex(stamp.id.node) ?? -1
            heldNodes.append(i < 0 ? -1 : position[i])
            if i < 0 { values += Array(repeating: -1, count: n) } else { append(node: i, seq: stamp.id.seq) }
        }
        for source in sources {
            if let i = clocks.nodeIndex(source.node) {
                append(node: i, seq: source.seq)
            } else {
                values += Array(repeating: -1, count: n)
            }
        }
        // Per node, the distinct values in play, sorted: a value's rank is its index there.
        var ranks: [[Int]] = []
        for k in 0..<n {
            var column = stride(from: k, to: values.count, by: max(n, 1)).map { values[$0] }
            column.sort()
            var distinct: [Int] = []
            for v in column where distinct.last != v { distinct.append(v) }
            ranks.append(distinct)
        }
        var at = 0
        func combineNext() {
            for k in 0..<n {
                h.combine(binarySearch(ranks[k], values[at]))
                at += 1
            }
        }
        for _ in 0..<n { combineNext() }
        h.combine(held.count)
        for (stamp, node) in zip(held, heldNodes) {
            h.combine(node)
            h.combine(stamp.name)
            combineNext()
        }
        h.combine(sources.count)
        for _ in sources { combineNext() }
    }
}

/// The index of `value` in the sorted `values`.
private func binarySearch(_ values: [Int], _ value: Int) -> Int {
    var lo = 0, hi = values.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if values[mid] < value { lo = mid + 1 } else { hi = mid }
    }
    return lo
}
