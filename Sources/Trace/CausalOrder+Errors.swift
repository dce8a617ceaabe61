// The input errors `CausalOrder` finds, and their messages: a cause that names nothing, a cycle,
// a cut capture, more waiting events than the bound.
extension CausalOrder {
    /// `event` names `cause`, which is not earlier on its own node.
    static func cycleMessage(_ cause: EventID, of event: EventID) -> String {
        "happens-before has a cycle: \(event) names \(cause) as its cause, which is not earlier on its own node"
    }

    /// Throws: `cause` of `event` names an event in none of the files.
    func missing(_ cause: EventID, of event: TraceEvent) throws(Failure) -> Resolution {
        throw .input(error(at: event, Self.missingMessage(cause)))
    }

    /// What `missing` says.
    static func missingMessage(_ cause: EventID) -> String {
        "cause \(cause) names an event that is in none of the files"
    }

    /// `cause` of `event` names a seq past node `m`'s last: dropped with `--truncated`, else an error.
    mutating func truncated(_ cause: EventID, of event: TraceEvent, node m: Int) throws(Failure) -> Resolution {
        if allowTruncated {
            droppedTruncatedCauses += 1
            return .void
        }
        let end = nodes[m].maxSeen >= 0 ? "ends at seq \(nodes[m].maxSeen)" : "has no events"
        throw .input(error(at: event, "cause \(cause) names a seq past the end of node \"\(cause.node)\"'s capture, which \(end); if the capture was cut off, check with --truncated"))
    }

    /// More than `maxPending` events wait: the error names the event read last, the count, the
    /// longest-waiting event, and the option that raises the bound.
    func tooManyPending(at read: SourceLocation) -> Failure {
        window.stopAll()
        var oldest: TraceEvent?
        for queue in queues {
            guard let head = queue.first else { continue }
            if oldest == nil || (head.location.file, head.location.line) < (oldest!.location.file, oldest!.location.line) {
                oldest = head
            }
        }
        var message = "\(pendingCount) events read are waiting for events that happen before them, more than "
            + "the bound of \(maxPending) (--max-pending): the files' line order strays too far from happens-before"
        if let oldest {
            let file = paths[oldest.location.file]
            message += "; the longest waiting is \(oldest.id) at \(file):\(oldest.location.line)"
            let unmet = oldest.causes.first { cause in
                !(nodes.first { $0.name.exactlyEquals(cause.node) }?.processed.contains(cause.seq) ?? false)
            }
            if let cause = unmet {
                message += ", which waits for \(cause)"
            }
        }
        message += ". If the trace is right, raise the bound with --max-pending N (each waiting event "
            + "holds some 200 bytes)"
        return .input(TraceInputError(file: paths[read.file], line: read.line, message: message))
    }

    /// Every file is read and no waiting event is ready: a cause that names nothing, or a cycle.
    mutating func diagnoseStuck() throws(Failure) -> Never {
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
                throw .input(error(at: event, "happens-before has a cycle: \(event.id) names \(cause) in its cause, which cannot happen before it"))
            }
        }
        let first = waiting[0]
        throw .input(error(at: first, "happens-before has a cycle through \(first.id)"))
    }

    /// An input error at `event`'s file and line.
    func error(at event: TraceEvent, _ message: String) -> TraceInputError {
        error(at: event.location, message)
    }

    /// An input error at `location`.
    func error(at location: SourceLocation, _ message: String) -> TraceInputError {
        let file = location.file >= 0 && location.file < paths.count ? paths[location.file] : ""
        return TraceInputError(file: file, line: location.line, message: message)
    }
}
