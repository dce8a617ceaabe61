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
        // Each held stamp as its node's index (-1: a node not seen), seq and name's hash: plain
        // integers, so nothing below copies a string.
        var heldNode: [Int] = []
        var heldSeq: [Int] = []
        var heldName: [UInt64] = []
        hashSpec(spec, &h) { hasher, stamp in
            hasher.combine(stamp != nil)
            guard let stamp else { return }
            heldNode.append(clocks.nodeIndex(stamp.id.node) ?? -1)
            heldSeq.append(stamp.id.seq)
            var name = StableHasher()
            name.combine(stamp.name)
            heldName.append(name.value)
        }
        h.combine(inputError != nil)
        h.combine(firstViolation?.invariant.rawValue ?? "")
        hashRanks(of: clocks, into: &h, heldNode: heldNode, heldSeq: heldSeq, heldName: heldName, sources: sources)
    }
}

/// The clock part of `SpecMonitor.summary`: nodes by name, and each clock in play (the nodes'
/// current clocks, each held stamp's, each source's) as the ranks of its values per node.
/// Not generic, so it runs specialized whatever the spec.
private func hashRanks(
    of clocks: VectorClockIndex, into h: inout StableHasher,
    heldNode: [Int], heldSeq: [Int], heldName: [UInt64], sources: [EventID]
) {
    // Nodes in name order; `order[k]` is the index in `clocks` of the k-th.
    let n = clocks.nodeCount
    var order = Array(0..<n)
    order.sort { clocks.nodeName($0).utf8.lexicographicallyPrecedes(clocks.nodeName($1).utf8) }
    h.combine(n)
    for i in order { h.combine(clocks.nodeName(i)) }
    var position = Array(repeating: 0, count: n)
    for (k, i) in order.enumerated() { position[i] = k }

    // Every clock in play, one row of n values each (-1: nothing known): the current
    // clocks first, then the held stamps', then the sources'.
    let rows = n + heldNode.count + sources.count
    var values = [Int](repeating: -1, count: rows * n)
    var row = 0
    func fill(node i: Int, seq: Int) {
        if i >= 0 {
            for k in 0..<n { values[row * n + k] = clocks.latestKnown(of: order[k], atNode: i, seq: seq) }
        }
        row += 1
    }
    for i in order { fill(node: i, seq: clocks.lastSeq(ofNode: i)) }
    for (i, seq) in zip(heldNode, heldSeq) { fill(node: i, seq: seq) }
    for source in sources { fill(node: clocks.nodeIndex(source.node) ?? -1, seq: source.seq) }

    // Per node, the distinct values in play, sorted: a value's rank is its index there.
    var ranks = [Int](repeating: 0, count: rows * n)
    var column = [Int](repeating: 0, count: rows)
    for k in 0..<n {
        for r in 0..<rows { column[r] = values[r * n + k] }
        column.sort()
        var distinct = 0
        for r in 0..<rows where distinct == 0 || column[distinct - 1] != column[r] {
            column[distinct] = column[r]
            distinct += 1
        }
        for r in 0..<rows { ranks[r * n + k] = rank(of: values[r * n + k], in: column, count: distinct) }
    }
    func combineRow(_ r: Int) {
        for k in 0..<n { h.combine(ranks[r * n + k]) }
    }
    for r in 0..<n { combineRow(r) }
    h.combine(heldNode.count)
    for j in heldNode.indices {
        h.combine(heldNode[j] < 0 ? -1 : position[heldNode[j]])
        h.combine(heldName[j])
        combineRow(n + j)
    }
    h.combine(sources.count)
    for j in sources.indices { combineRow(n + heldNode.count + j) }
}

/// The index of `value` in the first `count` (sorted, distinct) of `values`.
private func rank(of value: Int, in values: [Int], count: Int) -> Int {
    var lo = 0, hi = count
    while lo < hi {
        let mid = (lo + hi) / 2
        if values[mid] < value { lo = mid + 1 } else { hi = mid }
    }
    return lo
}
