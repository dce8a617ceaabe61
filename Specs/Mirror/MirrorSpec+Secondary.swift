import Trace

// The secondary's side: receiving, applying and acknowledging entries.
extension MirrorSpec {
    /// `recv(s, n, p)`: remembers the latest receipt of an entry not applied yet (a duplicate of an
    /// applied entry can no longer be needed).
    mutating func recv(_ entry: StreamEntry, at stamp: Stamp) {
        if streams.read(entry.stream, { $0.applied.contains(entry.sn) }) == true { return }
        entries[entry, default: EntryState()].recv = stamp
    }

    /// `apply(s, n)`: judges `mirror.stream-order`, `mirror.apply-after-recv`, `mirror.barrier`,
    /// and a commit of the entry that was observed before it.
    mutating func apply(_ entry: StreamEntry, at stamp: Stamp, sink: SpecSink) {
        let s = entry.stream, n = entry.sn
        // The fields needed, read in place: a copy of `Applied` would retain its set.
        let (again, greatest, last) = streams.read(s) { ($0.applied.contains(n), $0.applied.greatest, $0.applied.last) }
            ?? (false, 0, nil)

        // mirror.stream-order: sn 1, 2, ..., k, each once, in that order.
        if again {
            sink.report(Violation(
                .mirrorStreamOrder,
                "stream \(s) applied sn \(n) again at \(id(stamp)); it was already applied",
                events: [eventStamp(stamp)] + (ownApply(of: entry).map { [eventStamp($0)] } ?? [])))
        } else if n != greatest &+ 1 {
            let what = n < greatest
                ? "after sn \(greatest)"
                : "but the next expected sn is \(greatest &+ 1)"
            sink.report(Violation(
                .mirrorStreamOrder,
                "stream \(s) applied sn \(n) at \(id(stamp)) \(what)",
                events: [eventStamp(stamp)] + (last.map { [eventStamp($0)] } ?? [])))
        } else if let previous = last {
            sink.require(.mirrorStreamOrder, previous, happensBefore: stamp, nodes: nodes,
                message: "stream \(s) applied sn \(n &- 1) at \(id(previous)), which does not happen "
                    + "before its apply of sn \(n) at \(id(stamp))")
        }
        if again {
            // Everything else was judged at the first apply, which this one follows.
            streams.modify(s) { $0.applied.last = stamp }
            return
        }

        // The barrier is taken out for good first, so an entry that names itself as a dep
        // (through its own pinners, in `resolvePinners`) finds no slot to fill: its pin is
        // released once, by the unpin below. The state is copied out and set back (it holds
        // no array; what runs meanwhile reads only its `apply`, nil before this first apply).
        var state = entries.read(entry) { $0 } ?? EntryState()
        let barrier = barriers.removeValue(forKey: entry)

        // mirror.apply-after-recv.
        if let recv = state.recv {
            sink.require(.mirrorApplyAfterRecv, recv, happensBefore: stamp, nodes: nodes,
                message: "the secondary applied \(Self.describe(entry)) at \(id(stamp)), but its "
                    + "recv at \(id(recv)) does not happen before it")
        } else {
            sink.report(Violation(
                .mirrorApplyAfterRecv,
                "the secondary applied \(Self.describe(entry)) at \(id(stamp)) without receiving it first",
                events: [eventStamp(stamp)]))
        }
        state.recv = nil

        // mirror.barrier: the entry's deps are applied before it.
        var unpin: [StreamEntry] = []
        if let append = state.append {
            for (dep, known) in zip(barrier?.deps ?? [], barrier?.depApplies ?? []) {
                if known == nil { unpin.append(dep) }
                let depApply = known ?? appliedStamp(of: dep)
                if let depApply {
                    sink.require(.mirrorBarrier, depApply, happensBefore: stamp, nodes: nodes,
                        message: "the secondary applied \(Self.describe(entry)) at \(id(stamp)), but "
                            + "its dep \(Self.describe(dep)) applied at \(id(depApply)) does not "
                            + "happen before it")
                } else {
                    sink.report(Violation(
                        .mirrorBarrier,
                        "the secondary applied \(Self.describe(entry)) at \(id(stamp)) before its dep "
                            + "\(Self.describe(dep)) (appended at \(id(append)))",
                        events: [eventStamp(stamp), eventStamp(append)]))
                }
            }
        } else {
            // The append (and so the deps) is not known yet: judged when it comes.
            if lateApplies == 0 { lateSession = LateSession(before: streams.mapValues(\.applied)) }
            lateApplies += 1
        }
        lateSession?.applies[entry] = stamp

        streams[s, default: StreamState()].applied.add(n, at: stamp)
        state.apply = stamp
        state.pins -= resolvePinners(of: entry, apply: stamp)

        // A commit observed before this apply: the apply cannot happen before it.
        if let commit = state.pendingCommit {
            state.pendingCommit = nil
            unappliedCommits.remove(entry)
            sink.require(.mirrorCommitAfterMirror, stamp, happensBefore: commit, nodes: nodes,
                message: "lsn \(state.lsn ?? -1) (\(Self.describe(entry))) was committed at \(id(commit)), but "
                    + "the secondary's apply of it at \(id(stamp)) does not happen before the commit")
            if takeover == nil { noteCommittedApply(entry, stamp) }
        }
        entries[entry] = state
        for dep in unpin {
            entries.modify(dep) { $0.pins -= 1 }
            forgetIfDone(dep)
        }
        forgetIfDone(entry)
    }

    /// `ack(s, n)`: cumulative, so every sn 1...n of the stream must be applied before it.
    mutating func ack(_ entry: StreamEntry, at stamp: Stamp, sink: SpecSink) {
        let s = entry.stream, n = entry.sn
        guard n >= 1 else { return }
        // The fields needed, read in place: a copy of `Applied` would retain its set.
        let (prefix, appliedN, last, acked) = streams.read(s) {
            ($0.applied.prefix, $0.applied.contains(n), $0.applied.last, $0.acked)
        } ?? (0, false, nil, 0)
        guard prefix >= n else {
            let message = appliedN
                ? "the secondary acknowledged stream \(s) up to sn \(n) at \(id(stamp)), but sn "
                    + "\(prefix + 1) is not applied"
                : "the secondary acknowledged \(Self.describe(entry)) at \(id(stamp)) before applying it"
            sink.report(Violation(.mirrorAckAfterApply, message, events: [eventStamp(stamp)]))
            return
        }
        // The entry's own apply, or (forgotten) the stream's latest, which follows it.
        if let apply = ownApply(of: entry) ?? last {
            sink.require(.mirrorAckAfterApply, apply, happensBefore: stamp, nodes: nodes,
                message: "the secondary acknowledged \(Self.describe(entry)) at \(id(stamp)), but its "
                    + "apply at \(id(apply)) does not happen before it")
        }
        guard n > acked else { return }
        streams.modify(s) { $0.acked = n }
        for sn in (acked + 1)...n { forgetIfSettled(StreamEntry(stream: s, sn: sn)) }
    }

    /// At the first apply of `entry`: fills the slot of every entry appended before it that
    /// names it as a dep and is not applied yet, so the state does not depend on whether the
    /// append or this apply was observed first (the slot would be filled with this very stamp
    /// at the dependent's apply). Returns how many pins that releases.
    mutating func resolvePinners(of entry: StreamEntry, apply stamp: Stamp) -> Int {
        guard let waiting = pinners.removeValue(forKey: entry) else { return 0 }
        var released = 0
        for dependent in waiting {
            guard entries.read(dependent, { $0.apply == nil }) == true else { continue }
            barriers.modify(dependent) { barrier in
                for k in barrier.deps.indices where barrier.deps[k] == entry && barrier.depApplies[k] == nil {
                    barrier.depApplies[k] = stamp
                    released += 1
                }
            }
        }
        return released
    }

    /// The first apply of `entry`, while the spec still holds its state.
    func ownApply(of entry: StreamEntry) -> Stamp? { entries.read(entry) { $0.apply } ?? nil }

    /// An apply of `entry` observed so far: its own, or, forgotten, the latest of its stream.
    func appliedStamp(of entry: StreamEntry) -> Stamp? {
        if let apply = ownApply(of: entry) { return apply }
        guard let applied = streams.read(entry.stream, { $0.applied }), applied.contains(entry.sn) else { return nil }
        return applied.last
    }

    /// Judges the barrier of an entry whose apply was observed before its append, now that the
    /// append names its deps: each dep's apply, wherever it is known, must happen-before it.
    mutating func judgeLateBarrier(
        _ entry: StreamEntry, deps: [StreamEntry], apply: Stamp, append: Stamp, sink: SpecSink
    ) {
        for dep in deps {
            if dep == entry {
                // Its own apply cannot come before it (judged so when the append comes first too).
                sink.report(Violation(
                    .mirrorBarrier,
                    "the secondary applied \(Self.describe(entry)) at \(id(apply)) before its dep "
                        + "\(Self.describe(dep)) (appended at \(id(append))): the entry names itself",
                    events: [eventStamp(apply), eventStamp(append)]))
                continue
            }
            var depApply = ownApply(of: dep) ?? lateSession?.applies[dep]
            if depApply == nil, let before = lateSession?.before[dep.stream], before.contains(dep.sn) {
                // Applied before the session began, so before this entry: that time's latest
                // apply of its stream follows it.
                depApply = before.last
            }
            if let depApply {
                sink.require(.mirrorBarrier, depApply, happensBefore: apply, nodes: nodes,
                    message: "the secondary applied \(Self.describe(entry)) at \(id(apply)), but its "
                        + "dep \(Self.describe(dep)) applied at \(id(depApply)) does not happen before it")
            } else {
                sink.report(Violation(
                    .mirrorBarrier,
                    "the secondary applied \(Self.describe(entry)) at \(id(apply)) before its dep "
                        + "\(Self.describe(dep)) (appended at \(id(append)))",
                    events: [eventStamp(apply), eventStamp(append)]))
            }
        }
    }

    /// Forgets an entry once nothing can need it any more: applied, acknowledged, committed, and
    /// no unapplied entry waits for it as a dep.
    mutating func forgetIfDone(_ entry: StreamEntry) {
        guard entry.sn <= streams.read(entry.stream, { $0.acked }) ?? 0 else { return }
        forgetIfSettled(entry)
    }

    /// `forgetIfDone` of an entry known to be acknowledged.
    mutating func forgetIfSettled(_ entry: StreamEntry) {
        entries.removeValue(forKey: entry) { Self.isDone($0, committed: $0.committed) }
    }

    /// Whether an acknowledged entry in `state` can be forgotten, `committed` saying whether its
    /// lsn is committed: applied and committed, no unapplied entry waits for it as a dep, and no
    /// commit waits for its apply.
    static func isDone(_ state: EntryState, committed: Bool) -> Bool {
        state.apply != nil && committed && state.pins <= 0 && state.pendingCommit == nil
    }
}
