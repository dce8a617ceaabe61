import Driver
import Specs

extension DriverSimulation {
    /// FNV-1a (fixed seed, the same in every process) over:
    /// - the core's whole state, every stored property read by reflection (`DriverStateEncoder`:
    ///   dictionaries and sets sorted, so no hashing seed shows; left out, what is the same in
    ///   every state of one exploration: the device layout, the node name, the faults, and each
    ///   staging region's number and size);
    /// - the disk: the medium's bytes (`mediumDigest`) and the cache's pending writes in order;
    /// - the runtime: the outstanding I/O and what each does, the callers' cursors, whether the
    ///   shutdown was asked for, the crashes left, the recovery's I/O count, the fates chosen in
    ///   a power cut in progress, and whether a violation was found;
    /// - the history, as far as the verdict on any continuation depends on it: the state of
    ///   the driver spec run along with the trace (`spec`), read by reflection with its event
    ///   stamps reduced to their event names (left out: the seqs and places of its compact
    ///   marks, the node name, and which crash lost which id, which only messages use), and the
    ///   contents model.
    ///
    /// Why equal fingerprints mean equal futures and verdicts: the core is deterministic, so the
    /// same core state fed the same inputs acts alike, and its inputs come from the runtime: the
    /// same outstanding I/O on the same disk completes with the same bytes, the same cursors
    /// submit the same requests (with the same deps kept: those the core knows), the same fates
    /// cut the same pending writes; the choices enabled are a function of all this. The spec
    /// judges a continuation from its state after the events so far; that state's stamps only
    /// name events in messages and answer happens-before questions, and in a one-node trace
    /// every such question the driver spec asks has the same answer whatever the seqs: from a
    /// recorded event to a later one (yes), from a later one to a recorded one (no), or from a
    /// `durable` of an epoch to the crash that ended it (yes). So specs equal but for their
    /// stamps' seqs give the same verdicts. The contents model is hashed whole.
    ///
    /// So states that differ only in the order of steps that commute (a flush completion that
    /// records `durable` events and a caller's submit, say) merge, and so do the continuations
    /// of recoveries reached by different histories that left the same disk, core and spec.
    public func fingerprint() -> UInt64 {
        var encoder = DriverStateEncoder()
        encoder.skipped = ["layout", "node", "faults", "index", "limit"]
        encoder.encode(core)
        var hash = DriverFNV()
        hash.add(encoder.bytes)
        hash.add(mediumDigest)
        hash.add(pendingDigest)
        hash.add(specDigest)
        model.hash(into: &hash)
        hash.add(outstanding.count)
        for io in outstanding {
            hash.add(io.ticket.raw)
            switch io.operation {
            case let .write(block, bytes):
                hash.add(1)
                hash.add(block)
                hash.addWords(bytes)
            case let .patch(extents):
                hash.add(2)
                hash.add(extents.count)
                for extent in extents {
                    hash.add(extent.offset)
                    hash.addWords(extent.bytes)
                }
            case .flush:
                hash.add(3)
            case let .read(block, count):
                hash.add(4)
                hash.add(block)
                hash.add(count)
            }
        }
        for value in cursors + [shutdownIssued ? 1 : 0, crashesLeft, recoverySteps, verdict == nil ? 0 : 1, fates?.count ?? -1] {
            hash.add(value)
        }
        for fate in fates ?? [] {
            switch fate {
            case .lost: hash.add(-1)
            case .durable: hash.add(-2)
            case let .torn(kept): hash.add(kept)
            }
        }
        return hash.value
    }

    /// The hash of the spec's state, its event stamps reduced to their event names (see
    /// `fingerprint()`), for `specDigest`.
    static func digest(of spec: DriverSpec) -> UInt64 {
        var encoder = DriverStateEncoder()
        encoder.skipped = ["seq", "line", "file", "node", "lostAt"]
        encoder.stampsAsNames = true
        encoder.encode(spec)
        var hash = DriverFNV()
        hash.add(encoder.bytes)
        return hash.value
    }

    /// The hash of the cache's pending writes, in order, for `pendingDigest`.
    static func digest(of disk: DriverDisk) -> UInt64 {
        var encoder = DriverStateEncoder()
        encoder.encode(disk.pendingWrites)
        var hash = DriverFNV()
        hash.add(encoder.bytes)
        return hash.value
    }
}
