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
    /// when the ack commits none of the deps the write names (lsns still uncommitted on
    /// another stream), which would then be named in one order only. Not under the test-only
    /// fault `commitsBeforeAck`.
    package func ackCommutes(stream s: Int, sn: Int, withWriteOfKey key: UInt64, deps: [Int]) -> Bool {
        guard mode == .running, !faults.commitsBeforeAck, streams.indices.contains(s) else { return false }
        let t = stream(forKey: key)
        guard streams[t].path != nil, sn < streams[s].nextSN else { return false }
        if s == t && streams[s].unsent > 0 { return false }
        for lsn in deps {
            if let dep = uncommitted[lsn], dep.stream != t, dep.stream == s, dep.sn <= sn { return false }
        }
        return true
    }
}
