import Trace

extension MirrorPrimary {
    /// Whether the ack of `stream` up to `sn` and the write of `key` with `deps` leave this core
    /// alike in either order, recording the same events but for their order: for the explorer's
    /// partial-order reduction (false is always safe).
    ///
    /// The ack reads its stream's acked sn, pending entries and next sn (which a write only
    /// raises), and removes committed lsns from the uncommitted ones. The write reads the
    /// uncommitted lsns only for its deps, and the paths only when its stream has none. So they
    /// commute when the write's stream has a path (it assigns none); when, on the ack's own
    /// stream, no entry waits to be sent (the ack could remove one that the write sends); and
    /// when each dep the write names (an lsn still uncommitted on another stream) is one the
    /// ack does not commit and one that `unapplied` says is applied nowhere yet, so that no
    /// event, the ack's cause included, knows of its apply, and the append names it as
    /// unapplied in either order. Not under the test-only fault `commitsBeforeAck`.
    package func ackCommutes(stream s: Int, sn: Int, withWriteOfKey key: UInt64, deps: [Int],
                             unapplied: (StreamEntry) -> Bool) -> Bool {
        guard mode == .running, !faults.commitsBeforeAck, streams.indices.contains(s) else { return false }
        let t = stream(forKey: key)
        guard streams[t].path != nil, sn < streams[s].nextSN else { return false }
        if s == t && streams[s].unsent > 0 { return false }
        for lsn in deps {
            guard let dep = uncommitted[lsn], dep.stream != t else { continue }
            if (dep.stream == s && dep.sn <= sn) || !unapplied(dep) { return false }
        }
        return true
    }
}
