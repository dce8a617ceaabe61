import Trace

/// The executable specification of the `recovery` system (TRACE-FORMAT.md, "System `recovery`").
///
/// It replays the framework's and the workers' events run by run and judges the six
/// `recovery.*` invariants. Each invariant is judged per run; `recovery.complete` and the second
/// half of `recovery.skip` only for a run that reached `done`.
///
/// Runs. The framework's events are totally ordered by its seq. A `register`, `reject`, `begin`,
/// `tag` or `untag` of the framework recorded after its current run ended (`done` or `crash`)
/// opens the next run; its other events belong to its current run, so an `end` or `skip` recorded
/// after `done` is judged against that `done`. A worker's event belongs to the latest run whose
/// `begin` happens-before it, or to the first run when none does.
///
/// Registrations are judged over the run, never at the moment a consumer event is observed: a
/// worker event may be observed before registrations it has no causal link to. The consumer
/// events of a run whose graph is not sealed yet wait until its `begin` (or until the run ends, or
/// the trace does, if it never begins); in a run that began, the events of a consumer not
/// registered yet wait until its (late) registration or the end of the run. So every linearization
/// of happens-before gets the same verdict. Consumer and log names are compared as exact strings
/// (UTF-8 bytes), not by canonical equivalence.
///
/// Readings: the format page's section "Settled readings" decides where two readers could
/// differ; the further choices this spec makes are in `Specs/README.md`, "`recovery`".
///
/// Run attribution asks the sink whether a `begin` happens-before the event being observed, so
/// the sink must answer for that event during `observe`.
package struct RecoverySpec: Spec {
    /// The system whose events this spec replays: `recovery`.
    package static var system: TraceSystem { .recovery }

    /// The node that owns the dependency graph and the walk; every other node is a worker.
    static let framework = "framework"

    /// Every run so far, in the framework's order; the last one is the framework's current run.
    var runs: [Run] = [Run(number: 1)]
    /// The runs that have begun, in the order of their `begin` (the framework's seq order).
    var begun: [BegunRun] = []
    /// How many consumer events were observed: orders the events that wait for registrations.
    var observedCount = 0

    /// Starts before any event: one run, not begun, with nothing registered.
    package init() {}

    /// Replays one event of a `recovery` trace.
    package mutating func observe(_ event: TraceEvent, sink: SpecSink) {
        let stamp = EventStamp(event)
        switch event.kind {
        case let .register(consumer, deps, after, logs):
            register(
                Name(consumer), deps: deps.map(Name.init), after: after.map(Name.init), logs: logs.map(Name.init),
                at: stamp, sink: sink)
        case let .reject(consumer, reason):
            reject(Name(consumer), reason: reason, at: stamp)
        case .begin:
            begin(at: stamp, sink: sink)
        case .notify, .start, .end, .skip, .process:
            consumerEvent(event, run: run(of: event, sink: sink), sink: sink)
        case .tag, .untag:
            consumerEvent(event, run: logRun(of: event, sink: sink), sink: sink)
        case let .done(ok):
            done(ok: ok, at: stamp, sink: sink)
        case .crash:
            // Only the framework crashes in this system (the reader enforces the node table).
            if Self.isFramework(event.node) { crash(at: stamp, sink: sink) }
        case .observe:
            // No invariant judges `observe`; its causes carry the workers' ends to `done`.
            break
        default:
            // Events of the other systems; the reader rejects them in a `recovery` trace.
            break
        }
    }

    /// Judges one `notify`, `start`, `end`, `skip`, `tag`, `untag` or `process` of run `r`, once
    /// the registrations it depends on are known (see `consumerEvent`).
    mutating func judge(_ event: TraceEvent, run r: Int, sink: SpecSink) {
        let stamp = EventStamp(event)
        switch event.kind {
        case let .notify(consumer):
            notify(Name(consumer), at: stamp, run: r, sink: sink)
        case let .start(consumer):
            start(Name(consumer), event: event, run: r, sink: sink)
        case let .end(consumer, ok, reason):
            let timeout = Self.isFramework(event.node) && !ok && reason?.exactlyEquals("timeout") == true
            let end = End(stamp: stamp, ok: ok, reason: reason, timeout: timeout)
            self.end(Name(consumer), end, run: r, sink: sink)
        case let .skip(consumer):
            skip(Name(consumer), at: stamp, run: r, sink: sink)
        case let .tag(consumer, log):
            tag(LogKey(consumer: Name(consumer), log: Name(log)), at: stamp, run: r, sink: sink)
        case let .untag(consumer, log):
            untag(LogKey(consumer: Name(consumer), log: Name(log)), at: stamp, run: r, sink: sink)
        case let .process(consumer, log):
            process(Name(consumer), log: Name(log), at: stamp, run: r, sink: sink)
        default:
            break
        }
    }

    /// Judges what only the end of the trace settles: graphs of runs that never began, `process`
    /// events waiting for "never untags", and whether the runs that reached `done` skipped exactly
    /// the dependents of failures.
    package mutating func finish(sink: SpecSink) {
        for r in runs.indices {
            judgeGraphIfNeeded(r, sink: sink)
            closeRegistrations(r, sink: sink)
            finishLogs(r, sink: sink)
            if case .done = runs[r].ending { judgeSkipsAtEnd(r, sink: sink) }
        }
    }
}

// MARK: - Run attribution

extension RecoverySpec {
    /// A run that has begun, and its `begin`.
    struct BegunRun: Sendable {
        /// Index into `runs`.
        var run: Int
        /// The run's `begin` event.
        var begin: EventID
    }

    /// The run a framework event that may open the next run belongs to: the current run, or a new
    /// one when the current run has ended.
    mutating func openingRun() -> Int {
        if runs[runs.count - 1].ending != nil { runs.append(Run(number: runs.count + 1)) }
        return runs.count - 1
    }

    /// The run of a `tag` or `untag`: the framework may record them while a run is being set up,
    /// so on the framework they open the next run like a registration does.
    mutating func logRun(of event: TraceEvent, sink: SpecSink) -> Int {
        Self.isFramework(event.node) ? openingRun() : run(of: event, sink: sink)
    }

    /// The run an event belongs to: the framework's current run for its own events; for a
    /// worker's, the latest run whose `begin` happens-before it, or the first run when none does.
    func run(of event: TraceEvent, sink: SpecSink) -> Int {
        if Self.isFramework(event.node) { return runs.count - 1 }
        // The begins are ordered by the framework's seq, so those that happen-before the event
        // form a prefix of `begun`: find its length.
        var low = 0
        var high = begun.count
        while low < high {
            let mid = (low + high) / 2
            if sink.happensBefore(begun[mid].begin, event.id) { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? 0 : begun[low - 1].run
    }
}

extension RecoverySpec {
    /// Whether `node` is the framework (compared byte for byte, like every name of a trace).
    static func isFramework(_ node: String) -> Bool { node.exactlyEquals(framework) }

    /// `names` without repeats, in their first order.
    static func uniqued(_ names: [Name]) -> [Name] {
        var seen = Set<Name>()
        return names.filter { seen.insert($0).inserted }
    }

    /// `"a", "b"`: names for a message, in the given order.
    static func quoted(_ names: [Name]) -> String {
        names.map { "\"\($0)\"" }.joined(separator: ", ")
    }
}
