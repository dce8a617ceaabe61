import Trace

// A consumer's walk: `notify`, `start`, `end`, `skip`. Judges `recovery.once`, the first half of
// `recovery.skip` and `recovery.deps-first`; `end` and `skip` after `done` break
// `recovery.complete`.

extension RecoverySpec {
    /// `notify`: at most once per consumer and run, of a registered consumer.
    mutating func notify(_ consumer: Name, at stamp: EventStamp, run r: Int, sink: SpecSink) {
        let activity = runs[r].activity(of: consumer)
        if checkRegistered(consumer, stamp, in: r, sink: sink), let first = activity.notifies.first {
            sink.report(Violation(
                .recoveryOnce,
                "consumer \"\(consumer)\" is notified twice in \(runs[r].name): \(stamp) after \(first)",
                events: [stamp, first]))
        }
        runs[r].activity[consumer, default: Activity()].notifies.append(stamp)
    }

    /// `start`: at most once, caused by its own `notify`, never of a skipped consumer, and only
    /// after its dependencies.
    mutating func start(_ consumer: Name, event: TraceEvent, run r: Int, sink: SpecSink) {
        let stamp = EventStamp(event)
        let activity = runs[r].activity(of: consumer)
        let registered = checkRegistered(consumer, stamp, in: r, sink: sink)
        if registered {
            let name = runs[r].name
            if let first = activity.starts.first {
                sink.report(Violation(
                    .recoveryOnce,
                    "consumer \"\(consumer)\" starts twice in \(name): \(stamp) after \(first)",
                    events: [stamp, first]))
            }
            if activity.notifies.isEmpty {
                sink.report(Violation(
                    .recoveryOnce,
                    "\(stamp) starts consumer \"\(consumer)\" without a notify of it in \(name) before it",
                    events: [stamp]))
            } else if !activity.notifies.contains(where: { event.causes.contains($0.id) }) {
                let notify = activity.notifies[0]
                sink.report(Violation(
                    .recoveryOnce,
                    "\(stamp) starts consumer \"\(consumer)\" but does not name its notify \(notify.id) among its causes",
                    events: [stamp, notify]))
            }
        }
        if let skip = activity.skip {
            sink.report(Violation(
                .recoverySkip,
                "consumer \"\(consumer)\" starts at \(stamp) although it was skipped at \(skip)",
                events: [stamp, skip]))
        }
        if registered { checkDependencies(of: consumer, startedAt: stamp, run: r, sink: sink) }
        runs[r].activity[consumer, default: Activity()].starts.append(stamp)
    }

    /// `end`: at most once, after a `start` unless it is the framework's timeout end, and (of a
    /// consumer that started) before `done`.
    mutating func end(_ consumer: Name, _ end: End, run r: Int, sink: SpecSink) {
        let stamp = end.stamp
        let activity = runs[r].activity(of: consumer)
        if checkRegistered(consumer, stamp, in: r, sink: sink) {
            if let first = activity.ends.first {
                var message = "consumer \"\(consumer)\" ends twice in \(runs[r].name): \(end.described) "
                    + "after \(first.described)"
                if first.timeout || end.timeout {
                    message += "; after the framework's timeout end no worker records an end"
                }
                sink.report(Violation(.recoveryOnce, message, events: [stamp, first.stamp]))
            }
            if !end.timeout {
                if let start = activity.starts.first {
                    sink.require(
                        .recoveryOnce, start, happensBefore: stamp,
                        message: "the end \(stamp.id) of consumer \"\(consumer)\" does not happen after its start \(start.id)")
                } else {
                    sink.report(Violation(
                        .recoveryOnce,
                        "\(end.described) ends consumer \"\(consumer)\" without a start of it in \(runs[r].name) "
                            + "before it (and it is not the framework's timeout end)",
                        events: [stamp]))
                }
            }
        }
        // `done` comes after the end of every *started* consumer (the page's row): the framework's
        // timeout end of one that never started may come after it.
        if !activity.starts.isEmpty { reportIfAfterDone(consumer, stamp, in: r, sink: sink) }
        runs[r].activity[consumer, default: Activity()].ends.append(end)
    }

    /// `skip`: a skipped consumer never starts, and a skip comes before `done`.
    mutating func skip(_ consumer: Name, at stamp: EventStamp, run r: Int, sink: SpecSink) {
        let activity = runs[r].activity(of: consumer)
        if let start = activity.starts.first {
            sink.report(Violation(
                .recoverySkip,
                "consumer \"\(consumer)\" is skipped at \(stamp) although it started at \(start)",
                events: [stamp, start]))
        }
        reportIfAfterDone(consumer, stamp, in: r, sink: sink)
        if activity.skip == nil { runs[r].activity[consumer, default: Activity()].skip = stamp }
    }

    /// Reports a `notify`, `start` or `end` of a consumer not registered in run `r`
    /// (`recovery.once`); returns whether it is registered.
    func checkRegistered(_ consumer: Name, _ stamp: EventStamp, in r: Int, sink: SpecSink) -> Bool {
        if runs[r].isRegistered(consumer) { return true }
        var events = [stamp]
        if let rejection = runs[r].rejections[consumer] { events.append(rejection.stamp) }
        sink.report(Violation(
            .recoveryOnce, "\(stamp) names consumer \"\(consumer)\", which \(runs[r].notRegistered(consumer))", events: events))
        return false
    }

    /// An `end` or `skip` of a run that already reached `done` cannot happen before that `done`.
    func reportIfAfterDone(_ consumer: Name, _ stamp: EventStamp, in r: Int, sink: SpecSink) {
        guard case let .done(done, _) = runs[r].ending, !runs[r].missingAtDone.contains(consumer) else { return }
        sink.report(Violation(
            .recoveryComplete,
            "\(stamp) of consumer \"\(consumer)\" does not happen before \(runs[r].name)'s \(done)",
            events: [stamp, done]))
    }

    /// `recovery.deps-first` at `start(b)`: every dep ended `ok: true` before it, every after
    /// ended or was skipped before it. Names the registration may not name (not registered, or
    /// not in the sealed graph that `b` belongs to) are left to `recovery.acyclic`.
    func checkDependencies(of b: Name, startedAt start: EventStamp, run r: Int, sink: SpecSink) {
        let run = runs[r]
        guard let registration = run.registrations[b] else { return }
        for a in Self.uniqued(registration.deps) where run.isKnown(a, toRegistrationOf: b) {
            let ends = run.activity(of: a).ends
            let succeeded = ends.filter(\.ok).map(\.stamp)
            if ends.isEmpty {
                sink.report(Violation(
                    .recoveryDepsFirst,
                    "consumer \"\(b)\" starts at \(start) before its dependency \"\(a)\" ended: "
                        + "no end of \"\(a)\" happens-before it",
                    events: [start, run.registrations[a]!.stamp]))
            } else if succeeded.isEmpty {
                sink.report(Violation(
                    .recoveryDepsFirst,
                    "consumer \"\(b)\" starts at \(start) although its dependency \"\(a)\" failed: "
                        + ends[0].described,
                    events: [start, ends[0].stamp]))
            } else {
                let end = succeeded.first { sink.happensBefore($0.id, start.id) } ?? succeeded[0]
                sink.require(
                    .recoveryDepsFirst, end, happensBefore: start,
                    message: "the end \(end.id) of dependency \"\(a)\" does not happen-before the start \(start.id) of \"\(b)\"")
            }
        }
        for a in Self.uniqued(registration.after) where run.isKnown(a, toRegistrationOf: b) {
            let activity = run.activity(of: a)
            let finished = activity.ends.map(\.stamp) + (activity.skip.map { [$0] } ?? [])
            if finished.isEmpty {
                sink.report(Violation(
                    .recoveryDepsFirst,
                    "consumer \"\(b)\" starts at \(start) before \"\(a)\", which it runs after, ended or was "
                        + "skipped: no end or skip of \"\(a)\" happens-before it",
                    events: [start, run.registrations[a]!.stamp]))
            } else {
                let event = finished.first { sink.happensBefore($0.id, start.id) } ?? finished[0]
                sink.require(
                    .recoveryDepsFirst, event, happensBefore: start,
                    message: "the \(event.name) \(event.id) of \"\(a)\", which \"\(b)\" runs after, does not "
                        + "happen-before the start \(start.id) of \"\(b)\"")
            }
        }
    }
}
