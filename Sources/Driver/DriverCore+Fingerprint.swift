import Trace

// The core's state as a stable hash, for the explorer's state fingerprints. It must cover every
// stored property that decides the future; left out, by name wherever they occur, is what is
// the same in every state of one exploration: `layout` (the core's and each superblock's),
// `node`, `faults`, and each region's `index` and `limit`; and the counters below are read only
// as the core reads them. Sets and dictionaries are hashed sorted by key, or as a sum of one
// hash per entry (Swift seeds hashing per process, so no iteration order may show). A test
// compares this hash with a reflection encoding over explored states, so a field added later
// and forgotten here shows up there. What changes seldom (a region's content, the chunk maps,
// the journal's retired segments, superblock and ledger) is hashed once per change into a
// digest kept beside it (`refreshDigests()`), and the fingerprint reads the digest.
//
// Three counters name things rather than decide them, and are hashed as what the core can ask
// of them (so states reached by histories of different lengths merge, above all the
// continuations of crash points that recovered alike):
// - `seq` only numbers the events recorded: left out (the driver spec's fingerprint leaves
//   out its stamps' seqs too, see `DriverSimulation.fingerprint()`).
// - `nextTicket` only names I/O: each outstanding ticket is hashed as how many tickets back
//   from `nextTicket` it was given out (the simulation names its outstanding I/O alike).
// - A completion index (`completions`, the flush marks, a segment's `written` or `patched`
//   index, a region's `dataWritten`, a commit step's) is only ever compared with the durable
//   mark, and every stored index is below `completions`, which every later flush mark is at
//   least. So an index is hashed as its `CompletionMarks.rank`: below the durable mark, below
//   the mark of the flush in flight, or neither; and the counters as whether a completion came
//   since the last flush was issued and whether a flush is in flight past the durable mark.

extension DriverCore {
    /// Hashes the core's whole state but for `node`, `layout` and `faults` (fixed for an
    /// exploration), with its counters as what the core asks of them (see above), for the
    /// explorer's fingerprints: equal hashes mean the same future, up to event seqs and ticket
    /// numbers.
    package func hash(into hasher: inout StableHasher) {
        phase.hash(into: &hasher)
        hasher.combine(pendingIO.count)
        let marks = CompletionMarks(durable: durableMark, issued: flushIssuedMark)
        // In ticket order: the same for cores whose tickets, counted back from `nextTicket`, are.
        for io in pendingIO {
            hasher.combine(nextTicket - io.key.raw)
            io.value.hash(into: &hasher, marks)
        }
        hasher.combine(regions.count)
        for region in regions { region.hash(into: &hasher, marks) }
        hasher.combine(openRegion)
        hasher.combine(freeRegions)
        hasher.combine(waiting.count)
        for arrival in waiting { arrival.hash(into: &hasher) }
        hasher.combine(waitingHead)
        hasher.combine(arrivals)
        hasher.combine(durableArrivals)
        hasher.combine(known.count)
        hasher.combine(knownDigest)
        hasher.combine(syncs.count)
        // Dictionaries as sums of one hash per entry: the same in any order, with no sorted copy.
        hasher.combine(StableHasher.unorderedSum(syncs) { sync, entry in
            entry.combine(sync.key)
            entry.combine(sync.value)
        })
        hasher.combine(lastArrival.count)
        hasher.combine(StableHasher.unorderedSum(lastArrival) { last, entry in entry.combine(last.key, last.value) })
        journal.hash(into: &hasher, marks)
        hasher.combine(mapsChanged ? mapsHash() : mapsDigest)
        hasher.combine(needsChunks)
        hasher.combine(completions > flushIssuedMark)
        hasher.combine(durableMark < flushIssuedMark)
        if let flushInFlight {
            hasher.combine(1)
            hasher.combine(nextTicket - flushInFlight.raw)
        } else {
            hasher.combine(0)
        }
        if let recovery {
            hasher.combine(1)
            recovery.hash(into: &hasher)
        } else {
            hasher.combine(0)
        }
        hasher.combine(shutdownRequested)
    }
}

extension DriverCore.Phase {
    /// Hashes the case number: where the core is.
    func hash(into hasher: inout StableHasher) {
        switch self {
        case .unmounted: hasher.combine(0)
        case .recovering: hasher.combine(1)
        case .online: hasher.combine(2)
        case .stopping: hasher.combine(3)
        case .stopped: hasher.combine(4)
        case .failed: hasher.combine(5)
        }
    }
}

extension IOPurpose {
    /// Hashes the case number, then the payload: what an outstanding I/O's completion does.
    func hash(into hasher: inout StableHasher, _ marks: CompletionMarks) {
        switch self {
        case let .journal(seq):
            hasher.combine(0)
            hasher.combine(seq)
        case let .patch(first, count):
            hasher.combine(1)
            hasher.combine(first)
            hasher.combine(count)
        case let .flush(mark):
            hasher.combine(2)
            hasher.combine(marks.rank(mark))
        case .ledger:
            hasher.combine(3)
        case .superblock:
            hasher.combine(4)
        case .recovery:
            hasher.combine(5)
        case let .data(region):
            hasher.combine(6)
            hasher.combine(region)
        }
    }
}

extension IDRange {
    /// Hashes a list of runs (a segment's ids, the ledger) with its count.
    static func hash(_ ranges: [IDRange], into hasher: inout StableHasher) {
        hasher.combine(ranges.count)
        // Two integers each, no padding: hashed as their bytes, through the hasher's lanes
        // (the ledger grows with the requests).
        assert(MemoryLayout<IDRange>.size == 2 * MemoryLayout<Int>.size
               && MemoryLayout<IDRange>.stride == MemoryLayout<IDRange>.size, "IDRange must be two Ints, unpadded")
        ranges.withUnsafeBytes { hasher.combine(contiguous: $0) }
    }
}

extension WriteRequest {
    /// Hashes every field of a submitted request: interface, id, offset, bytes and deps.
    func hash(into hasher: inout StableHasher) {
        hasher.combine(iface)
        hasher.combine(id)
        hasher.combine(offset)
        hasher.combine(bytes: bytes)
        hasher.combine(deps)
    }
}

extension Region {
    /// Hashes the region's content (`contentHash()`, as last taken when it is unchanged since)
    /// and its data writes; `index` and `limit` are left out (fixed for an exploration: the
    /// region's place in `regions` and the staging configuration).
    func hash(into hasher: inout StableHasher, _ marks: CompletionMarks) {
        hasher.combine(contentChanged ? contentHash() : contentDigest)
        hasher.combine(dataWrites)
        hasher.combine(dataWritten.map { marks.rank($0) })
    }

    /// A hash of its buffer, records, held bytes, inline records and displaced chunks: what
    /// only staging, sealing and reuse change.
    func contentHash() -> UInt64 {
        var hasher = StableHasher()
        hasher.combine(bytes: buffer)
        hasher.combine(records.count)
        for record in records { record.hash(into: &hasher) }
        hasher.combine(heldBytes)
        hasher.combine(inlineRecords)
        hasher.combine(displaced)
        return hasher.value
    }
}

extension DriverCore {
    /// Takes the digests of what changes seldom again where it changed (each region's content,
    /// the chunk maps, the journal's retired segments, superblock and ledger), so that the next
    /// fingerprints read them instead of hashing it all (the explorer calls this after every
    /// step; a fingerprint without it is the same, only slower).
    package mutating func refreshDigests() {
        for r in regions.indices where regions[r].contentChanged { regions[r].refreshDigest() }
        if mapsChanged {
            mapsDigest = mapsHash()
            mapsChanged = false
        }
        if journal.checkpointChanged { journal.refreshDigest() }
    }

    /// A hash of the chunk map, the checkpoint map and the free chunks.
    func mapsHash() -> UInt64 {
        var hasher = StableHasher()
        hasher.combine(chunkMap)
        hasher.combine(checkpointMap)
        hasher.combine(freeChunks)
        return hasher.value
    }
}

extension JournalState {
    /// A hash of the retired segments, the superblock and the ledger: what only checkpoints
    /// and superblock commits change.
    func checkpointHash() -> UInt64 {
        var hasher = StableHasher()
        hasher.combine(retired.count)
        for segment in retired { segment.hash(into: &hasher) }
        if let superblock {
            hasher.combine(1)
            superblock.hash(into: &hasher)
        } else {
            hasher.combine(0)
        }
        IDRange.hash(ledger, into: &hasher)
        return hasher.value
    }
}

extension StagedRecord {
    /// Hashes every field of a staged request: where it goes and where its bytes are.
    func hash(into hasher: inout StableHasher) {
        hasher.combine(iface)
        hasher.combine(id)
        hasher.combine(offset)
        hasher.combine(payload.lowerBound)
        hasher.combine(payload.upperBound)
        hasher.combine(arrival)
        hasher.combine(pieces.count)
        for piece in pieces {
            hasher.combine(piece.offset)
            hasher.combine(piece.count)
        }
        hasher.combine(chunks)
        hasher.combine(bytes: held)
    }
}

extension Arrival {
    /// Hashes a request waiting for staging room, with its place in the arrival order.
    func hash(into hasher: inout StableHasher) {
        request.hash(into: &hasher)
        hasher.combine(arrival)
    }
}

extension JournalState {
    /// Hashes the writer's whole view of the journal: segments, retired segments, ring
    /// positions, chain, superblock, ledger and the commit in progress.
    func hash(into hasher: inout StableHasher, _ marks: CompletionMarks) {
        hasher.combine(segments.count)
        for segment in segments { segment.hash(into: &hasher, marks) }
        hasher.combine(checkpointChanged ? checkpointHash() : checkpointDigest)
        hasher.combine(head)
        hasher.combine(used)
        hasher.combine(nextSeq)
        hasher.combine(UInt64(lastChecksum))
        hasher.combine(epoch)
        if let commit {
            hasher.combine(1)
            commit.hash(into: &hasher, marks)
        } else {
            hasher.combine(0)
        }
        hasher.combine(patchInFlight)
        hasher.combine(needsSpace)
    }
}

extension SegmentState {
    /// Hashes every field of a sealed segment, its stage last.
    func hash(into hasher: inout StableHasher, _ marks: CompletionMarks) {
        hasher.combine(seq)
        hasher.combine(region)
        hasher.combine(UInt64(prev))
        hasher.combine(UInt64(checksum))
        hasher.combine(blocks)
        hasher.combine(position)
        hasher.combine(span)
        IDRange.hash(ids, into: &hasher)
        hasher.combine(endArrival)
        stage.hash(into: &hasher, marks)
    }
}

extension SegmentState.Stage {
    /// Hashes the case number, then the rank of the completion index of `written` and
    /// `patched` against the flush marks.
    func hash(into hasher: inout StableHasher, _ marks: CompletionMarks) {
        switch self {
        case .queued:
            hasher.combine(0)
        case .writing:
            hasher.combine(1)
        case let .written(index):
            hasher.combine(2)
            hasher.combine(marks.rank(index))
        case .durable:
            hasher.combine(3)
        case .patching:
            hasher.combine(4)
        case let .patched(index):
            hasher.combine(5)
            hasher.combine(marks.rank(index))
        }
    }
}

extension RetiredSegment {
    /// Hashes every field of a retired segment: chain, ring place and ids.
    func hash(into hasher: inout StableHasher) {
        hasher.combine(seq)
        hasher.combine(UInt64(prev))
        hasher.combine(position)
        hasher.combine(span)
        IDRange.hash(ids, into: &hasher)
        hasher.combine(displaced)
    }
}

extension Superblock {
    /// Hashes every field but `layout` (fixed for an exploration): generation, epoch, tail,
    /// its seq and predecessor checksum, the ledger's length and checksum, the map's checksum.
    func hash(into hasher: inout StableHasher) {
        hasher.combine(generation)
        hasher.combine(epoch)
        hasher.combine(tail)
        hasher.combine(tailSeq)
        hasher.combine(UInt64(tailPrev))
        hasher.combine(ledgerCount)
        hasher.combine(UInt64(ledgerChecksum))
        hasher.combine(UInt64(mapChecksum))
    }
}

extension CommitStep {
    /// Hashes the case number, then the payload: how far the superblock commit got.
    func hash(into hasher: inout StableHasher, _ marks: CompletionMarks) {
        switch self {
        case let .ledger(retired, ledger, mapChecksum):
            hasher.combine(0)
            hasher.combine(retired)
            IDRange.hash(ledger, into: &hasher)
            hasher.combine(UInt64(mapChecksum))
        case let .ledgerWritten(index, retired, ledger, mapChecksum):
            hasher.combine(1)
            hasher.combine(marks.rank(index))
            hasher.combine(retired)
            IDRange.hash(ledger, into: &hasher)
            hasher.combine(UInt64(mapChecksum))
        case let .superblock(sb, retired, ledger):
            hasher.combine(2)
            sb.hash(into: &hasher)
            hasher.combine(retired)
            IDRange.hash(ledger, into: &hasher)
        case let .superWritten(index, sb, retired, ledger):
            hasher.combine(3)
            hasher.combine(marks.rank(index))
            sb.hash(into: &hasher)
            hasher.combine(retired)
            IDRange.hash(ledger, into: &hasher)
        }
    }
}

extension RecoveryState {
    /// Hashes every field of the format, mount or recovery in progress.
    func hash(into hasher: inout StableHasher) {
        hasher.combine(traced)
        hasher.combine(blockSize)
        hasher.combine(blockCount)
        step.hash(into: &hasher)
        hasher.combine(expectedSeq)
        hasher.combine(UInt64(expectedPrev))
        hasher.combine(segments)
        hasher.combine(recoveredCount)
        hasher.combine(bytes)
        hasher.combine(stop)
        hasher.combine(map)
        hasher.combine(ids)
        if let held {
            hasher.combine(1)
            held.hash(into: &hasher)
        } else {
            hasher.combine(0)
        }
    }
}

extension RecoveryState.Step {
    /// Hashes the case number, then the payload: the recovery's next I/O.
    func hash(into hasher: inout StableHasher) {
        switch self {
        case let .formatMap(first, second):
            hasher.combine(9)
            first.hash(into: &hasher)
            second.hash(into: &hasher)
        case let .map(sb):
            hasher.combine(10)
            sb.hash(into: &hasher)
        case let .writeMap(sb):
            hasher.combine(11)
            sb.hash(into: &hasher)
        case let .formatWrite(sb):
            hasher.combine(0)
            sb.hash(into: &hasher)
        case let .formatFlush(sb):
            hasher.combine(1)
            sb.hash(into: &hasher)
        case .superblock:
            hasher.combine(2)
        case let .ledger(sb):
            hasher.combine(3)
            sb.hash(into: &hasher)
        case let .segment(sb, position):
            hasher.combine(4)
            sb.hash(into: &hasher)
            hasher.combine(position)
        case let .patch(sb, next):
            hasher.combine(5)
            sb.hash(into: &hasher)
            hasher.combine(next)
        case let .flushData(sb):
            hasher.combine(6)
            sb.hash(into: &hasher)
        case let .writeSuper(sb):
            hasher.combine(7)
            sb.hash(into: &hasher)
        case let .flushSuper(sb):
            hasher.combine(8)
            sb.hash(into: &hasher)
        }
    }
}

extension HeldSegment {
    /// Hashes the held-back segment's ring position and bytes.
    func hash(into hasher: inout StableHasher) {
        hasher.combine(position)
        hasher.combine(bytes: bytes)
    }
}

/// The durable mark and the mark of the flush issued last, against which a completion index is
/// hashed (see the top of this file).
struct CompletionMarks {
    /// `DriverCore.durableMark`.
    var durable: Int
    /// `DriverCore.flushIssuedMark` (at least `durable`).
    var issued: Int

    /// 0 below the durable mark (flushed), 1 below the issued mark (flushed when the flush in
    /// flight completes), 2 otherwise (waits for a flush not yet issued).
    func rank(_ index: Int) -> Int { index < durable ? 0 : index < issued ? 1 : 2 }
}

extension DriverCore {
    /// How many I/O tickets the core has given out: fingerprints name an outstanding I/O by how
    /// far back from this its ticket was given out.
    package var ticketsIssued: Int { nextTicket }
}
