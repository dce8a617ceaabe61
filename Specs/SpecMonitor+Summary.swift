import Trace

/// The event stamps a spec's state holds, in the order its fingerprint met them: each as the
/// spec's index of its node, its seq and its event name's code. `SpecMonitor.summary` hashes
/// them relative to each other and to the clocks, never by absolute seq.
package struct HeldStamps: Sendable {
    /// Three integers per stamp: node, seq, name.
    private(set) var values: [Int] = []

    /// Whether the stamps a fingerprint hashes by presence alone (`cited`) are added too: the
    /// checker's list of what may still be asked about (`Spec.forEachHeldEvent`) wants them.
    package let includesCited: Bool

    /// None yet (room for the few a spec holds); with `includesCited`, cited stamps count too.
    package init(includesCited: Bool = false) {
        self.includesCited = includesCited
        values.reserveCapacity(3 * 32)
    }

    /// The number of stamps.
    var count: Int { values.count / 3 }

    /// Adds a stamp of the spec's node `node` (an index into the names the spec hands to
    /// `summary`), seq `seq`, event name `name` (any stable code in 0..<2^15).
    package mutating func add(node: Int, seq: Int, name: Int) {
        assert(name >= 0 && name < 1 << 15, "a stamp's name code must be in 0..<2^15")
        values.append(node)
        values.append(seq)
        values.append(name)
    }

    /// Calls `body` with each stamp's node and seq, in the order added.
    package func forEach(_ body: (_ node: Int, _ seq: Int) -> Void) {
        var t = 0
        while t < values.count {
            body(values[t], values[t + 1])
            t += 3
        }
    }
}

/// A message in flight, as the clock summary reads it: the event its receiver will name as
/// cause, and the receiver.
///
/// The cause's clock matters only through the clocks of the receiver's later events, and
/// there its entry for the receiver itself never counts: the receiver's own entry is its own
/// seq, above anything another node knows of it. So the summary leaves that entry out, and
/// two states whose messages differ only in what the sender knew of the receiver hash alike.
package struct InFlight: Sendable {
    /// The event the receiver will name as cause.
    package var cause: EventID
    /// The node the message is for.
    package var receiver: String

    /// A message whose receiver will name `cause`.
    package init(cause: EventID, receiver: String) {
        self.cause = cause
        self.receiver = receiver
    }
}

extension SpecMonitor {
    /// Hashes what every future verdict depends on beyond the spec's own structure, and nothing
    /// of the history beyond it, so that two executions that reach one state by different
    /// histories hash alike.
    ///
    /// The caller hashes the spec's state itself (its own `hash(into:stamps:)`), which hands
    /// over each event stamp it holds in `held`, naming nodes by `nodes` (the spec's table).
    /// A stamp matters to the future only through happens-before (`SpecSink.happensBefore`,
    /// `require`): whether a held stamp happens before another held stamp or before an event
    /// still to come. Stamp `a` of node `k` happens before `b` when `b`'s clock knows `k` up to
    /// `a`'s seq; an event still to come has as clock its node's current clock raised, entry by
    /// entry, to the clocks of the `sources` it receives (the events that messages in flight
    /// name as their cause), and a seq of its own above every seq in play. So a clock's entry
    /// for node `k` is only ever compared with the seqs of the held stamps of `k` (a maximum of
    /// entries reaches such a seq when one of them does), never with another entry. Every entry
    /// of every clock in play (held stamps', sources', the current clocks) is replaced by how
    /// many of those seqs it reaches: every answer the sink can give now or later stays the
    /// same. Two states with equal summaries (and equal cores, which the caller hashes without
    /// their seq counters) have the same future verdicts, up to the seqs printed in messages.
    /// A node in `silent` records no event again (a crashed node that is never restarted): its
    /// current clock, which only its next events would start from, is left out, so histories
    /// that differ only in what it heard before it died hash alike.
    ///
    /// `quiet`, when given, gets the same summary as it would read with no message in flight
    /// (no sources): what a crash leaves behind, since it loses every message. The sources
    /// change no other row's count, so it costs only hashing those rows again.
    package func summary(into h: inout StableHasher, held: HeldStamps, nodes: [String], sources: [InFlight],
                         silent: [String], quiet: inout StableHasher?) {
        let verdict = firstViolation?.invariant.rawValue ?? ""
        h.combine(inputError != nil)
        h.combine(verdict)
        quiet?.combine(inputError != nil)
        quiet?.combine(verdict)
        // The spec's node indices as the clocks'.
        var clockIndex = [Int](repeating: -1, count: nodes.count)
        for i in nodes.indices { clockIndex[i] = clocks.nodeIndex(nodes[i]) ?? -1 }
        var sourceNodes = [Int](repeating: -1, count: 2 * sources.count)
        for j in sources.indices {
            sourceNodes[2 * j] = clocks.nodeIndex(sources[j].cause.node) ?? -1
            sourceNodes[2 * j + 1] = clocks.nodeIndex(sources[j].receiver) ?? -1
        }
        var silentNodes: [Int] = []
        for name in silent { if let i = clocks.nodeIndex(name) { silentNodes.append(i) } }
        hashRanks(of: clocks, into: &h, quiet: &quiet, held: held.values, clockIndex: clockIndex,
                  sourceNodes: sourceNodes, sources: sources, silent: silentNodes)
    }
}

/// The clock part of `SpecMonitor.summary`: nodes by name, and each clock in play (the nodes'
/// current clocks, each held stamp's, each source's) as, per node, how many of the held
/// stamps' seqs of that node its entry reaches (its rank).
/// Not generic, so it runs specialized whatever the spec; its scratch space is on the stack.
/// `quiet` (when given) gets the same without the sources' rows, which come last.
private func hashRanks(
    of clocks: VectorClockIndex, into h: inout StableHasher, quiet: inout StableHasher?,
    held: [Int], clockIndex: [Int], sourceNodes: [Int], sources: [InFlight], silent: [Int]
) {
    // Nodes in name order; `order[k]` is the index in `clocks` of the k-th.
    let order = clocks.nodesInNameOrder
    let n = order.count
    h.combine(clocks.namesDigest)
    quiet?.combine(clocks.namesDigest)
    let heldCount = held.count / 3
    // The nodes whose current clocks are in play (a filtered copy only when some are silent).
    let current = silent.isEmpty ? order : order.filter { !silent.contains($0) }
    let rows = current.count + heldCount + sources.count
    // Hashes a table of ranks (the current clocks' rows, the held stamps', then `sources`
    // rows), each row with what it is the clock of.
    func emitRanks(_ ranks: UnsafeMutablePointer<Int>, rows: Int, sources: Int, position: UnsafeMutablePointer<Int>,
                   into h: inout StableHasher) {
        // Ranks are below `rows`, so four go in one word when rows < 2^16 (the counts are
        // hashed first, so the words still read back one way).
        h.combine(current.count)
        h.combine(heldCount)
        h.combine(sources)
        var word: UInt64 = 0
        var filled: UInt64 = 0
        func put(_ value: Int) {
            guard rows < 1 << 16 else { return h.combine(value) }
            word |= UInt64(truncatingIfNeeded: value &+ 1) << (16 * filled)
            filled += 1
            if filled == 4 {
                h.combine(word)
                word = 0
                filled = 0
            }
        }
        func putRow(_ r: Int) {
            for k in 0..<n { put(ranks[r * n + k]) }
        }
        for (r, i) in current.enumerated() {
            put(position[i])
            putRow(r)
        }
        let c = current.count
        for t in 0..<heldCount {
            let node = held[3 * t]
            let i = node >= 0 && node < clockIndex.count ? clockIndex[node] : -1
            put(i < 0 ? -1 : position[i])
            put(held[3 * t + 2])
            putRow(c + t)
        }
        for s in 0..<sources { putRow(c + heldCount + s) }
        if filled > 0 { h.combine(word) }
    }

    // The rows of the quiet summary: all but the sources' (ranks do not depend on those).
    let quietRows = current.count + heldCount
    withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * rows * n + rows + n) { scratch in
        let values = scratch.baseAddress!
        let ranks = values + rows * n
        let column = ranks + rows * n
        let position = column + rows
        for (k, i) in order.enumerated() { position[i] = k }

        // Every clock in play, one row of n values each (-1: nothing known): the current
        // clocks first, then the held stamps', then the sources'.
        var row = 0
        func fill(node i: Int, seq: Int) {
            let base = row * n
            if i >= 0 {
                for k in 0..<n { values[base + k] = clocks.latestKnown(of: order[k], atNode: i, seq: seq) }
            } else {
                for k in 0..<n { values[base + k] = -1 }
            }
            row += 1
        }
        for i in current { fill(node: i, seq: clocks.lastSeq(ofNode: i)) }
        var j = 0
        while j < held.count {
            let node = held[j]
            fill(node: node >= 0 && node < clockIndex.count ? clockIndex[node] : -1, seq: held[j + 1])
            j += 3
        }
        for s in sources.indices {
            fill(node: sourceNodes[2 * s], seq: sources[s].cause.seq)
            // The receiver's own entry never reaches a later clock (see `InFlight`).
            let receiver = sourceNodes[2 * s + 1]
            if receiver >= 0 { values[(row - 1) * n + position[receiver]] = -1 }
        }

        // Per node, the seqs of the held stamps of that node, sorted and distinct: the only
        // values a clock's entry for the node is ever compared with (see `summary`). A value's
        // rank is how many of them it reaches.
        let c = current.count
        for k in 0..<n {
            var distinct = 0
            for t in 0..<heldCount {
                let node = held[3 * t]
                let i = node >= 0 && node < clockIndex.count ? clockIndex[node] : -1
                guard i >= 0, position[i] == k else { continue }
                // Insertion into the sorted distinct seqs so far: few stamps, mostly in order.
                let v = values[(c + t) * n + k]
                var at = distinct
                while at > 0 && column[at - 1] > v { at -= 1 }
                if at > 0 && column[at - 1] == v { continue }
                var m = distinct
                while m > at {
                    column[m] = column[m - 1]
                    m -= 1
                }
                column[at] = v
                distinct += 1
            }
            for r in 0..<rows {
                let v = values[r * n + k]
                var lo = 0, hi = distinct
                while lo < hi {
                    let mid = (lo + hi) >> 1
                    if column[mid] <= v { lo = mid + 1 } else { hi = mid }
                }
                ranks[r * n + k] = lo
            }
        }
        emitRanks(ranks, rows: rows, sources: sources.count, position: position, into: &h)
        if quiet != nil { emitRanks(ranks, rows: quietRows, sources: 0, position: position, into: &quiet!) }
    }
}
