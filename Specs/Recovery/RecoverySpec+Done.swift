import Trace

// How a run ends: `done` judges `recovery.complete`; `crash` ends the run unfinished. At the end
// of the trace, a run that reached `done` is judged for the second half of `recovery.skip`.

extension RecoverySpec {
    /// `done(ok)`: happens after every end and skip of the run, accounts for every registered
    /// consumer, and says `ok: true` exactly when no consumer failed.
    mutating func done(ok: Bool, at stamp: EventStamp, sink: SpecSink) {
        let r = runs.count - 1
        if let ending = runs[r].ending {
            sink.report(Violation(
                .recoveryComplete,
                "\(stamp) is recorded after \(runs[r].name) already ended at \(ending.stamp)",
                events: [stamp, ending.stamp]))
            return
        }
        judgeGraphIfNeeded(r, sink: sink)
        closeRegistrations(r, sink: sink)
        let run = runs[r]
        let named = run.activity.keys.sorted()
        for consumer in named {
            let activity = run.activity[consumer]!
            for end in activity.ends {
                sink.require(
                    .recoveryComplete, end.stamp, happensBefore: stamp,
                    message: "\(stamp) does not happen after the end \(end.stamp.id) of consumer \"\(consumer)\"")
            }
            if let skip = activity.skip {
                sink.require(
                    .recoveryComplete, skip, happensBefore: stamp,
                    message: "\(stamp) does not happen after the skip \(skip.id) of consumer \"\(consumer)\"")
            }
        }
        var missing: [Name] = []
        for consumer in run.order {
            let activity = run.activity(of: consumer)
            guard activity.ends.isEmpty, activity.skip == nil else { continue }
            missing.append(consumer)
            let started = activity.starts.first.map { " (it started at \($0))" } ?? ""
            sink.report(Violation(
                .recoveryComplete,
                "\(run.name) is done at \(stamp) but consumer \"\(consumer)\" neither ended nor was skipped "
                    + "before it\(started)",
                events: [stamp, run.registrations[consumer]!.stamp] + activity.starts.prefix(1)))
        }
        let failures = named.compactMap { name in run.activity[name]!.failure.map { (name, $0) } }
        if ok, !failures.isEmpty {
            let list = failures.map { "\"\($0.0)\" (\($0.1.described))" }.joined(separator: ", ")
            sink.report(Violation(
                .recoveryComplete,
                "\(stamp) says ok: true but \(failures.count == 1 ? "a consumer" : "consumers") failed: \(list)",
                events: [stamp] + failures.map(\.1.stamp)))
        } else if !ok, failures.isEmpty {
            sink.report(Violation(
                .recoveryComplete,
                "\(stamp) says ok: false but no consumer failed in \(run.name)",
                events: [stamp]))
        }
        runs[r].ending = .done(stamp, ok: ok)
        runs[r].missingAtDone = Set(missing)
    }

    /// `crash` of the framework: its current run ends unfinished (a crash after `done` changes
    /// nothing; the next registration opens the next run either way).
    mutating func crash(at stamp: EventStamp, sink: SpecSink) {
        let r = runs.count - 1
        guard runs[r].ending == nil else { return }
        judgeGraphIfNeeded(r, sink: sink)
        closeRegistrations(r, sink: sink)
        runs[r].ending = .crashed(stamp)
    }

    /// The (done) half of `recovery.skip`, over everything the trace recorded for run `r`: a
    /// consumer is skipped exactly when one of its deps failed or was skipped.
    func judgeSkipsAtEnd(_ r: Int, sink: SpecSink) {
        let run = runs[r]
        for consumer in run.order {
            let registration = run.registrations[consumer]!
            let skip = run.activity(of: consumer).skip
            var reason: (dependency: Name, event: EventStamp, what: String)?
            for a in Self.uniqued(registration.deps) {
                let activity = run.activity(of: a)
                if let failure = activity.failure {
                    reason = (a, failure.stamp, "failed (\(failure.described))")
                    break
                }
                if let skipped = activity.skip {
                    reason = (a, skipped, "was skipped (\(skipped))")
                    break
                }
            }
            if let skip, reason == nil {
                let deps = registration.deps.isEmpty ? "it has none" : Self.quoted(Self.uniqued(registration.deps))
                sink.report(Violation(
                    .recoverySkip,
                    "consumer \"\(consumer)\" is skipped at \(skip) but none of its deps failed or was skipped "
                        + "in \(run.name) (deps: \(deps))",
                    events: [skip, registration.stamp]))
            } else if skip == nil, let reason {
                sink.report(Violation(
                    .recoverySkip,
                    "consumer \"\(consumer)\" is not skipped in \(run.name) although its dependency "
                        + "\"\(reason.dependency)\" \(reason.what)",
                    events: [registration.stamp, reason.event]))
            }
        }
        for consumer in run.activity.keys.sorted() where !run.isRegistered(consumer) {
            guard let skip = run.activity[consumer]!.skip else { continue }
            sink.report(Violation(
                .recoverySkip,
                "\(skip) skips consumer \"\(consumer)\", which \(run.notRegistered(consumer)) and so has no "
                    + "dependency that failed or was skipped",
                events: [skip]))
        }
    }
}
