import Trace

// `recovery.acyclic`: registrations come before `begin`, name each consumer once, and form a DAG
// over registered consumers.

extension RecoverySpec {
    /// An accepted registration: it belongs to the framework's current run, or opens the next one.
    mutating func register(
        _ consumer: Name, deps: [Name], after: [Name], logs: [Name], at stamp: EventStamp,
        sink: SpecSink
    ) {
        let r = openingRun()
        let late = runs[r].begin != nil
        if let begin = runs[r].begin {
            sink.report(Violation(
                .recoveryAcyclic,
                "consumer \"\(consumer)\" is registered at \(stamp) after \(runs[r].name) began at \(begin); "
                    + "the graph was sealed by then",
                events: [stamp, begin]))
        }
        if let first = runs[r].registrations[consumer] {
            sink.report(Violation(
                .recoveryAcyclic,
                "consumer \"\(consumer)\" is registered twice in \(runs[r].name): \(stamp) repeats \(first.stamp)",
                events: [stamp, first.stamp]))
            return
        }
        let registration = Registration(
            stamp: stamp, deps: deps, after: after, logs: logs, late: late, index: runs[r].order.count)
        runs[r].registrations[consumer] = registration
        runs[r].order.append(consumer)
        if late {
            // Not part of the sealed graph: at least check that its names exist.
            let unknown = Self.uniqued(deps + after + logs).filter { !runs[r].isRegistered($0) }
            reportUnknown(unknown, namedBy: consumer, registration, in: r, sink: sink)
            // Its events observed so far waited for this registration: judge them now.
            if let waiting = runs[r].unregistered.removeValue(forKey: consumer) {
                for deferred in waiting { judge(deferred.event, run: r, sink: sink) }
            }
        }
    }

    /// A refused registration: remembered for messages; it may open the next run.
    mutating func reject(_ consumer: Name, reason: String, at stamp: EventStamp) {
        let r = openingRun()
        if runs[r].rejections[consumer] == nil {
            runs[r].rejections[consumer] = Rejection(stamp: stamp, reason: reason)
        }
    }

    /// `begin`: seals the run's graph and hands it to the acyclicity obligation.
    mutating func begin(at stamp: EventStamp, sink: SpecSink) {
        let r = openingRun()
        if let first = runs[r].begin {
            sink.report(Violation(
                .recoveryAcyclic,
                "\(runs[r].name) begins again at \(stamp) without a done or crash since its begin at \(first); "
                    + "its graph was already sealed",
                events: [stamp, first]))
            return
        }
        runs[r].begin = stamp
        begun.append(BegunRun(run: r, begin: stamp.id))
        judgeGraphIfNeeded(r, sink: sink)
        replayBeforeSeal(r, sink: sink)
    }

    /// Hands run `r`'s graph (registered before `begin`) to `requireAcyclic` and reports names
    /// that are not registered; once per run, at `begin`, or when a run that never began ends.
    mutating func judgeGraphIfNeeded(_ r: Int, sink: SpecSink) {
        guard !runs[r].graphJudged else { return }
        runs[r].graphJudged = true
        let run = runs[r]
        let vertices = run.order.filter { !run.registrations[$0]!.late }
        var index: [Name: Int] = [:]
        for (i, name) in vertices.enumerated() { index[name] = i }
        // Edges go from a dependency to its dependent.
        var edges: [(from: Int, to: Int)] = []
        for (i, name) in vertices.enumerated() {
            let registration = run.registrations[name]!
            var unknown: [Name] = []
            for dependency in Self.uniqued(registration.deps + registration.after + registration.logs) {
                if let j = index[dependency] { edges.append((from: j, to: i)) } else { unknown.append(dependency) }
            }
            reportUnknown(unknown, namedBy: name, registration, in: r, sink: sink)
        }
        guard !vertices.isEmpty else { return }
        sink.requireAcyclic(
            .recoveryAcyclic, vertices: vertices.map(\.string), edges: edges,
            stamps: vertices.map { run.registrations[$0]!.stamp })
    }

    /// Reports that `consumer`'s registration names consumers not registered in run `r`.
    func reportUnknown(
        _ unknown: [Name], namedBy consumer: Name, _ registration: Registration, in r: Int, sink: SpecSink
    ) {
        guard !unknown.isEmpty else { return }
        let run = runs[r]
        let details = unknown.map { name in
            if let rejection = run.rejections[name] {
                "\"\(name)\" (rejected at \(rejection.stamp): \(rejection.reason))"
            } else {
                "\"\(name)\""
            }
        }
        let plural = unknown.count == 1 ? "a consumer that is" : "consumers that are"
        sink.report(Violation(
            .recoveryAcyclic,
            "consumer \"\(consumer)\" (\(registration.stamp)) names \(plural) not registered in \(run.name): "
                + details.joined(separator: ", "),
            events: [registration.stamp] + unknown.compactMap { run.rejections[$0]?.stamp }))
    }
}

// Registrations are judged over the run, not at the moment a consumer event is observed. Workers
// are separate nodes: a worker event with no causal link to the framework may be observed before
// the `register` events of its run (it belongs to the first run when no `begin` happens-before
// it), and a consumer registered late may have events observed before its `register`. So:
// - every consumer event of a run whose graph is not sealed yet (no `begin`, registrations still
//   open) waits, in observation order, until the `begin`, or until the run ends (`done`, `crash`)
//   or the trace does;
// - in a run that began, an event of a consumer not registered (yet) waits until the consumer's
//   (late) registration, or until the run ends or the trace does; only then is the consumer
//   known to be "never registered" in the run.
// Replays keep observation order, which is a linearization of happens-before, and judge every
// event with the same registrations whatever the linearization. Memory: the waiting events only.

extension RecoverySpec {
    /// Routes a consumer event of run `r`: judged now, or kept until the registrations it is
    /// judged against are known.
    mutating func consumerEvent(_ event: TraceEvent, run r: Int, sink: SpecSink) {
        observedCount += 1
        if runs[r].isUnsealed {
            runs[r].beforeSeal.append(Deferred(ordinal: observedCount, event: event))
            return
        }
        if !runs[r].closed, let consumer = Self.registrationSubject(of: event), !runs[r].isRegistered(consumer) {
            runs[r].unregistered[consumer, default: []].append(Deferred(ordinal: observedCount, event: event))
            return
        }
        judge(event, run: r, sink: sink)
    }

    /// The consumer whose registration judges `event`: that of a `notify`, `start`, `end` or
    /// `process` (a `skip`, `tag` or `untag` is judged the same whether it is registered or not).
    static func registrationSubject(of event: TraceEvent) -> Name? {
        switch event.kind {
        case let .notify(consumer), let .start(consumer), let .end(consumer, _, _), let .process(consumer, _):
            Name(consumer)
        default:
            nil
        }
    }

    /// Judges the events of run `r` that waited for its graph to be sealed, in observation order;
    /// those of consumers still unregistered then wait for their registration.
    mutating func replayBeforeSeal(_ r: Int, sink: SpecSink) {
        let waiting = runs[r].beforeSeal
        runs[r].beforeSeal = []
        for deferred in waiting { consumerEvent(deferred.event, run: r, sink: sink, ordinal: deferred.ordinal) }
    }

    /// `consumerEvent` for a replayed event: keeps its original observation ordinal.
    private mutating func consumerEvent(_ event: TraceEvent, run r: Int, sink: SpecSink, ordinal: Int) {
        if !runs[r].closed, let consumer = Self.registrationSubject(of: event), !runs[r].isRegistered(consumer) {
            runs[r].unregistered[consumer, default: []].append(Deferred(ordinal: ordinal, event: event))
            return
        }
        judge(event, run: r, sink: sink)
    }

    /// Run `r`'s registrations are complete (it ends, or the trace does): judges every event that
    /// waited for them, in observation order. Idempotent.
    mutating func closeRegistrations(_ r: Int, sink: SpecSink) {
        guard !runs[r].closed else { return }
        runs[r].closed = true
        var waiting = runs[r].beforeSeal
        for list in runs[r].unregistered.values { waiting += list }
        runs[r].beforeSeal = []
        runs[r].unregistered = [:]
        waiting.sort { $0.ordinal < $1.ordinal }
        for deferred in waiting { judge(deferred.event, run: r, sink: sink) }
    }
}
