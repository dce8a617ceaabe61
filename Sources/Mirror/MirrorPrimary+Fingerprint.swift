import Trace

extension MirrorPrimary {
    /// Hashes everything that decides what the primary does next, for the explorer's state
    /// fingerprints. Left out: the seq counter (later events only need seqs above every earlier
    /// one, which any counter gives), the summary counters (`stats`, `Pending.sends`: written,
    /// never read by a decision), and the seeded faults (fixed for one exploration). A field
    /// added to the core must be added here; a test checks that states merged by the
    /// fingerprint behave alike.
    package func hash(into h: inout StableHasher) {
        h.combine(epoch)
        switch mode {
        case .running: h.combine(1)
        case .crashed: h.combine(2)
        case .rejoining: h.combine(3)
        case .fenced: h.combine(4)
        }
        h.combine(isDegraded)
        h.combine(lastLSN)
        h.combine(streams.count)
        for stream in streams {
            h.combine(stream.nextSN)
            h.combine(stream.path)
            h.combine(stream.acked)
            h.combine(stream.unsent)
            h.combine(stream.pending.count)
            for i in stream.pending.indices {
                let p = stream.pending[i]
                h.combine(p.sn)
                h.combine(p.lsn)
                h.combine(p.key)
                h.combine(p.deps.count)
                for dep in p.deps {
                    h.combine(dep.stream)
                    h.combine(dep.sn)
                }
                h.combine(bytes: p.payload)
                h.combine(p.sentOn)
            }
        }
        h.combine(pathIsUp.count)
        for up in pathIsUp { h.combine(up) }
        h.combine(uncommitted.count)
        h.combine(uncommittedDigest)
    }
}
