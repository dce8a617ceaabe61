/// Reads one trace from several files and hands out its events in a linearization of
/// happens-before (feed them to a `VectorClockIndex` to answer reachability).
///
/// Files are read lazily and interleaved; an event waits in a small queue until every event
/// that happens-before it was handed out. Memory therefore grows with how far the files'
/// line order strays from happens-before (what is still pending), not with their length.
/// A value type, used by one task.
public struct CausalOrder {
    /// Why reading stopped.
    public enum Failure: Error, Sendable {
        /// The input is not a valid trace.
        case input(TraceInputError)
        /// A node's events are spread over several files with interleaved seqs; the files must
        /// be scanned once first (`CausalOrder(paths:prescan: true)`) to order them exactly.
        case needsPrescan(node: String)
    }

    private struct Queue {
        let file: Int
        let node: Int
        var items: [TraceEvent] = []
        var head = 0
        var isEmpty: Bool { head == items.count }
        var first: TraceEvent? { head < items.count ? items[head] : nil }
        mutating func push(_ e: TraceEvent) { items.append(e) }
        mutating func pop() {
            head += 1
            if head == items.count { items.removeAll(keepingCapacity: true); head = 0 }
            else if head > 4096 && head * 2 > items.count { items.removeFirst(head); head = 0 }
        }
        var count: Int { items.count - head }
    }

    private struct NodeInfo {
        var name: String
        var processed = SeqSet()
        var processedMax = -1
        var maxSeen = -1
        var files: [Int] = []
        var extensionSeqs: Set<Int> = []
        var waiters: [Int] = []
    }

    private var readers: [PrefetchingReader?]
    private var buffered: [Int]
    /// The files, as the user named them, in the order given.
    public let paths: [String]
    /// The system all headers name.
    public let system: TraceSystem
    private let allowTruncated: Bool
    private let prescanned: Bool

    private var nodeIndex: [ExactName: Int] = [:]
    private var nodes: [NodeInfo] = []
    private var queueIndex: [Int: Int] = [:]  // file * 1_000_003 + node
    private var queues: [Queue] = []
    private var candidates: [Int] = []
    private var orderBlocked: [Int] = []
    private var pendingCount = 0

    /// Causes dropped because they named seqs past the end of a node's capture (`--truncated`).
    public private(set) var droppedTruncatedCauses = 0
    /// Last lines dropped because they were cut off mid-write (`--truncated`): no newline after
    /// them and not valid JSON; at most one per file.
    public private(set) var droppedTruncatedLines = 0
    /// Causes that named `x-` events, and so named no event.
    public private(set) var droppedExtensionCauses = 0
    /// Events handed out so far.
    public private(set) var eventCount = 0
    /// The most events held in queues at once: the window the trace needed.
    public private(set) var peakPending = 0

    /// Opens every file and checks that their headers agree.
    /// - Parameters:
    ///   - allowTruncated: accept captures whose tails were cut off, dropping causes that name
    ///     seqs past a node's last event and a file's last line cut off mid-write.
    ///   - prescan: read every file once first to learn which nodes each one holds (needed only
    ///     when a node's seqs interleave across files; see `Failure.needsPrescan`).
    public init(paths: [String], allowTruncated: Bool = false, prescan: Bool = false) throws(Failure) {
        guard !paths.isEmpty else {
            throw .input(TraceInputError(file: "", line: 0, message: "no trace files to read"))
        }
        var readers: [PrefetchingReader?] = []
        var system: TraceSystem?
        for (i, path) in paths.enumerated() {
            let reader: PrefetchingReader
            do {
                reader = try PrefetchingReader(path: path, fileIndex: i, allowTruncated: allowTruncated)
            } catch {
                throw .input(error)
            }
            if let system, reader.header.system != system {
                throw .input(TraceInputError(
                    file: path, line: 1,
                    message: "header names system \"\(reader.header.system.rawValue)\" but \(paths[0]) names \"\(system.rawValue)\"; one trace is of one system"))
            }
            system = reader.header.system
            readers.append(reader)
        }
        self.readers = readers
        self.buffered = Array(repeating: 0, count: paths.count)
        self.paths = paths
        self.system = system!
        self.allowTruncated = allowTruncated
        self.prescanned = prescan
        if prescan { try scanNodes() }
    }

    /// Reads every file once, noting which nodes each holds.
    private mutating func scanNodes() throws(Failure) {
        for (i, path) in paths.enumerated() {
            var reader: TraceFileReader
            do {
                reader = try TraceFileReader(path: path, fileIndex: i, allowTruncated: allowTruncated)
            } catch {
                throw .input(error)
            }
            do {
                while let item = try reader.next() {
                    if case .event(let e) = item { let n = intern(e.node); if !nodes[n].files.contains(i) { nodes[n].files.append(i) } }
                }
            } catch { throw .input(error) }
        }
    }

    private mutating func intern(_ name: String) -> Int {
        // Few nodes: a scan of small strings beats hashing.
        if nodes.count <= 8 {
            for i in nodes.indices where nodes[i].name.exactlyEquals(name) { return i }
        } else if let n = nodeIndex[ExactName(name)] {
            return n
        }
        nodeIndex[ExactName(name)] = nodes.count
        nodes.append(NodeInfo(name: name))
        return nodes.count - 1
    }

    private mutating func queue(file: Int, node: Int) -> Int {
        let key = file &* 1_000_003 &+ node
        if let q = queueIndex[key] { return q }
        queueIndex[key] = queues.count
        queues.append(Queue(file: file, node: node))
        return queues.count - 1
    }

    /// The next event in happens-before order, with causes that name no event removed;
    /// nil at the end of the trace.
    public mutating func next() throws(Failure) -> TraceEvent? {
        while true {
            while let q = candidates.popLast() {
                if let event = try take(from: q) { return event }
            }
            if try !readMore() {
                if pendingCount == 0 { return nil }
                try diagnoseStuck()
            }
        }
    }

    /// Hands out the head of queue `q` if it is ready; otherwise parks the queue.
    private mutating func take(from q: Int) throws(Failure) -> TraceEvent? {
        guard var event = queues[q].first else { return nil }
        let n = queues[q].node
        if event.seq <= nodes[n].processedMax {
            if nodes[n].processed.contains(event.seq) {
                throw .input(error(at: event, "duplicate event \(event.id): that node and seq were already read"))
            }
            throw .needsPrescan(node: nodes[n].name)
        }
        // Node order: no other file may still hold a lower seq of this node.
        for f in nodes[n].files where f != queues[q].file {
            let other = queue(file: f, node: n)
            if let head = queues[other].first {
                if head.seq < event.seq { orderBlocked.append(q); return nil }
            } else if readers[f] != nil {
                orderBlocked.append(q)
                return nil
            }
        }
        // Causes.
        var kept = event.causes
        var dropped = false
        var i = 0
        while i < kept.count {
            let cause = kept[i]
            switch try resolve(cause, of: event) {
            case .present: i += 1
            case .void: kept.remove(at: i); dropped = true
            case .waitFor(let m):
                nodes[m].waiters.append(q)
                return nil
            }
        }
        if dropped { event.causes = kept }
        queues[q].pop()
        pendingCount -= 1
        buffered[queues[q].file] -= 1
        nodes[n].processed.append(event.seq)
        nodes[n].processedMax = event.seq
        eventCount += 1
        candidates.append(q)
        if !nodes[n].waiters.isEmpty {
            candidates.append(contentsOf: nodes[n].waiters)
            nodes[n].waiters.removeAll(keepingCapacity: true)
        }
        if !orderBlocked.isEmpty {
            candidates.append(contentsOf: orderBlocked)
            orderBlocked.removeAll(keepingCapacity: true)
        }
        return event
    }

    private enum Resolution { case present, void, waitFor(Int) }

    private mutating func resolve(_ cause: EventID, of event: TraceEvent) throws(Failure) -> Resolution {
        if cause.node.exactlyEquals(event.node) && cause.seq >= event.seq {
            throw .input(error(at: event, "happens-before has a cycle: \(event.id) names \(cause) as its cause, which is not earlier on its own node"))
        }
        let m = intern(cause.node)
        if nodes[m].processed.contains(cause.seq) { return .present }
        if cause.seq <= nodes[m].processedMax {
            // The node has moved past this seq, so no event of it with this seq will come:
            // unless, without a prescan, another file holds a lower stretch of the node.
            if nodes[m].extensionSeqs.contains(cause.seq) { return droppedExtension() }
            if !prescanned && paths.count > 1 { throw .needsPrescan(node: cause.node) }
            return try missing(cause, of: event)
        }
        if nodes[m].files.isEmpty {
            // The node has not shown up in any file yet.
            guard readersAllDone else { return .waitFor(m) }
            if nodes[m].extensionSeqs.contains(cause.seq) { return droppedExtension() }
            throw .input(error(at: event, "cause \(cause) names node \"\(cause.node)\", but no file given holds an "
                + "event of that node: give its file too (or check the node's name)"))
        }
        // Without a prescan, any file still open may hold more of the node (a rotated log).
        let open = prescanned ? nodes[m].files.contains { readers[$0] != nil } : !readersAllDone
        if open || isPending(node: m, seq: cause.seq) { return .waitFor(m) }
        // Every event of the node is read and none has this seq.
        if nodes[m].extensionSeqs.contains(cause.seq) { return droppedExtension() }
        if cause.seq > nodes[m].maxSeen { return try truncated(cause, of: event, node: m) }
        return try missing(cause, of: event)
    }

    /// A cause that named an `x-` event, which names no event: dropped.
    private mutating func droppedExtension() -> Resolution {
        droppedExtensionCauses += 1
        return .void
    }

    /// Whether an event of node `m` with this seq waits in a queue.
    private func isPending(node m: Int, seq: Int) -> Bool {
        for f in nodes[m].files {
            guard let q = queueIndex[f &* 1_000_003 &+ m] else { continue }
            let items = queues[q].items
            var lo = queues[q].head, hi = items.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if items[mid].seq < seq { lo = mid + 1 } else { hi = mid }
            }
            if lo < items.count && items[lo].seq == seq { return true }
        }
        return false
    }

    private var readersAllDone: Bool { !readers.contains { $0 != nil } }

    private func missing(_ cause: EventID, of event: TraceEvent) throws(Failure) -> Resolution {
        throw .input(error(at: event, "cause \(cause) names an event that is in none of the files"))
    }

    private mutating func truncated(_ cause: EventID, of event: TraceEvent, node m: Int) throws(Failure) -> Resolution {
        if allowTruncated {
            droppedTruncatedCauses += 1
            return .void
        }
        let end = nodes[m].maxSeen >= 0 ? "ends at seq \(nodes[m].maxSeen)" : "has no events"
        throw .input(error(at: event, "cause \(cause) names a seq past the end of node \"\(cause.node)\"'s capture, which \(end); if the capture was cut off, check with --truncated"))
    }

    /// Reads one more line from the file with the fewest events waiting; false when all are done.
    private mutating func readMore() throws(Failure) -> Bool {
        var best: Int?
        for f in readers.indices where readers[f] != nil {
            if best == nil || buffered[f] < buffered[best!] { best = f }
        }
        guard let f = best else { return false }
        let item: TraceItem?
        do { item = try readers[f]!.next() } catch {
            for r in readers { r?.stop() }
            throw .input(error)
        }
        switch item {
        case nil:
            droppedTruncatedLines += readers[f]!.droppedCutLines
            readers[f] = nil
            wakeAll()
        case .extensionEvent(let id)?:
            if let id { nodes[intern(id.node)].extensionSeqs.insert(id.seq) }
        case .event(let event)?:
            let n = intern(event.node)
            if !nodes[n].files.contains(f) {
                if prescanned { preconditionFailure("prescan missed a node") }
                nodes[n].files.append(f)
            }
            if event.seq > nodes[n].maxSeen { nodes[n].maxSeen = event.seq }
            let q = queue(file: f, node: n)
            if queues[q].isEmpty { candidates.append(q) }
            queues[q].push(event)
            pendingCount += 1
            buffered[f] += 1
            if pendingCount > peakPending { peakPending = pendingCount }
            if !orderBlocked.isEmpty {
                candidates.append(contentsOf: orderBlocked)
                orderBlocked.removeAll(keepingCapacity: true)
            }
        }
        return true
    }

    /// A file ended: every parked queue may now resolve (a truncated tail, a missing cause).
    private mutating func wakeAll() {
        for n in nodes.indices where !nodes[n].waiters.isEmpty {
            candidates.append(contentsOf: nodes[n].waiters)
            nodes[n].waiters.removeAll()
        }
        candidates.append(contentsOf: orderBlocked)
        orderBlocked.removeAll()
    }

    /// Every file is read and no waiting event is ready: a cause that names nothing, or a cycle.
    private mutating func diagnoseStuck() throws(Failure) -> Never {
        var waiting: [TraceEvent] = []
        for q in queues.indices { waiting += queues[q].items[queues[q].head...] }
        waiting.sort { ($0.location.file, $0.location.line) < ($1.location.file, $1.location.line) }
        let pendingIDs = Set(waiting.map(\.id))
        // A cause naming an event that is neither read nor waiting names nothing.
        for event in waiting {
            for cause in event.causes where !pendingIDs.contains(cause) {
                let m = intern(cause.node)
                if nodes[m].processed.contains(cause.seq) || nodes[m].extensionSeqs.contains(cause.seq) { continue }
                if cause.seq > nodes[m].maxSeen && nodes[m].maxSeen >= 0 {
                    if allowTruncated { continue }
                    _ = try truncated(cause, of: event, node: m)
                }
                _ = try missing(cause, of: event)
            }
        }
        for event in waiting {
            for cause in event.causes where pendingIDs.contains(cause) {
                throw .input(error(at: event, "happens-before has a cycle: \(event.id) is caused by \(cause), which cannot happen before it"))
            }
        }
        let first = waiting[0]
        throw .input(error(at: first, "happens-before has a cycle through \(first.id)"))
    }

    private func error(at event: TraceEvent, _ message: String) -> TraceInputError {
        let file = event.location.file >= 0 && event.location.file < paths.count ? paths[event.location.file] : ""
        return TraceInputError(file: file, line: event.location.line, message: message)
    }
}
