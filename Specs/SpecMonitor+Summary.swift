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
        let nodes = clocks.nodeNames.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        h.combine(nodes.count)
        for node in nodes { h.combine(node) }

        // Each event's clock as a vector over `nodes` (its own entry its seq; -1: nothing known).
        func vector(_ id: EventID) -> [Int] {
            nodes.map { $0.exactlyEquals(id.node) ? id.seq : clocks.latestKnown(of: $0, at: id) ?? -1 }
        }
        let current = nodes.map { node in vector(EventID(node: node, seq: clocks.lastSeq(of: node) ?? 0)) }
        let stampVectors = held.map { vector($0.id) }
        let sourceVectors = sources.map(vector)
        // Per node, the distinct values in play, sorted: a value's rank is its index.
        var ranks: [[Int]] = Array(repeating: [], count: nodes.count)
        for v in current + stampVectors + sourceVectors {
            for n in nodes.indices { ranks[n].append(v[n]) }
        }
        for n in nodes.indices { ranks[n] = Array(Set(ranks[n])).sorted() }
        func combine(_ v: [Int]) {
            for n in nodes.indices {
                h.combine(binarySearch(ranks[n], v[n]))
            }
        }
        h.combine(held.count)
        for (stamp, v) in zip(held, stampVectors) {
            h.combine(nodes.firstIndex { $0.exactlyEquals(stamp.id.node) } ?? -1)
            h.combine(stamp.name)
            combine(v)
        }
        h.combine(sources.count)
        for v in sourceVectors { combine(v) }
        for v in current { combine(v) }
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
