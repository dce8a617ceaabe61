/// Reads one trace from several files and hands out its events in a linearization of
/// happens-before (feed them to a `VectorClockIndex` to answer reachability).
///
/// Files are read lazily and interleaved, at most `maxOpenFiles` open at once (the next one is
/// opened when one ends); an event waits in a small queue until every event that
/// happens-before it was handed out. Memory therefore grows with how far the files' line order
/// strays from happens-before (what is still pending), not with their length, and is bounded:
/// more than `maxPending` waiting events is an input error naming the option that raises it.
/// Time is linear in the events and the files. A value type, used by one task.
package struct CausalOrder {
    /// Why reading stopped.
    package enum Failure: Error, Sendable {
        /// The input is not a valid trace.
        case input(TraceInputError)
        /// A node's events are spread over several files with interleaved seqs; the files must
        /// be scanned once first (`CausalOrder(paths:prescan: true)`) to order them exactly.
        case needsPrescan(node: String)
    }

    struct NodeInfo {
        var name: String
        var processed = SeqSet()
        var processedMax = -1
        var maxSeen = -1
        var files: [Int] = []
        var extensionSeqs: Set<Int> = []
        /// Queues parked until an event of this node is handed out.
        var waiters: [Int] = []
        /// The lowest seq of this node that a parked queue waits for (`Int.max`: none noted):
        /// handing out an earlier seq cannot change what a lone waiter's head resolves to
        /// (see `wake`).
        var wakeAt = Int.max
        /// The head seqs of this node's queues that hold events (some stale; see `validTop`);
        /// kept only once the node is in more than one file.
        var heads = MinHeap<QueueHead>()
        /// This node's queues that hold events, in no order (each knows its `slot` here).
        var nonEmpty: [Int] = []
        /// Files of this node whose queue of it is empty and that have not ended: each may
        /// still hold a lower seq of the node.
        var emptyUnfinished = 0
        /// Files of this node that have not ended.
        var unfinished = 0

        /// Notes that event `seq` of the node was handed out (one access to the node's entry).
        @inline(__always) mutating func handedOut(_ seq: Int) {
            processed.append(seq)
            processedMax = seq
        }
    }

    /// The files, at most `maxOpenFiles` of them open at once.
    var window: TraceFileWindow
    private var buffered: [Int]
    /// Per file: the nodes it holds (as far as read, or as the prescan found).
    private var fileNodes: [[Int]]
    /// The files, as the user named them, in the order given.
    package let paths: [String]
    /// The system all headers name.
    package let system: TraceSystem
    let allowTruncated: Bool
    /// Whether every file was scanned first (`prescan`), so which nodes each holds is known.
    let prescanned: Bool

    private var nodeIndex: [ExactName: Int] = [:]
    var nodes: [NodeInfo] = []
    private var queueIndex: [Int: Int] = [:]  // file * 1_000_003 + node
    /// Per file: the node of its latest event and that node's queue of the file (most files
    /// hold one node), so that most events skip `queueIndex`.
    private var lastQueue: [(node: Int, queue: Int)]
    var queues: [EventQueue] = []
    private var candidates: [Int] = []
    var pendingCount = 0
    /// Causes that name no event read so far and that no event still to come can have,
    /// except an `x-` one (their seqs are not checked, so one may come anywhere): each is an
    /// input error unless such an `x-` event turns up by the end of the trace (`Doubt`).
    var doubtful: [Doubt] = []

    /// The default bound on waiting events (`maxPending`): 4,000,000, some 700 MiB.
    package static let defaultMaxPending = 4_000_000
    /// The most events that may wait for their causes at once; one more is an input error.
    package let maxPending: Int
    /// The most files open at once.
    package var maxOpenFiles: Int { window.maxOpen }
    /// The most files that were open at once.
    package var peakOpenFiles: Int { window.peakOpen }

    /// Causes dropped because they named seqs past the end of a node's capture (`--truncated`).
    package internal(set) var droppedTruncatedCauses = 0
    /// Last lines dropped because they were cut off mid-write (`--truncated`): no newline after
    /// them and not valid JSON; at most one per file.
    package private(set) var droppedTruncatedLines = 0
    /// Causes that named `x-` events, and so named no event.
    package internal(set) var droppedExtensionCauses = 0
    /// Events handed out so far.
    package private(set) var eventCount = 0
    /// Bytes of the files read so far (compressed bytes for gzip), a little ahead of the
    /// events handed out: what a progress line shows.
    package var bytesRead: Int { window.bytesRead }
    /// Heads of queues looked at to keep node order: a measure of the work per event.
    private(set) var orderCheckSteps = 0
    /// The most events held in queues at once: the window the trace needed.
    package private(set) var peakPending = 0

    /// Opens the first files and checks that their headers agree (a file opened later is
    /// checked when it is opened).
    /// - Parameters:
    ///   - allowTruncated: accept captures whose tails were cut off, dropping causes that name
    ///     seqs past a node's last event and a file's last line cut off mid-write.
    ///   - prescan: read every file once first to learn which nodes each one holds (needed only
    ///     when a node's seqs interleave across files; see `Failure.needsPrescan`).
    ///   - maxPending: the most events that may wait for their causes at once.
    ///   - maxOpenFiles: the most files open at once; by default a quarter of `ulimit -n`,
    ///     between 8 and 256.
    ///   - parallelRead: parse each open file ahead on a thread of its own (less wall time
    ///     when cores are free, more CPU time) rather than on the caller's thread.
    package init(
        paths: [String], allowTruncated: Bool = false, prescan: Bool = false,
        maxPending: Int = CausalOrder.defaultMaxPending, maxOpenFiles: Int? = nil, parallelRead: Bool = false
    ) throws(Failure) {
        guard !paths.isEmpty else {
            throw .input(TraceInputError(file: "", line: 0, message: "no trace files to read"))
        }
        do {
            window = try TraceFileWindow(
                paths: paths, allowTruncated: allowTruncated, maxOpen: maxOpenFiles ?? TraceFileWindow.defaultMaxOpen,
                parallel: parallelRead)
        } catch {
            throw .input(error)
        }
        self.buffered = Array(repeating: 0, count: paths.count)
        self.fileNodes = Array(repeating: [], count: paths.count)
        self.lastQueue = Array(repeating: (-1, -1), count: paths.count)
        self.paths = paths
        self.system = window.system
        self.allowTruncated = allowTruncated
        self.prescanned = prescan
        self.maxPending = max(maxPending, 1)
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
                    switch item {
                    case .event(let e):
                        // Files are scanned in order, so a node already noted for this file has it last.
                        let n = intern(e.node)
                        if nodes[n].files.last != i { add(file: i, to: n) }
                    case .extensionEvent(let id?):
                        // Known before any cause is judged: an `x-` event may be in a file that
                        // holds none of its node's other events, read after the node's files end.
                        nodes[intern(id.node)].extensionSeqs.insert(id.seq)
                    default:
                        break
                    }
                }
            } catch { throw .input(error) }
        }
    }

    /// Notes that file `f` holds node `n` (its queue of it still empty, the file unfinished).
    private mutating func add(file f: Int, to n: Int) {
        nodes[n].files.append(f)
        fileNodes[f].append(n)
        if nodes[n].files.count == 2 {
            // Node order across files starts to matter: note the heads waiting so far.
            for q in nodes[n].nonEmpty { nodes[n].heads.insert(QueueHead(seq: queues[q].items[queues[q].head].seq, queue: q)) }
        }
        if !window.isFinished(f) {
            nodes[n].unfinished += 1
            nodes[n].emptyUnfinished += 1
        }
    }

    mutating func intern(_ name: String) -> Int {
        // Few nodes: a scan of small strings beats hashing.
        if nodes.count <= 8 {
            if let i = firstIndexExactlyEqual(name, count: nodes.count, name: { nodes[$0].name }) { return i }
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
        queues.append(EventQueue(file: file, node: node))
        return queues.count - 1
    }

    /// The next event in happens-before order, with causes that name no event removed;
    /// nil at the end of the trace. Not to be called again once it threw: the files'
    /// readers were stopped.
    package mutating func next() throws(Failure) -> TraceEvent? {
        var event: TraceEvent?
        _ = try handOut { e in
            event = copy e
            return false
        }
        return event
    }

    /// Hands `body` the events in happens-before order, with causes that name no event
    /// removed, until `body` returns false: the order pauses there and this returns true,
    /// even after the trace's last event (the next call finds the end). Returns false once
    /// the trace ended. An event that is ready as soon as it is read is handed over where it
    /// was read: the replay's usual case (a file per node), spared the copies of returning
    /// it. Not to be called again once it threw: the files' readers were stopped.
    package mutating func handOut(to body: (borrowing TraceEvent) -> Bool) throws(Failure) -> Bool {
        while true {
            while let q = candidates.popLast() {
                if let event = try take(from: q), !body(event) { return true }
            }
            switch try readMore(body) {
            case .read: continue
            case .paused: return true
            case .ended:
                if pendingCount == 0 {
                    try settleDoubts()
                    return false
                }
                try diagnoseStuck()
            }
        }
    }

    /// Hands out the head of queue `q` if it is ready; otherwise parks the queue.
    private mutating func take(from q: Int) throws(Failure) -> TraceEvent? {
        guard !queues[q].isEmpty else { return nil }
        var event = queues[q].takeFirst()
        let isReady: Bool
        do {
            isReady = try ready(&event, queue: q)
        } catch {
            queues[q].restoreFirst(&event)
            throw error
        }
        guard isReady else {
            queues[q].restoreFirst(&event)
            return nil
        }
        let n = queues[q].node
        queues[q].pop()
        if let seq = queues[q].firstSeq {
            if nodes[n].files.count > 1 { nodes[n].heads.insert(QueueHead(seq: seq, queue: q)) }
        } else {
            emptied(q)
        }
        pendingCount -= 1
        buffered[queues[q].file] -= 1
        handedOut(event.seq, of: n)
        candidates.append(q)
        wake(n)
        wakeOrder(n)
        return event
    }

    /// Notes that node `n`'s event `seq` was handed out (its waiters are woken by the caller).
    @inline(__always) private mutating func handedOut(_ seq: Int, of n: Int) {
        nodes[n].handedOut(seq)
        eventCount += 1
    }

    /// Whether `event`, the head of queue `q` (or read for it while it is empty), may be handed
    /// out: every event that happens before it was. If so, its causes that name no event are
    /// removed; if not, the queue is parked where it waits.
    private mutating func ready(_ event: inout TraceEvent, queue q: Int) throws(Failure) -> Bool {
        let n = queues[q].node
        if event.seq <= nodes[n].processedMax {
            if nodes[n].processed.contains(event.seq) {
                throw .input(error(at: event, "duplicate event \(event.id): that node and seq were already read"))
            }
            throw .needsPrescan(node: nodes[n].name)
        }
        // Node order: no other file may still hold a lower seq of this node: none that has not
        // ended has nothing waiting, and no queue's head is lower. Only the lowest head can go
        // on, so only it is woken (`wakeOrder`) when the node's queues or files change.
        if nodes[n].files.count > 1 {
            if nodes[n].emptyUnfinished > 0 { return false }
            if let top = validTop(n), top.seq < event.seq { return false }
        }
        // Causes.
        var dropped: [Int] = []
        // Called only when some were dropped (checked inline: most events drop none).
        func dropThem() {
            event.causes = event.causes.indices.filter { !dropped.contains($0) }.map { event.causes[$0] }
        }
        for i in event.causes.indices {
            switch try resolve(event.causes[i], of: event) {
            case .present: continue
            case .void: dropped.append(i)
            case .waitFor(let m):
                nodes[m].waiters.append(q)
                nodes[m].wakeAt = min(nodes[m].wakeAt, event.causes[i].seq)
                // What names no event is not judged (nor counted) again when the event is retried.
                if !dropped.isEmpty { dropThem() }
                return false
            }
        }
        if !dropped.isEmpty { dropThem() }
        return true
    }

    /// Queue `q` ran empty: it leaves its node's non-empty queues, and its file, if unfinished,
    /// may now hold a lower seq of the node.
    private mutating func emptied(_ q: Int) {
        let n = queues[q].node
        let slot = queues[q].slot, last = nodes[n].nonEmpty.removeLast()
        if last != q {
            nodes[n].nonEmpty[slot] = last
            queues[last].slot = slot
        }
        queues[q].slot = -1
        if !window.isFinished(queues[q].file) { nodes[n].emptyUnfinished += 1 }
    }

    /// An event of node `n` was handed out: its waiters try again. Not a lone waiter for a
    /// later seq of `n`, when `n` and the waiter's node are each in one file (the streaming
    /// case, woken by each of the other node's events): retried, it would fail on the same
    /// cause and park again at once, so the order of hand-outs is the same. (Where `n` is in
    /// several files, `wakeOrder` may carry `n` past that seq before an old retry came up.)
    @inline(__always) private mutating func wake(_ n: Int) {
        if !nodes[n].waiters.isEmpty {
            if nodes[n].waiters.count == 1, nodes[n].processedMax < nodes[n].wakeAt, nodes[n].files.count == 1,
               nodes[queues[nodes[n].waiters[0]].node].files.count == 1 {
                return
            }
            wakeAll(n)
        }
    }

    /// Node `n`'s waiters try again, whatever they wait for (a file ended, or `wake` found
    /// they might go on).
    private mutating func wakeAll(_ n: Int) {
        if !nodes[n].waiters.isEmpty {
            // One by one: appending the array whole retains and releases it.
            for i in nodes[n].waiters.indices { candidates.append(nodes[n].waiters[i]) }
            nodes[n].waiters.removeAll(keepingCapacity: true)
        }
        nodes[n].wakeAt = Int.max
    }

    /// Node `n`'s queues or files changed: the queue with its lowest head tries again, if no
    /// unfinished file of it has nothing waiting.
    private mutating func wakeOrder(_ n: Int) {
        if nodes[n].files.count > 1, nodes[n].emptyUnfinished == 0, let top = validTop(n) { candidates.append(top.queue) }
    }

    /// The lowest head among node `n`'s queues, dropping pairs whose queue moved on.
    private mutating func validTop(_ n: Int) -> QueueHead? {
        while let top = nodes[n].heads.min {
            orderCheckSteps &+= 1
            if queues[top.queue].firstSeq == top.seq { return top }
            nodes[n].heads.popMin()
        }
        return nil
    }

    /// Whether every file was read to its end.
    var readersAllDone: Bool { window.allFinished }

    /// What `readMore` did: every file had `ended`; a line was `read` (what it holds, if
    /// anything, waits in a queue or was handed to the body, which went on); or an event read
    /// was handed to the body, which `paused`.
    private enum ReadResult { case ended, read, paused }

    /// Reads one more line from the open file with the fewest events waiting. Called only when
    /// no queue is a candidate, so an event read for an empty queue of a node in one file is
    /// the next one tried whatever happens: it is tried at once, and queued only if it must wait
    /// (the streaming case, a file per node, queues nothing).
    private mutating func readMore(_ body: (borrowing TraceEvent) -> Bool) throws(Failure) -> ReadResult {
        let read: (file: Int, slot: UnsafeMutablePointer<TraceItem>?)?
        do { read = try window.read(fewest: buffered) } catch { throw .input(error) }
        guard let (f, slot) = read else { return .ended }
        guard let slot else {
            droppedTruncatedLines = window.droppedCutLines
            ended(file: f)
            return .read
        }
        switch slot.move() {
        case .extensionEvent(let id):
            if let id { nodes[intern(id.node)].extensionSeqs.insert(id.seq) }
        case .event(var event):
            // The node of the file's latest event first: a file mostly holds one node, whose
            // name comes with the same representation each time.
            let last = lastQueue[f].node
            let n = last >= 0 && nodes[last].name.sameRepresentation(event.node) ? last : intern(event.node)
            let q: Int
            if last == n {
                q = lastQueue[f].queue
            } else if let known = queueIndex[f &* 1_000_003 &+ n] {
                q = known
                lastQueue[f] = (n, q)
            } else {
                q = queue(file: f, node: n)
                if prescanned {
                    precondition(fileNodes[f].contains(n), "prescan missed a node")
                } else {
                    add(file: f, to: n)
                }
                lastQueue[f] = (n, q)
            }
            if event.seq > nodes[n].maxSeen { nodes[n].maxSeen = event.seq }
            let streaming = queues[q].isEmpty && nodes[n].files.count == 1 && pendingCount < maxPending
            if streaming {
                // Tried at once, as `take` would (it is the only candidate): handed out, or
                // queued below with its queue parked.
                if pendingCount + 1 > peakPending { peakPending = pendingCount + 1 }
                if try ready(&event, queue: q) {
                    handedOut(event.seq, of: n)
                    wake(n)
                    return body(event) ? .read : .paused
                }
            }
            if queues[q].isEmpty {
                if !streaming { candidates.append(q) }
                queues[q].slot = nodes[n].nonEmpty.count
                nodes[n].nonEmpty.append(q)
                nodes[n].emptyUnfinished -= 1
                if nodes[n].files.count > 1 { nodes[n].heads.insert(QueueHead(seq: event.seq, queue: q)) }
            }
            let location = event.location
            queues[q].push(consume event)
            pendingCount += 1
            buffered[f] += 1
            if pendingCount > peakPending { peakPending = pendingCount }
            if pendingCount > maxPending { throw tooManyPending(at: location) }
            // A head appeared: the node's lowest queue may go on now.
            if queues[q].count == 1 { wakeOrder(n) }
        }
        return .read
    }

    /// File `f` ended: its nodes' parked queues may now go on; once every file ended, every
    /// parked queue may resolve (a truncated tail, a missing cause).
    private mutating func ended(file f: Int) {
        for n in fileNodes[f] {
            nodes[n].unfinished -= 1
            if let q = queueIndex[f &* 1_000_003 &+ n], !queues[q].isEmpty {} else { nodes[n].emptyUnfinished -= 1 }
            wakeAll(n)
            wakeOrder(n)
        }
        if window.allFinished {
            for n in nodes.indices {
                wakeAll(n)
                wakeOrder(n)
            }
        }
    }
}
