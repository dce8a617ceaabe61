extension MirrorSimulation {
    /// What a choice touches, for `independent(_:_:)`.
    enum Footprint {
        /// Only the primary's core and the tails of the queues towards the secondary (it
        /// appends what it sends), plus, for a delivery, the head of that path's queue towards
        /// the primary.
        case primary(delivery: Int?)
        /// Only the secondary's core and the tails of the queues towards the primary, plus, for
        /// a delivery, the head of that path's queue towards the secondary.
        case secondary(delivery: Int?)
        /// Only the connection of one path (its queues and its flag) and the failure count.
        case failure(path: Int)
        /// The primary's crash: its core, every connection (queues and flags), what the primary
        /// believes of each path, and the crash count.
        case primaryCrash
        /// The secondary's crash: its core, every connection, what the secondary believes of
        /// each path, and the crash count.
        case secondaryCrash
        /// Anything: comebacks, and a `fenced` delivery (the primary then closes every path).
        case everything
    }

    /// What `choice` touches.
    static func footprint(_ choice: Choice) -> Footprint {
        switch choice {
        case .deliverToPrimary(_, .fenced): .everything
        case .deliverToPrimary(let p, _): .primary(delivery: p)
        case .write, .primaryNoticesDown: .primary(delivery: nil)
        case .deliverToSecondary(let p, _): .secondary(delivery: p)
        case .secondaryNoticesDown, .takeover: .secondary(delivery: nil)
        case .fail(let p): .failure(path: p)
        case .crashPrimary: .primaryCrash
        case .crashSecondary: .secondaryCrash
        case .comeBack: .everything
        }
    }

    /// Whether `a` and `b` commute (conservative; false is always safe):
    /// - a step of the primary and a step of the secondary: each changes only its own core,
    ///   pops only the head of a queue towards itself (non-empty, since the delivery is
    ///   enabled) and appends only to queues towards the other, so neither sees the other's
    ///   effect and neither disables the other; each node's inputs, and so its events, are the
    ///   same in both orders.
    /// - a failure of path `p` and a step of either node that does not deliver on `p`: the step
    ///   does not read the connection, and a message it sends on `p` is lost either way (queued
    ///   then cleared, or dropped).
    /// - a crash of one node and a step of the other that delivers nothing (a write or a
    ///   primary noticing a path down against the secondary's crash; a secondary noticing a
    ///   path down or taking over against the primary's crash): the step reads neither the
    ///   crashed core nor any connection or queue (what it sends is queued and then lost to the
    ///   crash, or lost at once: the queues end empty either way), and it touches neither the
    ///   crash count nor the flags that enable the crash; the crash breaks connections, which
    ///   does not disable a step that delivers nothing. A delivery does not commute with a
    ///   crash: the crash empties the queue it delivers from.
    /// - two acks of different streams delivered to the primary (on different paths: only a
    ///   queue's head is delivered): each reads and changes only its own stream (its acked sn,
    ///   its pending entries, their uncommitted lsns) and reads the flag of its own path, which
    ///   neither changes; each records its `acked` event (which the spec ignores) and its
    ///   commits. The core ends alike and the same lsns are committed (a multiset in the
    ///   fingerprint). The commits of the group taken second know of the other ack too, but
    ///   the spec keeps no commit's stamp here (a commit waits only for an append, and the
    ///   primary appends before it sends) and judges each against its entry's apply, which
    ///   happens before the ack in either order (the secondary acks only what it applied).
    /// - two acks of one stream with different sns, k < m: the secondary acks the greatest sn
    ///   it applied, which only grows, so the ack of m was recorded after the ack of k. Taken k
    ///   first, the primary commits up to k, then up to m; taken m first, it commits up to m
    ///   and then ignores k (at or below its acked sn: no event). The core ends alike, the same
    ///   lsns are committed, and the primary's clock knows the secondary up to the ack of m
    ///   either way. The commits' stamps differ, but the spec keeps none (as above; a commit
    ///   of an entry not applied yet is kept only as pending, by presence). Two acks of one
    ///   (stream, sn), a resend acked on two paths, do not commute: the one taken first names
    ///   its own ack event as cause, which decides what the primary's clock knows.
    /// - an ack delivered to the primary and the client's write, where the core says they
    ///   commute (`MirrorPrimary.ackCommutes`: the write assigns no path and names no dep that
    ///   the ack commits). The events differ only in order. What the spec keeps of the append
    ///   (its deps' applies, or pins) comes from the applies it has observed, the same in either
    ///   order; the append is otherwise only cited; the spec does not keep the send, and its
    ///   message's cause is summarized without the secondary's own entry (what the primary knew
    ///   of the ack); the commits' stamps are kept by none (as above).
    /// - the secondary noticing two different paths down: each clears its own path's flag and
    ///   records a `path` event, which the spec keeps only for the primary; the takeover waits
    ///   for both.
    /// Other pairs of steps of one node are not taken as commuting: the core's result may
    /// depend on their order (a write's deps on what an ack committed, a path's notice on where
    /// a write goes).
    /// The same-node pairs commute as states, not as traces (see `Explorable.independent`);
    /// a test checks every independent pair over whole small spaces, seeded faults included.
    package func independent(_ a: Choice, _ b: Choice) -> Bool {
        switch (a, b) {
        case let (.deliverToPrimary(_, .ack(x)), .deliverToPrimary(_, .ack(y))):
            return x != y
        case let (.secondaryNoticesDown(p), .secondaryNoticesDown(q)):
            return p != q
        case let (.deliverToPrimary(_, .ack(x)), .write(lsn)), let (.write(lsn), .deliverToPrimary(_, .ack(x))):
            // The write's key and deps as `write(lsn:configuration:)` makes them (not its payload).
            return primary.ackCommutes(stream: x.stream, sn: x.sn, withWriteOfKey: UInt64(lsn),
                                       deps: Self.deps(lsn: lsn, configuration: configuration))
        default:
            break
        }
        switch (Self.footprint(a), Self.footprint(b)) {
        case (.primary, .secondary), (.secondary, .primary):
            return true
        case (.primaryCrash, .secondary(nil)), (.secondary(nil), .primaryCrash),
             (.secondaryCrash, .primary(nil)), (.primary(nil), .secondaryCrash):
            return true
        case let (.failure(p), .primary(q)), let (.failure(p), .secondary(q)),
             let (.primary(q), .failure(p)), let (.secondary(q), .failure(p)):
            return q != p
        default:
            return false
        }
    }
}
