import Trace

extension MirrorSecondary {
    /// Hashes everything that decides what the secondary does next, for the explorer's state
    /// fingerprints. Left out: the seq counter (later events only need seqs above every earlier
    /// one), the summary counters (`appliedCount`, `droppedCount`), the seeded faults (fixed for
    /// one exploration), and the `sendSeq` of buffered entries (read once, as the cause of the
    /// `recv` recorded when the entry arrived). A field added to the core must be added here;
    /// a test checks that states merged by the fingerprint behave alike.
    package func hash(into h: inout StableHasher) {
        h.combine(epoch)
        switch mode {
        case .mirroring: h.combine(1)
        case .serving: h.combine(2)
        case .crashed: h.combine(3)
        }
        h.combine(streamIDs)
        h.combine(streams.count)
        for s in streams.keys.sorted() {
            let stream = streams[s]!
            h.combine(s)
            h.combine(stream.applied)
            h.combine(stream.lastPath)
            h.combine(stream.buffer.count)
            for sn in stream.buffer.keys.sorted() {
                let m = stream.buffer[sn]!
                h.combine(sn)
                h.combine(m.epoch)
                h.combine(m.lsn)
                h.combine(m.key)
                h.combine(m.entry.stream)
                h.combine(m.entry.sn)
                h.combine(m.deps.count)
                for dep in m.deps {
                    h.combine(dep.stream)
                    h.combine(dep.sn)
                }
                h.combine(bytes: m.payload)
            }
        }
        h.combine(pathIsUp.count)
        for path in pathIsUp.keys.sorted() {
            h.combine(path)
            h.combine(pathIsUp[path]!)
        }
    }
}
