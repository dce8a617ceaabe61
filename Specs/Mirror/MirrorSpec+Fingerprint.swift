import Trace

// The mirror spec's state as a fingerprint: everything a future verdict depends on, with each
// event stamp handed to the caller, who hashes it relative to the rest of the trace (see
// `SpecMonitor.summary`), so that two histories that leave the same obligations open hash
// alike whatever their absolute seqs.
extension MirrorSpec {
    /// Hashes the state in a canonical order (dictionaries and sets sorted); each stamp goes
    /// through `stamp`, in an order that depends only on the state. A field added to the spec
    /// must be added here: the explorer's merge of states relies on it (a test checks that
    /// states merged by the fingerprint behave alike).
    package func hash(into h: inout StableHasher, stamp: (inout StableHasher, EventStamp?) -> Void) {
        h.combine(streams.count)
        for key in streams.keys.sorted() {
            let s = streams[key]!
            h.combine(key)
            s.appended.hash(into: &h)
            h.combine(s.assign != nil)
            if let assign = s.assign {
                h.combine(assign.path)
                h.combine(assign.proved)
                stamp(&h, assign.stamp)
            }
            s.applied.hash(into: &h, stamp: stamp)
            h.combine(s.acked)
            h.combine(s.committedApply?.sn)
            stamp(&h, s.committedApply?.stamp)
        }
        h.combine(entries.count)
        for key in entries.keys.sorted() {
            let e = entries[key]!
            h.combine(key.stream)
            h.combine(key.sn)
            h.combine(e.lsn)
            stamp(&h, e.append)
            h.combine(e.deps.count)
            for dep in e.deps {
                h.combine(dep.stream)
                h.combine(dep.sn)
            }
            h.combine(e.depApplies.count)
            for apply in e.depApplies { stamp(&h, apply) }
            stamp(&h, e.recv)
            stamp(&h, e.apply)
            h.combine(e.committed)
            stamp(&h, e.pendingCommit)
            h.combine(e.pins)
        }
        appendedLSNs.hash(into: &h)
        h.combine(uncommitted.count)
        for key in uncommitted.keys.sorted() {
            h.combine(key)
            h.combine(uncommitted[key]!.stream)
            h.combine(uncommitted[key]!.sn)
        }
        h.combine(commitsAwaitingAppend.count)
        for key in commitsAwaitingAppend.keys.sorted() {
            h.combine(key)
            stamp(&h, commitsAwaitingAppend[key])
        }
        h.combine(unappliedCommits.count)
        for entry in unappliedCommits.sorted() {
            h.combine(entry.stream)
            h.combine(entry.sn)
        }
        h.combine(primaryPaths.count)
        for key in primaryPaths.keys.sorted() {
            h.combine(key)
            h.combine(primaryPaths[key]!.up)
            stamp(&h, primaryPaths[key]!.stamp)
        }
        stamp(&h, takeover)
        h.combine(deaths.count)
        for node in deaths.keys.sorted() {
            let death = deaths[node]!
            h.combine(node)
            stamp(&h, death.crash)
            stamp(&h, death.firstAfter)
            h.combine(death.after)
        }
        h.combine(pinners.count)
        for key in pinners.keys.sorted() {
            h.combine(key.stream)
            h.combine(key.sn)
            h.combine(pinners[key]!.count)
            for dependent in pinners[key]! {
                h.combine(dependent.stream)
                h.combine(dependent.sn)
            }
        }
        h.combine(lateApplies)
        h.combine(lateSession != nil)
        if let session = lateSession {
            h.combine(session.before.count)
            for key in session.before.keys.sorted() {
                h.combine(key)
                session.before[key]!.hash(into: &h, stamp: stamp)
            }
            h.combine(session.applies.count)
            for key in session.applies.keys.sorted() {
                h.combine(key.stream)
                h.combine(key.sn)
                stamp(&h, session.applies[key])
            }
        }
    }
}

extension MirrorSpec.Applied {
    /// Hashes the applied prefix, the sns beyond it (sorted), the greatest, and the latest apply.
    func hash(into h: inout StableHasher, stamp: (inout StableHasher, EventStamp?) -> Void) {
        h.combine(prefix)
        h.combine(beyond.sorted())
        h.combine(greatest)
        stamp(&h, last)
    }
}
