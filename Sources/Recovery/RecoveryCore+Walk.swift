import Trace

// The walk: start ready consumers on idle workers, observe their ends and timeouts, skip the
// dependents of failures, and record `done` once every consumer ended or was skipped.

extension RecoveryCore {
    /// What one consumer of the current run is doing.
    struct ConsumerState: Sendable, Equatable {
        /// Where it is in its life.
        enum Status: Sendable, Equatable {
            case waiting
            case running(worker: Int)
            case succeeded
            case failed(reason: String)
            case skipped
        }

        var status = Status.waiting
        /// Edges still holding its start: hard deps not yet succeeded, `after` consumers not yet
        /// finished, `logs` consumers not yet started (or skipped).
        var unmet: Int
        /// Its `end` (the worker's, or the framework's timeout end) or `skip` event.
        var finish: EventID?
        /// The logs it tagged or untagged, with the latest such event.
        var logs: [String: LogMark] = [:]
    }

    /// Whether a consumer still holds a log, and the event that says so.
    enum LogMark: Sendable, Equatable {
        case tagged(EventID)
        case untagged(EventID)
    }

    /// Sets up the run's consumers and starts what is ready.
    mutating func startWalk(_ actions: inout [Action]) {
        states = graph.consumers.map { c in
            ConsumerState(unmet: c.deps.count + c.after.count + c.logs.count)
        }
        workers = Array(repeating: nil, count: workerCount)
        ready = MinHeap<Int>()
        waitingProcesses = []
        unfinished = states.count
        for c in states.indices where states[c].unmet == 0 { ready.insert(c) }
        dispatch(&actions)
        finishIfDone(&actions)
    }

    /// Starts ready consumers, earliest registered first, on the lowest-numbered idle workers,
    /// until no worker is idle or nothing is ready.
    mutating func dispatch(_ actions: inout [Action]) {
        while !ready.isEmpty, let worker = workers.firstIndex(where: { $0 == nil }) {
            let c = ready.popMin()!
            let notify = emit(.notify(consumer: graph.consumers[c].name), &actions)
            emit(.start(consumer: graph.consumers[c].name), on: worker, causes: [notify], &actions)
            states[c].status = .running(worker: worker)
            workers[worker] = c
            actions.append(.start(ticket(c), worker: worker, timeout: graph.consumers[c].registration.timeout))
            // Consumers waiting for this one to start (per-log dependents) may be ready now.
            for d in graph.consumers[c].logDependents { release(d) }
            if faults.releaseDependentsAtStart {
                // test-only fault: hard dependents released at the start, not at the success.
                for d in graph.consumers[c].hardDependents { release(d) }
            }
        }
    }

    /// One edge holding `d`'s start is met.
    mutating func release(_ d: Int) {
        states[d].unmet -= 1
        if states[d].unmet == 0, states[d].status == .waiting { ready.insert(d) }
    }

    /// The consumer's action returned or threw: its worker records the `end`, the framework
    /// observes it. Ignored for a consumer that is not running (abandoned, or of a past run).
    mutating func ended(_ ticket: Ticket, failure: String?, _ actions: inout [Action]) {
        guard let c = running(ticket), case let .running(worker) = states[c].status else { return }
        let name = graph.consumers[c].name
        let end = emit(.end(consumer: name, ok: failure == nil, reason: failure), on: worker, &actions)
        emit(.observe(consumer: name), causes: [end], &actions)
        workers[worker] = nil
        states[c].finish = end
        if let failure {
            fail(c, reason: failure, &actions)
        } else {
            states[c].status = .succeeded
            unfinished -= 1
            for d in graph.consumers[c].hardDependents { release(d) }
            for d in graph.consumers[c].softDependents { release(d) }
        }
        grantProcesses(&actions)
        dispatch(&actions)
        finishIfDone(&actions)
    }

    /// The consumer's timeout elapsed while it was running: the framework records its end
    /// (`ok: false`, `"timeout"`) and abandons it, freeing its worker.
    mutating func timedOut(_ ticket: Ticket, _ actions: inout [Action]) {
        guard let c = running(ticket), case let .running(worker) = states[c].status else { return }
        let end = emit(.end(consumer: ticket.consumer, ok: false, reason: "timeout"), &actions)
        actions.append(.abandon(ticket))
        waitingProcesses.removeAll { $0.consumer == c }
        workers[worker] = nil
        states[c].finish = end
        fail(c, reason: "timeout", &actions)
        grantProcesses(&actions)
        dispatch(&actions)
        finishIfDone(&actions)
    }

    /// Marks `c` failed and skips every transitive hard dependent, breadth-first in
    /// registration order of the edges.
    mutating func fail(_ c: Int, reason: String, _ actions: inout [Action]) {
        states[c].status = .failed(reason: reason)
        unfinished -= 1
        for d in graph.consumers[c].softDependents { release(d) }
        var queue = graph.consumers[c].hardDependents
        var head = 0
        while head < queue.count {
            let d = queue[head]
            head += 1
            guard states[d].status == .waiting else { continue }
            states[d].status = .skipped
            unfinished -= 1
            states[d].finish = emit(.skip(consumer: graph.consumers[d].name), &actions)
            for s in graph.consumers[d].softDependents { release(s) }
            for s in graph.consumers[d].logDependents { release(s) }
            if faults.skippedDependentsRun {
                // test-only fault: a skip releases hard dependents as if it were a success.
                for s in graph.consumers[d].hardDependents { release(s) }
            }
            if faults.skipsNotTransitive { continue }  // test-only fault: their dependents wait forever.
            queue.append(contentsOf: graph.consumers[d].hardDependents)
        }
    }

    /// Records `done` and returns the outcome once every consumer ended or was skipped.
    mutating func finishIfDone(_ actions: inout [Action]) {
        // test-only fault (`doneBeforeEnds`): done once nothing waits, forgetting running ones.
        let settled = faults.doneBeforeEnds ? !states.contains { $0.status == .waiting } : unfinished == 0
        guard phase == .walking, settled else { return }
        var outcome = RecoveryOutcome(run: run)
        outcome.rejected = earlyRejections + graph.rejected
        for (c, state) in states.enumerated() {
            let name = graph.consumers[c].name
            switch state.status {
            case .succeeded: outcome.succeeded.append(name)
            case let .failed(reason): outcome.failed.append(.init(consumer: name, reason: reason))
            case .skipped: outcome.skipped.append(name)
            case .waiting, .running: break
            }
        }
        emit(.done(ok: outcome.ok), &actions)
        phase = .finished
        actions.append(.finished(outcome))
    }
}
