import Driver
import Specs
import Trace

extension DriverSimulation {
    /// A stable hash (`StableHasher`, the same in every process) over:
    /// - the core's whole state (`DriverCore.hash(into:)`: dictionaries and sets sorted or
    ///   summed, so no hashing seed shows; left out, what is the same in every state of one exploration: the
    ///   device layout, the node name, the faults, and each staging region's number and size;
    ///   its counters read as the core reads them, so that histories of different lengths
    ///   merge: no event seq, tickets counted back from the next one, completion indices
    ///   against the flush marks; a test compares it with a reflection encoding of every
    ///   field over explored states, and another that a core with its counters moved so acts
    ///   as the original);
    /// - the disk: the medium's bytes and undecided writes (`mediumDigest`: `LazyCrashMedium.digest`
    ///   and `CrashFates.hash(into:)`) and the cache's pending writes in order; once no power
    ///   loss can come (`settledDataStart`), only the data blocks as a read through the cache
    ///   returns them, and of outstanding I/O before the data area only where it goes;
    /// - the runtime: the outstanding I/O (named, as the core names it, back from the next
    ///   ticket) and what each does, the callers' cursors, whether the
    ///   shutdown was asked for, the crashes left, the recovery's I/O count while the core
    ///   recovers (only then is it read), the fates chosen in a power cut in progress, and
    ///   whether a violation was found;
    /// - the history, as far as the verdict on any continuation depends on it: the state of
    ///   the driver spec run along with the trace (`monitor.spec`, `DriverSpec.hash(into:)`),
    ///   its event stamps reduced to their event names (left out: the seqs and places of its compact
    ///   marks, the node name, and which crash lost which id, which only messages use; each
    ///   interface's last survivor, see `DriverSpec.hash(into:survivors:)`; and its survivors,
    ///   see `digest(of:)`), and the contents model.
    ///
    /// Why equal fingerprints mean equal futures and verdicts (up to the numbering of events and
    /// I/O): the core is deterministic, so the same core state fed the same inputs acts alike,
    /// and its inputs come from the runtime: the same outstanding I/O on the same disk (once no
    /// power loss can come, the same data blocks) completes with the same bytes, the same cursors
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
    package func fingerprint() -> UInt64 {
        var hash = StableHasher()
        core.hash(into: &hash)
        let settled = settledDataStart
        if let settled, settled == disk.lazy.splitBlock {
            hash.combine(-1)
            hash.combine(disk.lazy.upperDigest ^ disk.cache.readingDelta(from: settled, over: disk.lazy))
        } else {
            hash.combine(mediumDigest)
            hash.combine(pendingDigest)
        }
        let live = (settled ?? 0) * Self.blockSize
        hash.combine(specDigest)
        model.hash(into: &hash)
        hash.combine(outstanding.count)
        for io in outstanding {
            hash.combine(core.ticketsIssued - io.ticket.raw)
            switch io.operation {
            case let .write(block, bytes):
                hash.combine(1)
                hash.combine(block)
                if block * Self.blockSize + bytes.count > live { hash.combine(io.bytesDigest) } else { hash.combine(bytes.count) }
            case let .patch(extents):
                hash.combine(2)
                hash.combine(extents.count)
                for extent in extents {
                    hash.combine(extent.offset)
                    if extent.offset + extent.bytes.count > live {
                        hash.combine(bytes: extent.bytes)
                    } else {
                        hash.combine(extent.bytes.count)
                    }
                }
            case .flush:
                hash.combine(3)
            case let .read(block, count):
                hash.combine(4)
                hash.combine(block)
                hash.combine(count)
            }
        }
        hash.combine(cursors)
        // The recovery's I/O count is read only while the core recovers (a power loss sets it
        // back to 0): recoveries of different lengths that left the same state merge.
        let steps = core.phase == .recovering ? recoverySteps : 0
        for value in [shutdownIssued ? 1 : 0, crashesLeft, steps, verdict == nil ? 0 : 1, fates?.count ?? -1] {
            hash.combine(value)
        }
        for fate in fates ?? [] {
            switch fate {
            case .lost: hash.combine(-1)
            case .durable: hash.combine(-2)
            case let .torn(kept): hash.combine(kept)
            }
        }
        return hash.value
    }

    /// Once no power loss can come (none left, none under way, no recovery running, no fate
    /// undecided), the first block whose bytes can still decide anything: the data area's.
    /// Nothing before it is read again for a decision: superblocks, ledger, map and journal are
    /// read only by a recovery, which needs a power loss; the ledger patch's read-modify-write
    /// carries the bytes it reads back, unexamined; no completion of a running core looks at
    /// bytes. The data blocks are read by patches (their bytes stay in the data area) and by
    /// the contents checks, through the cache, so what a read through the cache returns is all
    /// of the device a future depends on; a medium and pending writes that read alike merge. A
    /// test walks states with those blocks scrambled beside the originals. Nil otherwise.
    ///
    /// The fingerprint takes those blocks as the medium's digest from the data area on
    /// (`LazyCrashMedium.upperDigest`, kept up to date by every write) with the pending writes'
    /// change to it (`VolatileCacheDevice.readingDelta`): its cost does not grow with the device
    /// (`--from` sizes the device to the trace).
    var settledDataStart: Int? {
        guard crashesLeft == 0, fates == nil, core.phase != .recovering, disk.lazy.fates.isEmpty else { return nil }
        return core.layout?.dataStart
    }

    /// The hash of the spec's state, its event stamps reduced to their event names (see
    /// `fingerprint()`), for `specDigest`.
    ///
    /// Left out: the spec's survivors, requests of earlier epochs recovered while still missing
    /// a step, which only a later `stage`, `complete` or `durable` of one of them would read.
    /// None comes: the core records those only for requests in its regions and waiting queue,
    /// which a power loss empties and only a submit fills (a recovery names earlier requests
    /// only in `recovered`), and a workload submits each request once (both of `Workload`'s
    /// initializers). So a state whose crash came after some requests' `durable` and one where
    /// it came before (those requests recovered either way) merge once the recovery is over: a
    /// third of the states after a crash (`--ifaces 1 --requests 9 --crashes 1 --torn`). A test
    /// walks states and checks that no later event names a survivor.
    static func digest(of spec: DriverSpec) -> UInt64 {
        var hash = StableHasher()
        spec.hash(into: &hash, survivors: false)
        return hash.value
    }

    /// The hash of the cache's pending writes, in order, for `pendingDigest`.
    static func digest(of disk: DriverDisk) -> UInt64 {
        var hash = StableHasher()
        disk.cache.hashPending(into: &hash)
        return hash.value
    }
}
