/// Happens-before over a trace held in memory: per-node seq order plus `cause` links.
///
/// It checks the structural rules of the format (no duplicate `(node, seq)`, every cause names
/// an event, no cycle) and gives a linearization that keeps line order wherever happens-before
/// allows, so that specs can replay it. For traces in files, `CausalOrder` does the same in
/// bounded memory; this is for events made in memory (tests, the explorer).
package struct HappensBeforeGraph: Sendable {
    /// The events in a linearization of happens-before.
    package private(set) var linearized: [TraceEvent]
    /// The reachability index over `linearized`.
    package private(set) var clocks: VectorClockIndex

    /// Orders `events` by happens-before, or throws the first structural input error.
    package init(events: [TraceEvent]) throws(TraceInputError) {
        let count = events.count
        var position: [EventID: Int] = [:]
        position.reserveCapacity(count)
        for (i, event) in events.enumerated() {
            if let first = position.updateValue(i, forKey: event.id) {
                throw Self.error(at: event, "duplicate event \(event.id): also at \(Self.place(events[first]))")
            }
        }
        // Edges: each node's previous event (by seq), and each cause.
        var successors = Array(repeating: [Int](), count: count)
        var indegree = Array(repeating: 0, count: count)
        var byNode: [String: [Int]] = [:]
        for i in 0..<count { byNode[events[i].node, default: []].append(i) }
        for node in byNode.keys.sorted() {
            let ordered = byNode[node]!.sorted { events[$0].seq < events[$1].seq }
            for (p, q) in zip(ordered, ordered.dropFirst()) {
                successors[p].append(q)
                indegree[q] += 1
            }
        }
        for i in 0..<count {
            for cause in events[i].causes {
                guard let c = position[cause] else {
                    throw Self.error(at: events[i], "cause \(cause) names an event that is in none of the files")
                }
                successors[c].append(i)
                indegree[i] += 1
            }
        }
        // Kahn's algorithm, taking the earliest ready line first.
        var ready = MinHeap<Int>()
        for i in 0..<count where indegree[i] == 0 { ready.insert(i) }
        var order: [TraceEvent] = []
        order.reserveCapacity(count)
        var index = VectorClockIndex()
        while let i = ready.popMin() {
            order.append(events[i])
            index.add(node: events[i].node, seq: events[i].seq, causes: events[i].causes)
            for s in successors[i] {
                indegree[s] -= 1
                if indegree[s] == 0 { ready.insert(s) }
            }
        }
        if order.count < count {
            let stuck = (0..<count).first { indegree[$0] > 0 }!
            throw Self.error(at: events[stuck], "happens-before has a cycle through \(events[stuck].id)")
        }
        self.linearized = order
        self.clocks = index
    }

    private static func place(_ event: TraceEvent) -> String {
        event.location == .none ? "\(event.id)" : "file \(event.location.file) line \(event.location.line)"
    }

    private static func error(at event: TraceEvent, _ message: String) -> TraceInputError {
        TraceInputError(file: "", line: event.location.line, message: message)
    }
}
