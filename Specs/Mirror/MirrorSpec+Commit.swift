import Trace

// Commits and the takeover: `mirror.commit-after-mirror` and `mirror.no-loss`.
extension MirrorSpec {
    /// `commit(lsn)` on the primary: the record's apply must happen-before it.
    mutating func commit(lsn: Int, at stamp: Stamp, sink: SpecSink) {
        if let entry = uncommitted.removeValue(forKey: lsn) {
            judgeCommit(lsn: lsn, entry, commit: stamp, sink: sink)
        } else if appendedLSNs.contains(lsn) {
            // A later commit of a committed lsn follows the first on the primary: nothing new.
            return
        } else if commitsAwaitingAppend[lsn] == nil {
            // Not appended yet: judged when its append turns up, or at the end of the trace.
            commitsAwaitingAppend[lsn] = stamp
        }
    }

    /// Judges the first commit of `lsn`, whose record is `entry`, now that both are known.
    mutating func judgeCommit(lsn: Int, _ entry: StreamEntry, commit: Stamp, sink: SpecSink) {
        // Marked committed and its apply read in one lookup.
        func markCommitted(_ state: inout EntryState) -> Stamp? {
            state.committed = true
            return state.apply
        }
        // Usually the entry is applied and acknowledged already: then, committed, it is done
        // (`forgetIfDone`) and is forgotten at once, its apply read as it goes.
        let applied: Stamp?, forgotten: Bool
        if entry.sn <= streams.read(entry.stream, { $0.acked }) ?? 0,
           let state = entries.removeValue(forKey: entry, if: { Self.isDone($0, committed: true) }) {
            (applied, forgotten) = (state.apply, true)
        } else {
            (applied, forgotten) = (markCommitted(&entries[entry, default: EntryState()]), false)
        }
        if let apply = applied {
            sink.require(.mirrorCommitAfterMirror, apply, happensBefore: commit, nodes: nodes,
                message: "lsn \(lsn) (\(Self.describe(entry))) was committed at \(id(commit)), but "
                    + "the secondary's apply of it at \(id(apply)) does not happen before the commit")
            if let takeover {
                sink.require(.mirrorNoLoss, apply, happensBefore: takeover, nodes: nodes,
                    message: "lsn \(lsn) (\(Self.describe(entry))) is committed at \(id(commit)), but "
                        + "the secondary applied it at \(id(apply)), not before its takeover at "
                        + "\(id(takeover))")
            } else {
                noteCommittedApply(entry, apply)
            }
        } else {
            // The apply is not observed yet, so it does not happen before the commit.
            entries.modify(entry) { $0.pendingCommit = commit }
            if let takeover {
                sink.report(Violation(
                    .mirrorNoLoss,
                    "lsn \(lsn) (\(Self.describe(entry))) is committed at \(id(commit)), but the "
                        + "secondary had not applied it before its takeover at \(id(takeover))",
                    events: [eventStamp(commit), eventStamp(takeover)]))
            } else {
                unappliedCommits.insert(entry)
            }
        }
        if !forgotten { forgetIfDone(entry) }
    }

    /// Remembers, per stream, the apply of the greatest committed sn before the takeover: at the
    /// takeover one obligation per stream covers every committed entry of it (the stream-order
    /// obligations chain the smaller sns to that apply).
    mutating func noteCommittedApply(_ entry: StreamEntry, _ apply: Stamp) {
        // Read and changed in one lookup (a stream not seen yet is added either way).
        func note(_ state: inout StreamState) {
            if let known = state.committedApply, entry.sn <= known.sn { return }
            state.committedApply = (entry.sn, apply)
        }
        note(&streams[entry.stream, default: StreamState()])
    }

    /// `takeover` on the secondary: every record committed so far must be applied before it;
    /// records committed later are judged at their commit.
    mutating func takeOver(at stamp: Stamp, sink: SpecSink) {
        guard takeover == nil else { return }
        takeover = stamp
        for s in streams.keys {
            guard let (sn, apply) = streams.modify(s, { state in
                defer { state.committedApply = nil }
                return state.committedApply
            }) ?? nil else { continue }
            sink.require(.mirrorNoLoss, apply, happensBefore: stamp, nodes: nodes,
                message: "stream \(s) sn \(sn) is committed, but the secondary's apply of it at "
                    + "\(id(apply)) does not happen before its takeover at \(id(stamp))")
        }
        for entry in unappliedCommits.elements {
            guard let state = entries[entry], let commit = state.pendingCommit else { continue }
            sink.report(Violation(
                .mirrorNoLoss,
                "lsn \(state.lsn ?? -1) (\(Self.describe(entry))) is committed at \(id(commit)), but "
                    + "the secondary had not applied it before its takeover at \(id(stamp))",
                events: [eventStamp(commit), eventStamp(stamp)]))
        }
        unappliedCommits.removeAll()
    }
}
