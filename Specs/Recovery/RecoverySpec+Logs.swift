import Trace

// `recovery.logs-first`: for every `a` in `logs` of `b` and every `tag(a, L)` of the run, each
// `process(b, L)` happens after every `untag(a, L)` of the run, or after an `end(a)` when the run
// has no `untag(a, L)`.
//
// When `process(b, L)` is observed, neither "a tags L" nor "a never untags L" may be known yet: a
// tag observed later still puts the process under the rule, an untag observed later cannot
// happen-before it, and "never" is only known at the end of the trace. So each process waits in
// its (a, L) state until the tag is known (then its untag obligations are made), and, when no
// untag preceded it, until the end of the trace (then the end obligation is made).

extension RecoverySpec {
    /// `tag(a, L)`: the first one puts every waiting `process(b, L)` under the rule.
    mutating func tag(_ key: LogKey, at stamp: EventStamp, run r: Int, sink: SpecSink) {
        guard runs[r].logs[key]?.tag == nil else { return }
        var state = runs[r].logs[key] ?? LogState()
        state.tag = stamp
        let waiting = state.waiting
        state.waiting = []
        for pending in waiting {
            if let kept = settle(pending, key, state, in: r, sink: sink) { state.waiting.append(kept) }
        }
        runs[r].logs[key] = state
    }

    /// `untag(a, L)`: any `process(b, L)` observed before it is not after it.
    mutating func untag(_ key: LogKey, at stamp: EventStamp, run r: Int, sink: SpecSink) {
        var state = runs[r].logs[key] ?? LogState()
        state.untagCount += 1
        if let tag = state.tag {
            for pending in state.waiting {
                reportProcessBeforeUntag(pending, key, untag: stamp, tag: tag, in: r, sink: sink)
            }
            state.waiting = []
        }
        // Keep only the untags no other one follows: being after those is being after all.
        state.untags.removeAll { sink.happensBefore($0.id, stamp.id) }
        state.untags.append(stamp)
        runs[r].logs[key] = state
    }

    /// `process(b, L)`: waits on each consumer in `b`'s `logs` until its tag of `L` is known.
    mutating func process(_ consumer: Name, log: Name, at stamp: EventStamp, run r: Int, sink: SpecSink) {
        guard let registration = runs[r].registrations[consumer] else { return }
        for tagger in Self.uniqued(registration.logs) {
            let key = LogKey(consumer: tagger, log: log)
            var state = runs[r].logs[key] ?? LogState()
            var ends = runs[r].activity(of: tagger).ends.map(\.stamp)
            // Ends of a tagger that wait for its (late) registration happened all the same.
            for deferred in runs[r].unregistered[tagger] ?? [] {
                if case .end = deferred.event.kind { ends.append(EventStamp(deferred.event)) }
            }
            let pending = PendingProcess(
                stamp: stamp, consumer: consumer, untagsBefore: state.untags, untagCountBefore: state.untagCount,
                endBefore: ends.first { sink.happensBefore($0.id, stamp.id) } ?? ends.first)
            if state.tag == nil {
                state.waiting.append(pending)
            } else if let kept = settle(pending, key, state, in: r, sink: sink) {
                state.waiting.append(kept)
            }
            runs[r].logs[key] = state
        }
    }

    /// Judges a waiting process once the tag of its log is known; returns it when it must keep
    /// waiting (for a later untag that breaks it, or for the end of the trace).
    func settle(_ pending: PendingProcess, _ key: LogKey, _ state: LogState, in r: Int, sink: SpecSink)
        -> PendingProcess?
    {
        let tag = state.tag!
        if state.untagCount > pending.untagCountBefore {
            // An untag observed after the process: it does not happen-before it.
            let later = state.untags.last!
            reportProcessBeforeUntag(pending, key, untag: later, tag: tag, in: r, sink: sink)
            return nil
        }
        if pending.untagsBefore.isEmpty && pending.endBefore == nil {
            sink.report(Violation(
                .recoveryLogsFirst,
                "consumer \"\(pending.consumer)\" processes log \"\(key.log)\" at \(pending.stamp) while "
                    + "\"\(key.consumer)\" has it tagged (\(tag)): \"\(key.consumer)\" had neither untagged "
                    + "it nor ended before",
                events: [pending.stamp, tag]))
            return nil
        }
        var kept = pending
        if !pending.settledUntags {
            for untag in pending.untagsBefore {
                sink.require(
                    .recoveryLogsFirst, untag, happensBefore: pending.stamp,
                    message: "\"\(key.consumer)\" untags log \"\(key.log)\" at \(untag), which does not happen-before "
                        + "\"\(pending.consumer)\" processing it at \(pending.stamp)")
            }
            kept.settledUntags = true
        }
        return kept
    }

    /// Reports a process of a tagged log that an untag does not happen-before.
    func reportProcessBeforeUntag(
        _ pending: PendingProcess, _ key: LogKey, untag: EventStamp, tag: EventStamp, in r: Int, sink: SpecSink
    ) {
        sink.report(Violation(
            .recoveryLogsFirst,
            "consumer \"\(pending.consumer)\" processes log \"\(key.log)\" at \(pending.stamp), not after "
                + "\"\(key.consumer)\" untags it at \(untag) (tagged at \(tag))",
            events: [pending.stamp, untag, tag]))
    }

    /// At the end of the trace: a tagger that never untagged the log must have ended before each
    /// waiting process of it.
    mutating func finishLogs(_ r: Int, sink: SpecSink) {
        for key in runs[r].logs.keys.sorted() {
            let state = runs[r].logs[key]!
            guard state.tag != nil else { continue }
            for pending in state.waiting where pending.untagsBefore.isEmpty {
                guard let end = pending.endBefore else { continue }
                sink.require(
                    .recoveryLogsFirst, end, happensBefore: pending.stamp,
                    message: "\"\(key.consumer)\" never untags log \"\(key.log)\", and its end \(end.id) does not "
                        + "happen-before \"\(pending.consumer)\" processing it at \(pending.stamp)")
            }
            runs[r].logs[key]!.waiting = []
        }
    }
}
