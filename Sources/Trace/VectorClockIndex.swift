/// One step of a happens-before path: the same node's order, or a `cause` link.
public struct HappensBeforeStep: Sendable, Hashable {
    /// How `from` is ordered before `to`.
    public enum Kind: Sendable, Hashable {
        /// Both on one node, `from.seq < to.seq`.
        case program
        /// `from` is named in `to`'s `cause`.
        case cause
    }

    /// The earlier event.
    public var from: EventID
    /// The later event.
    public var to: EventID
    /// Why `from` is before `to`.
    public var kind: Kind

    /// Makes a step.
    public init(from: EventID, to: EventID, kind: Kind) {
        self.from = from
        self.to = to
        self.kind = kind
    }
}

/// Answers "does `a` happen-before `b`" in constant time, for events added in a linearization of
/// happens-before, and gives the path that proves it.
///
/// Each node keeps its vector clock; a snapshot is stored only at events whose causes brought
/// news from other nodes, so memory grows with cross-node messages, not with events.
/// A value type; not shared between tasks.
public struct VectorClockIndex: Sendable {
    private struct Snapshot: Sendable {
        var seq: Int
        /// Per node index, the greatest seq of that node known to happen-before; -1 for none.
        var clock: [Int]
        /// The causes of the event, as (node index, seq).
        var causes: [NodeSeq]
    }

    private struct NodeSeq: Sendable, Hashable {
        var node: Int
        var seq: Int
    }

    private struct NodeState: Sendable {
        var name: String
        var lastSeq: Int = -1
        var snapshots: [Snapshot] = []
    }

    private var index: [String: Int] = [:]
    private var nodes: [NodeState] = []

    /// An empty index.
    public init() {}

    /// The nodes seen so far, in order of first appearance.
    public var nodeNames: [String] { nodes.map(\.name) }

    /// The number of snapshots kept (cross-node receives), for memory reports.
    public var snapshotCount: Int { nodes.reduce(0) { $0 + $1.snapshots.count } }

    /// Whether `id` was added.
    public func contains(_ id: EventID) -> Bool {
        guard let n = index[id.node] else { return false }
        return id.seq <= nodes[n].lastSeq
    }

    /// The greatest seq added for `node`, if any.
    public func lastSeq(of node: String) -> Int? {
        guard let n = index[node], nodes[n].lastSeq >= 0 else { return nil }
        return nodes[n].lastSeq
    }

    private mutating func intern(_ name: String) -> Int {
        if let n = index[name] { return n }
        index[name] = nodes.count
        nodes.append(NodeState(name: name))
        return nodes.count - 1
    }

    /// Adds the next event of a linearization. Its node's earlier events and all its causes
    /// must have been added already; causes naming events not added are ignored by the caller.
    public mutating func add(node: String, seq: Int, causes: [EventID]) {
        let n = intern(node)
        precondition(seq > nodes[n].lastSeq, "events of one node must be added in seq order")
        nodes[n].lastSeq = seq
        guard !causes.isEmpty else { return }
        var clock = currentClock(n)
        var changed = false
        var links: [NodeSeq] = []
        links.reserveCapacity(causes.count)
        for cause in causes {
            guard let c = index[cause.node], c != n else { continue }
            links.append(NodeSeq(node: c, seq: cause.seq))
            let other = clockOf(node: c, seq: cause.seq)
            if other.count > clock.count { clock += Array(repeating: -1, count: other.count - clock.count) }
            for k in other.indices where other[k] > clock[k] && k != n {
                clock[k] = other[k]
                changed = true
            }
        }
        if changed {
            nodes[n].snapshots.append(Snapshot(seq: seq, clock: clock, causes: links))
        }
    }

    /// The clock of node `n`'s latest event, without its own component.
    private func currentClock(_ n: Int) -> [Int] {
        var clock = nodes[n].snapshots.last?.clock ?? []
        if clock.count < nodes.count { clock += Array(repeating: -1, count: nodes.count - clock.count) }
        return clock
    }

    /// The vector clock of event `(node n, seq)`: its own component is `seq`.
    private func clockOf(node n: Int, seq: Int) -> [Int] {
        var clock: [Int]
        if let s = latestSnapshot(node: n, atOrBefore: seq) {
            clock = nodes[n].snapshots[s].clock
        } else {
            clock = []
        }
        if clock.count <= n { clock += Array(repeating: -1, count: n + 1 - clock.count) }
        clock[n] = seq
        return clock
    }

    private func latestSnapshot(node n: Int, atOrBefore seq: Int) -> Int? {
        let snaps = nodes[n].snapshots
        var lo = 0, hi = snaps.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if snaps[mid].seq <= seq { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : lo - 1
    }

    /// The greatest seq of `node` that happens-before or is `b` (nil when none does).
    public func latestKnown(of node: String, at b: EventID) -> Int? {
        guard let j = index[node], let i = index[b.node] else { return nil }
        if i == j { return b.seq }
        let clock = clockOf(node: i, seq: b.seq)
        return j < clock.count && clock[j] >= 0 ? clock[j] : nil
    }

    /// Whether `a` happens-before `b`; both must have been added.
    public func happensBefore(_ a: EventID, _ b: EventID) -> Bool {
        if a.node == b.node { return a.seq < b.seq }
        guard let known = latestKnown(of: a.node, at: b) else { return false }
        return known >= a.seq
    }

    /// A path of steps from `a` to `b` when `a` happens-before `b`, else nil.
    public func path(from a: EventID, to b: EventID) -> [HappensBeforeStep]? {
        guard happensBefore(a, b) else { return nil }
        var steps: [HappensBeforeStep] = []
        buildPath(from: a, to: b, into: &steps)
        return steps
    }

    private func buildPath(from a: EventID, to b: EventID, into steps: inout [HappensBeforeStep]) {
        if a.node == b.node {
            if a.seq < b.seq { steps.append(HappensBeforeStep(from: a, to: b, kind: .program)) }
            return
        }
        let i = index[b.node]!, j = index[a.node]!
        // The earliest receive of b's node (at or before b) that knows a.
        let snaps = nodes[i].snapshots
        guard let last = latestSnapshot(node: i, atOrBefore: b.seq) else { return }
        var lo = 0, hi = last + 1
        while lo < hi {
            let mid = (lo + hi) / 2
            let c = snaps[mid].clock
            if j < c.count && c[j] >= a.seq { hi = mid } else { lo = mid + 1 }
        }
        let receive = snaps[lo]
        let r = EventID(node: b.node, seq: receive.seq)
        for link in receive.causes {
            let c = EventID(node: nodes[link.node].name, seq: link.seq)
            if c == a || happensBefore(a, c) {
                buildPath(from: a, to: c, into: &steps)
                steps.append(HappensBeforeStep(from: c, to: r, kind: .cause))
                if r.seq < b.seq { steps.append(HappensBeforeStep(from: r, to: b, kind: .program)) }
                return
            }
        }
        preconditionFailure("vector clock snapshot without a cause that explains it")
    }
}
