import Trace

// Commits and the takeover: `mirror.commit-after-mirror` and `mirror.no-loss`.
extension MirrorSpec {
    /// `commit(lsn)` on the primary: the record's apply must happen-before it.
    mutating func commit(lsn: Int, at stamp: EventStamp, sink: SpecSink) {
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
    mutating func judgeCommit(lsn: Int, _ entry: StreamEntry, commit: EventStamp, sink: SpecSink) {
        var state = entries[entry] ?? EntryState()
        state.committed = true
        if let apply = state.apply {
            sink.require(
                .mirrorCommitAfterMirror, apply, happensBefore: commit,
                message: "lsn \(lsn) (\(Self.describe(entry))) was committed at \(commit.id), but "
                    + "the secondary's apply of it at \(apply.id) does not happen before the commit")
            if let takeover {
                sink.require(
                    .mirrorNoLoss, apply, happensBefore: takeover,
                    message: "lsn \(lsn) (\(Self.describe(entry))) is committed at \(commit.id), but "
                        + "the secondary applied it at \(apply.id), not before its takeover at "
                        + "\(takeover.id)")
            } else {
                noteCommittedApply(entry, apply)
            }
        } else {
            // The apply is not observed yet, so it does not happen before the commit.
            state.pendingCommit = commit
            if let takeover {
                sink.report(Violation(
                    .mirrorNoLoss,
                    "lsn \(lsn) (\(Self.describe(entry))) is committed at \(commit.id), but the "
                        + "secondary had not applied it before its takeover at \(takeover.id)",
                    events: [commit, takeover]))
            } else {
                unappliedCommits.insert(entry)
            }
        }
        entries[entry] = state
        forgetIfDone(entry)
    }

    /// Remembers, per stream, the apply of the greatest committed sn before the takeover: at the
    /// takeover one obligation per stream covers every committed entry of it (the stream-order
    /// obligations chain the smaller sns to that apply).
    mutating func noteCommittedApply(_ entry: StreamEntry, _ apply: EventStamp) {
        let known = streams[entry.stream]?.committedApply
        if known == nil || entry.sn > known!.sn {
            streams[entry.stream, default: StreamState()].committedApply = (entry.sn, apply)
        }
    }

    /// `takeover` on the secondary: every record committed so far must be applied before it;
    /// records committed later are judged at their commit.
    mutating func takeOver(at stamp: EventStamp, sink: SpecSink) {
        guard takeover == nil else { return }
        takeover = stamp
        for s in streams.keys.sorted() {
            guard let (sn, apply) = streams[s]!.committedApply else { continue }
            streams[s]!.committedApply = nil
            sink.require(
                .mirrorNoLoss, apply, happensBefore: stamp,
                message: "stream \(s) sn \(sn) is committed, but the secondary's apply of it at "
                    + "\(apply.id) does not happen before its takeover at \(stamp.id)")
        }
        for entry in unappliedCommits.sorted() {
            guard let state = entries[entry], let commit = state.pendingCommit else { continue }
            sink.report(Violation(
                .mirrorNoLoss,
                "lsn \(state.lsn ?? -1) (\(Self.describe(entry))) is committed at \(commit.id), but "
                    + "the secondary had not applied it before its takeover at \(stamp.id)",
                events: [commit, stamp]))
        }
        unappliedCommits = []
    }
}
