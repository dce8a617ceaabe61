// How `CausalOrder` judges an event's causes: handed out, to wait for, or naming no event
// (dropped, or an input error once every file is read).
extension CausalOrder {
    /// A cause that only an `x-` event (or, for a later seq of its event's own node, a real
    /// event still to come: a cycle) can match; its message is made only if it is an error.
    struct Doubt {
        /// The node the cause names (an index into `nodes`).
        var node: Int
        /// The cause.
        var cause: EventID
        /// The event that names it, and where that event was read.
        var event: EventID
        var location: SourceLocation
        /// A later seq of the event's own node (else a seq its node has moved past).
        var ownNode: Bool
    }

    /// What a cause comes to: an event handed out, nothing (dropped), or an event of a node to wait for.
    enum Resolution { case present, void, waitFor(Int) }

    /// What `cause` of `event` comes to now; throws when it can be known to name no event
    /// (or a later event of its own node: a cycle) and nothing may excuse it.
    mutating func resolve(_ cause: EventID, of event: TraceEvent) throws(Failure) -> Resolution {
        if cause.node.exactlyEquals(event.node) && cause.seq >= event.seq {
            // Unless only an `x-` event has that later seq: the event itself has its own.
            if cause.seq == event.seq { throw .input(error(at: event.location, Self.cycleMessage(cause, of: event.id))) }
            return try doubt(cause, of: event, node: intern(cause.node), ownNode: true)
        }
        let m = intern(cause.node)
        if nodes[m].processed.contains(cause.seq) { return .present }
        if cause.seq <= nodes[m].processedMax {
            // The node has moved past this seq, so no event of it with this seq will come:
            // unless, without a prescan, another file holds a lower stretch of the node.
            if !prescanned && paths.count > 1 && !nodes[m].extensionSeqs.contains(cause.seq) {
                throw .needsPrescan(node: cause.node)
            }
            return try doubt(cause, of: event, node: m, ownNode: false)
        }
        if nodes[m].files.isEmpty {
            // The node has not shown up in any file yet.
            guard readersAllDone else { return .waitFor(m) }
            if nodes[m].extensionSeqs.contains(cause.seq) { return droppedExtension() }
            throw .input(error(at: event, "cause \(cause) names node \"\(cause.node)\", but no file given holds an "
                + "event of that node: give its file too (or check the node's name)"))
        }
        // Without a prescan, any file still open may hold more of the node (a rotated log).
        let open = prescanned ? nodes[m].unfinished > 0 : !readersAllDone
        if open || isPending(node: m, seq: cause.seq) { return .waitFor(m) }
        // Every event of the node is read and none has this seq.
        if nodes[m].extensionSeqs.contains(cause.seq) { return droppedExtension() }
        if cause.seq > nodes[m].maxSeen { return try truncated(cause, of: event, node: m) }
        return try missing(cause, of: event)
    }

    /// A cause only an `x-` event may satisfy: a seq its node moved past (`ownNode` false), or
    /// a later seq of the event's own node, which a real event still to come may also have (an
    /// `x-` seq is never checked), making a cycle. Dropped when that is known, an error once
    /// every file is read, else dropped for now and judged at the end (`settleDoubts`).
    mutating func doubt(_ cause: EventID, of event: TraceEvent, node m: Int, ownNode: Bool) throws(Failure) -> Resolution {
        let onlyExtension = nodes[m].extensionSeqs.contains(cause.seq)
        if !ownNode && onlyExtension { return droppedExtension() }
        if readersAllDone {
            if ownNode && onlyExtension && !nodes[m].processed.contains(cause.seq) && !isPending(node: m, seq: cause.seq) {
                return droppedExtension()
            }
            throw .input(error(at: event.location, ownNode ? Self.cycleMessage(cause, of: event.id) : Self.missingMessage(cause)))
        }
        doubtful.append(Doubt(node: m, cause: cause, event: event.id, location: event.location, ownNode: ownNode))
        return .void
    }

    /// Every event was handed out: each doubtful cause named an `x-` event, or is an error.
    mutating func settleDoubts() throws(Failure) {
        for doubt in doubtful {
            guard nodes[doubt.node].extensionSeqs.contains(doubt.cause.seq), !nodes[doubt.node].processed.contains(doubt.cause.seq)
            else {
                let message = doubt.ownNode ? Self.cycleMessage(doubt.cause, of: doubt.event) : Self.missingMessage(doubt.cause)
                throw .input(error(at: doubt.location, message))
            }
            droppedExtensionCauses += 1
        }
        doubtful.removeAll()
    }

    /// A cause that named an `x-` event, which names no event: dropped.
    mutating func droppedExtension() -> Resolution {
        droppedExtensionCauses += 1
        return .void
    }

    /// Whether an event of node `m` with this seq waits in a queue.
    func isPending(node m: Int, seq: Int) -> Bool {
        for q in nodes[m].nonEmpty {
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
}
