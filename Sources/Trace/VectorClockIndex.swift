/// One step of a happens-before path: the same node's order, or a `cause` link.
package struct HappensBeforeStep: Sendable, Hashable {
    /// How `from` is ordered before `to`.
    package enum Kind: Sendable, Hashable {
        /// Both on one node, `from.seq < to.seq`.
        case program
        /// `from` is named in `to`'s `cause`.
        case cause
    }

    /// The earlier event.
    package var from: EventID
    /// The later event.
    package var to: EventID
    /// Why `from` is before `to`.
    package var kind: Kind

    /// Makes a step.
    package init(from: EventID, to: EventID, kind: Kind) {
        self.from = from
        self.to = to
        self.kind = kind
    }
}

/// Answers "does `a` happen-before `b`" for events added in a linearization of happens-before,
/// and gives the path that proves it.
///
/// A vector clock, stored as changes: for each node and each other node, the seqs at which a
/// cause brought news of the other node, the news, and the cause that brought it. Memory grows
/// by one small entry per cross-node message that brought news, not per event, until
/// `forget(keeping:)` drops the changes that no question about the events still asked about
/// needs.
/// A value type; not shared between tasks.
package struct VectorClockIndex: Sendable {
    /// One change of node `i`'s knowledge of node `j`: at its event `seq`, of `j`'s seq
    /// `value`, through the cause `(viaNode, viaSeq)`.
    private struct Change: Sendable {
        var seq: Int
        var value: Int
        var viaNode: Int
        var viaSeq: Int
    }

    /// How node `i` learned of node `j`: its changes in seq order, in one flat array (one copy
    /// on write, not four, when a branch of the explorer adds to it).
    private struct Component: Sendable {
        var changes: [Change] = []

        /// The value at the latest change at or before `seq`, or -1.
        func value(atOrBefore seq: Int) -> Int {
            guard let k = lastIndex(atOrBefore: seq) else { return -1 }
            return changes[k].value
        }

        func lastIndex(atOrBefore seq: Int) -> Int? {
            var lo = 0, hi = changes.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if changes[mid].seq <= seq { lo = mid + 1 } else { hi = mid }
            }
            return lo == 0 ? nil : lo - 1
        }
    }

    private struct NodeState: Sendable {
        var name: String
        var lastSeq = -1
        /// The current clock, by node index (-1: nothing known); own entry unused.
        var clock: [Int] = []
        var components: [Component] = []
    }

    private var index: [ExactName: Int] = [:]
    private var nodes: [NodeState] = []
    /// The node indices in the order of their names' UTF-8 bytes (kept for fingerprints).
    package private(set) var nodesInNameOrder: [Int] = []
    /// A stable hash of the node names in that order.
    package private(set) var namesDigest = StableHasher().value

    /// An empty index.
    package init() {}

    /// The nodes seen so far, in order of first appearance.
    package var nodeNames: [String] { nodes.map(\.name) }

    /// The number of clock changes made (one per cross-node message that brought news), kept
    /// or since forgotten.
    package private(set) var snapshotCount = 0
    /// The number of clock changes kept.
    package private(set) var keptChangeCount = 0
    /// The most clock changes kept at once.
    package var peakKeptChangeCount: Int { max(peakBeforeForgetting, keptChangeCount) }
    private var peakBeforeForgetting = 0

    /// The index of node `name`: a scan of the few names (inline, since every event and every
    /// question looks up one or two), else the hash index.
    @inline(__always) private func find(_ name: String) -> Int? {
        if nodes.count <= 8 {
            return firstIndexExactlyEqual(name, count: nodes.count) { nodes[$0].name }
        }
        return index[ExactName(name)]
    }

    /// Whether `id` was added (or is below a node's latest seq).
    package func contains(_ id: EventID) -> Bool {
        guard let n = find(id.node) else { return false }
        return id.seq <= nodes[n].lastSeq
    }

    /// The greatest seq added for `node`, if any.
    package func lastSeq(of node: String) -> Int? {
        guard let n = find(node), nodes[n].lastSeq >= 0 else { return nil }
        return nodes[n].lastSeq
    }

    /// The index of node `name`, added when new: inline, since every event looks up its node.
    @inline(__always) private mutating func intern(_ name: String) -> Int {
        if let n = find(name) { return n }
        return add(name)
    }

    /// Adds node `name`, not seen before; returns its index.
    private mutating func add(_ name: String) -> Int {
        index[ExactName(name)] = nodes.count
        nodes.append(NodeState(name: name))
        let n = nodes.count - 1
        var at = nodesInNameOrder.count
        while at > 0 && name.utf8.lexicographicallyPrecedes(nodes[nodesInNameOrder[at - 1]].name.utf8) { at -= 1 }
        nodesInNameOrder.insert(n, at: at)
        var digest = StableHasher()
        digest.combine(nodes.count)
        for i in nodesInNameOrder { digest.combine(nodes[i].name) }
        namesDigest = digest.value
        return n
    }

    /// Adds the next event of a linearization. Its node's earlier events and all its causes
    /// must have been added already.
    package mutating func add(node: String, seq: Int, causes: [EventID]) {
        let n = intern(node)
        precondition(seq > nodes[n].lastSeq, "events of one node must be added in seq order")
        nodes[n].lastSeq = seq
        for cause in causes {
            guard let c = find(cause.node), c != n else { continue }
            if nodes[n].clock.count < nodes.count {
                nodes[n].clock += Array(repeating: -1, count: nodes.count - nodes[n].clock.count)
                nodes[n].components += Array(repeating: Component(), count: nodes.count - nodes[n].components.count)
            }
            // The cause's vector clock, entry by entry, without building it: its own entry is
            // its seq; the others, the node's current clock or its clock at that seq.
            let current = cause.seq >= nodes[c].lastSeq
            for k in 0..<nodes.count where k != n {
                let value: Int
                if k == c {
                    value = cause.seq
                } else if current {
                    value = k < nodes[c].clock.count ? nodes[c].clock[k] : -1
                } else {
                    value = k < nodes[c].components.count ? nodes[c].components[k].value(atOrBefore: cause.seq) : -1
                }
                if value > nodes[n].clock[k] {
                    nodes[n].clock[k] = value
                    nodes[n].components[k].changes.append(Change(seq: seq, value: value, viaNode: c, viaSeq: cause.seq))
                    snapshotCount += 1
                    keptChangeCount += 1
                }
            }
        }
    }

    /// The greatest seq of `node` that happens-before or is `b` (nil when none does); after
    /// `forget(keeping:)`, possibly an earlier one that happens-before `b`.
    package func latestKnown(of node: String, at b: EventID) -> Int? {
        guard let j = find(node), let i = find(b.node) else { return nil }
        let value = latestKnown(of: j, atNode: i, seq: b.seq)
        return value >= 0 ? value : nil
    }

    /// The number of nodes seen so far.
    package var nodeCount: Int { nodes.count }

    /// The name of node `i` (an index into `nodeNames`).
    package func nodeName(_ i: Int) -> String { nodes[i].name }

    /// The index of node `name` among `nodeNames`, if it was seen.
    package func nodeIndex(_ name: String) -> Int? { find(name) }

    /// The greatest seq of node `j` that happens-before or is node `i`'s event `seq` (-1: none;
    /// after `forget(keeping:)`, possibly an earlier one that happens-before); nodes by index,
    /// for callers that ask many such questions.
    package func latestKnown(of j: Int, atNode i: Int, seq: Int) -> Int {
        if i == j { return seq }
        guard j < nodes[i].components.count else { return -1 }
        return seq >= nodes[i].lastSeq ? nodes[i].clock[j] : nodes[i].components[j].value(atOrBefore: seq)
    }

    /// The last seq added for node `i` (by index).
    package func lastSeq(ofNode i: Int) -> Int { nodes[i].lastSeq }

    /// Whether `a` happens-before `b`; both must have been added.
    package func happensBefore(_ a: EventID, _ b: EventID) -> Bool {
        happensBefore(node: a.node, seq: a.seq, node: b.node, seq: b.seq)
    }

    /// Whether node `aNode`'s event `aSeq` happens-before node `bNode`'s event `bSeq`; both
    /// must have been added. For callers that hold the names and seqs apart: no `EventID` is
    /// made (a copy of each name).
    package func happensBefore(node aNode: String, seq aSeq: Int, node bNode: String, seq bSeq: Int) -> Bool {
        if aNode.exactlyEquals(bNode) { return aSeq < bSeq }
        guard let j = find(aNode), let i = find(bNode) else { return false }
        let known = latestKnown(of: j, atNode: i, seq: bSeq)
        return known >= 0 && known >= aSeq
    }

    /// A path of steps from `a` to `b` when `a` happens-before `b`, else nil. Also nil when `a`
    /// was left out of what `forget(keeping:)` kept, and the changes that would explain it are
    /// gone.
    package func path(from a: EventID, to b: EventID) -> [HappensBeforeStep]? {
        guard happensBefore(a, b) else { return nil }
        var steps: [HappensBeforeStep] = []
        return buildPath(from: a, to: b, into: &steps) ? steps : nil
    }

    private func buildPath(from a: EventID, to b: EventID, into steps: inout [HappensBeforeStep]) -> Bool {
        if a.node.exactlyEquals(b.node) {
            if a.seq < b.seq { steps.append(HappensBeforeStep(from: a, to: b, kind: .program)) }
            return true
        }
        let i = find(b.node)!, j = find(a.node)!
        guard j < nodes[i].components.count else { return false }
        // The earliest change of i's knowledge of j that covers a: values only grow.
        let changes = nodes[i].components[j].changes
        var lo = 0, hi = changes.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if changes[mid].value >= a.seq { hi = mid } else { lo = mid + 1 }
        }
        guard lo < changes.count && changes[lo].seq <= b.seq else { return false }
        let receive = EventID(node: b.node, seq: changes[lo].seq)
        let cause = EventID(node: nodes[changes[lo].viaNode].name, seq: changes[lo].viaSeq)
        guard buildPath(from: a, to: cause, into: &steps) else { return false }
        steps.append(HappensBeforeStep(from: cause, to: receive, kind: .cause))
        if receive.seq < b.seq { steps.append(HappensBeforeStep(from: receive, to: b, kind: .program)) }
        return true
    }

    /// Drops every clock change that no question about the events in `held`, or about events
    /// added later, needs: `held[j]` lists, in any order, the seqs of node `j` (an index into
    /// `nodeNames`) that may still be asked about as the earlier event of
    /// `happensBefore` or `path`; an event left out must never be asked about again. Those
    /// answers stay exact. About other events an order may be missed, never invented, and
    /// `latestKnown` may name an earlier event than the latest (a real one, which happens
    /// before). What each node knows of each other node now stays explained too: a path from
    /// it to the node's latest event is still found. Memory then follows what is still asked
    /// about, not the trace's length.
    ///
    /// A change of node `i`'s knowledge of `j` to `v`, the one before it being to `u`, is the
    /// change that explains exactly the seqs of `j` in `u+1...v`: it is kept when one of them is
    /// held or is what some node knows of `j` now. Below a node's latest event, a dropped
    /// change is read as the one kept before it, a lower value, and only seqs that no one asks
    /// about lie between the two, so every comparison with a held seq comes out the same, here
    /// and in the clocks that later events build from these.
    package mutating func forget(keeping held: [[Int]]) {
        // Per node `j`: the held seqs and what each node knows of `j` now, sorted and distinct.
        var asked: [[Int]] = []
        for j in nodes.indices {
            var seqs = j < held.count ? held[j] : []
            for i in nodes.indices where i != j && j < nodes[i].clock.count && nodes[i].clock[j] >= 0 {
                seqs.append(nodes[i].clock[j])
            }
            seqs.sort()
            var distinct = 0
            for k in seqs.indices where distinct == 0 || seqs[distinct - 1] != seqs[k] {
                seqs[distinct] = seqs[k]
                distinct += 1
            }
            seqs.removeLast(seqs.count - distinct)
            asked.append(seqs)
        }
        peakBeforeForgetting = peakKeptChangeCount
        var kept = 0
        for i in nodes.indices {
            for j in nodes[i].components.indices where j != i {
                let seqs = asked[j]
                var next = 0, below = -1, count = 0
                nodes[i].components[j].changes.withUnsafeMutableBufferPointer { changes in
                    for k in changes.indices {
                        let change = changes[k]
                        while next < seqs.count && seqs[next] <= below { next += 1 }
                        below = change.value
                        guard next < seqs.count && seqs[next] <= change.value else { continue }
                        changes[count] = change
                        count += 1
                    }
                }
                nodes[i].components[j].changes.removeLast(nodes[i].components[j].changes.count - count)
                kept += count
            }
        }
        keptChangeCount = kept
    }
}
