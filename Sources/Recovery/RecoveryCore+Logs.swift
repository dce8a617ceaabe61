import Trace

// Per-log dependencies: a consumer tags the logs it still has to process and untags each when
// done; a consumer with it in `logs` processes such a log only after the untag, or after the
// tagger ended or was skipped. A tagger that has not tagged a log yet may still tag it, so a
// dependent waits for its untag or its end.

extension RecoveryCore {
    /// `tag`: recorded on the consumer's worker. Tagging a log again is a no-op; tagging it
    /// after untagging it is refused (a dependent may have processed it already).
    mutating func tag(_ ticket: Ticket, _ log: String, _ actions: inout [Action]) {
        guard let c = running(ticket), case let .running(worker) = states[c].status else { return }
        switch states[c].logs[log] {
        case .tagged:
            return
        case .untagged:
            actions.append(.refused(.retagAfterUntag(consumer: ticket.consumer, log: log)))
        case nil:
            let id = emit(.tag(consumer: ticket.consumer, log: log), on: worker, &actions)
            states[c].logs[log] = .tagged(id)
        }
    }

    /// `untag`: recorded on the consumer's worker, and releases the log to waiting dependents.
    /// Untagging a log never tagged says the consumer will not process it: it is released too.
    mutating func untag(_ ticket: Ticket, _ log: String, _ actions: inout [Action]) {
        guard let c = running(ticket), case let .running(worker) = states[c].status else { return }
        if case .untagged = states[c].logs[log] { return }
        let id = emit(.untag(consumer: ticket.consumer, log: log), on: worker, &actions)
        states[c].logs[log] = .untagged(id)
        grantProcesses(&actions)
    }

    /// `process`: granted at once when every consumer in `logs` released the log, else queued.
    mutating func process(_ ticket: Ticket, _ log: String, _ actions: inout [Action]) {
        guard let c = running(ticket) else { return }
        if !grant(c, log, &actions) { waitingProcesses.append((c, log)) }
    }

    /// Grants every queued request that can proceed now, oldest first.
    mutating func grantProcesses(_ actions: inout [Action]) {
        guard !waitingProcesses.isEmpty else { return }
        var still: [(consumer: Int, log: String)] = []
        for request in waitingProcesses where !grant(request.consumer, request.log, &actions) {
            still.append(request)
        }
        waitingProcesses = still
    }

    /// Records `process(c, log)` and returns `.proceed` when every consumer in `c`'s `logs` has
    /// released `log`; its causes are the releasing events. Returns false otherwise.
    mutating func grant(_ c: Int, _ log: String, _ actions: inout [Action]) -> Bool {
        guard case let .running(worker) = states[c].status else { return true }
        var causes: [EventID] = []
        for a in graph.consumers[c].logs {
            guard let event = releaseEvent(of: a, log) else {
                if faults.processBeforeUntag { continue }  // test-only fault: does not wait.
                return false
            }
            if !causes.contains(event) { causes.append(event) }
        }
        emit(.process(consumer: graph.consumers[c].name, log: log), on: worker, causes: causes, &actions)
        actions.append(.proceed(ticket(c), log: log))
        return true
    }

    /// The event by which consumer `a` released `log`: its untag of it, or its end or skip.
    func releaseEvent(of a: Int, _ log: String) -> EventID? {
        if case let .untagged(id) = states[a].logs[log] { return id }
        switch states[a].status {
        case .waiting, .running: return nil
        case .succeeded, .failed, .skipped: return states[a].finish
        }
    }
}
