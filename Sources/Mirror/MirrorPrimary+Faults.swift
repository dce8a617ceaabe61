/// Deliberate bugs for the explorer's tests: each flag makes `MirrorPrimary` misbehave in one
/// way, so that a test can show the explorer finds it. All false by default; never set outside
/// tests. Each buggy branch in the core is marked "test-only fault".
package struct MirrorPrimaryFaults: Sendable, Hashable {
    /// Commits a write as soon as it is logged and sent, without waiting for the secondary's
    /// ack (breaks `mirror.commit-after-mirror`).
    package var commitsBeforeAck = false
    /// After a path failure, does not resend the unacknowledged entries last sent on it: takes
    /// them as delivered (the connection had accepted them) and commits them (breaks
    /// `mirror.commit-after-mirror`, and `mirror.no-loss` at a later takeover).
    package var skipsResendAfterPathFailure = false

    /// No fault: the correct core.
    package init(commitsBeforeAck: Bool = false, skipsResendAfterPathFailure: Bool = false) {
        self.commitsBeforeAck = commitsBeforeAck
        self.skipsResendAfterPathFailure = skipsResendAfterPathFailure
    }
}

extension MirrorPrimary {
    /// Under the test-only fault `skipsResendAfterPathFailure`: commits, per stream, the
    /// unacknowledged entries at the front that last went out on `path`, as if delivered.
    mutating func commitInFlight(on path: Int, _ out: inout [Action]) {
        for s in streams.indices {
            while !streams[s].pending.isEmpty, streams[s].pending[0].sentOn == path {
                let done = streams[s].pending.removeFirst()
                streams[s].acked = done.sn
                noteCommitted(done.lsn)
                stats.committed += 1
                out.append(.record(event(.commit(lsn: done.lsn))))
                out.append(.commit(lsn: done.lsn))
            }
        }
    }
}
