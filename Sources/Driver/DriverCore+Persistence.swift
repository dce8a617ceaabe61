import Checksum
import Trace

// Journal writes, flushes, durability, checkpoints and superblock commits.
//
// Why a crash never loses a durable write nor shows a torn one:
// - A request is called durable only when its segment's journal write and every earlier
//   segment's completed before a flush was issued, and that flush completed. Recovery replays
//   segments from the superblock's tail while each one's CRC, seq and predecessor checksum check
//   out, so it replays exactly a prefix of the segments: every durable one (they were flushed, and
//   the ring space they sit in is not reused before the superblock moves the tail past them),
//   perhaps a few more that reached the platter unflushed, never one without all before it.
// - A torn segment fails its CRC; an intact segment left by an earlier pass of the ring, or by the
//   epoch before a recovery, fails the seq or predecessor check. Either ends the replay there.
// - A record written out of place is replayed by pointing the map at its chunks; its segment was
//   written only after those chunks' data was flushed, so any segment recovery replays names
//   chunks that hold its whole data (see `DriverCore+ChunkMap.swift` for when chunks are reused).
// - The data area changes only by out-of-place writes to free chunks and by checkpoint patches
//   of durable segments, in order (one patch covers every durable segment at its start, later
//   records winning), and is never trusted alone: recovery re-applies every segment from the
//   tail, so a patch torn by the cut is redone. Patching lazily only lengthens that replay.
// - The tail moves (superblock commit) only past segments whose patches were flushed, and only
//   after their ids were added to the ledger and the chunk map as of those segments was written
//   to the copy the new superblock names, both flushed; the superblock copy written is the older
//   one, so a torn superblock or map write leaves the previous commit intact. The ledger only
//   grows within an epoch (new entries after the ones a superblock counts, never merged into
//   them), so the checksum each superblock holds over its count of entries stays true whatever
//   a cut does to the entries past it; a mismatch is damage, and recovery refuses the image.
// - Prefix of segments = prefix of arrivals (segments hold arrivals in order), hence per
//   interface a prefix, closed under deps (a dep is an earlier arrival).
extension DriverCore {
    /// Runs every step that an input may have enabled, until none does.
    mutating func progress(_ out: inout [Action]) {
        var changed = true
        while changed {
            changed = false
            if markDurable(&out) { changed = true }
            if retireCheckpointed() { changed = true }
            if stageWaiting(&out) { changed = true }
            if sealForSyncs(&out) { changed = true }
            if startPatch(&out) { changed = true }
            if advanceCommit(&out) { changed = true }
            if writeSegments(&out) { changed = true }
            if startCommit(&out) { changed = true }
            if startFlush(&out) { changed = true }
            if phase == .failed { return }
        }
        if shutdownRequested, phase == .stopping, openRegion == nil, waitingHead == waiting.count,
           journal.segments.isEmpty, journal.retired.isEmpty, journal.commit == nil, flushInFlight == nil {
            phase = .stopped
            out.append(.stopped)
        }
    }

    /// An I/O of the running device completed.
    mutating func completed(_ ticket: IOTicket, _ purpose: IOPurpose, bytes: [UInt8]?, _ out: inout [Action]) {
        switch purpose {
        case let .journal(seq):
            if let i = segmentIndex(seq) { journal.segments[i].stage = .written(completions) }
            completions += 1
        case let .data(region):
            regions[region].dataWrites -= 1
            regions[region].dataWritten = completions
            completions += 1
        case let .patch(first, count):
            for seq in first ..< first + count {
                if let i = segmentIndex(seq) { journal.segments[i].stage = .patched(completions) }
            }
            completions += 1
            journal.patchInFlight = false
        case let .flush(mark):
            durableMark = mark
            flushInFlight = nil
        case .ledger:
            if case let .ledger(retired, ledger, checksum) = journal.commit {
                journal.commit = .ledgerWritten(completions, retired: retired, ledger: ledger, mapChecksum: checksum)
            }
            completions += 1
        case .superblock:
            if case let .superblock(sb, retired, ledger) = journal.commit {
                journal.commit = .superWritten(completions, sb, retired: retired, ledger: ledger)
            }
            completions += 1
        case .recovery:
            recoveryCompleted(bytes: bytes, &out)
        }
    }

    func segmentIndex(_ seq: Int) -> Int? {
        guard let first = journal.segments.first?.seq, seq >= first, seq - first < journal.segments.count
        else { return nil }
        return seq - first
    }

    /// Marks durable the segments whose writes, and every earlier one's, were flushed; records
    /// `durable` for their requests in arrival order and finishes the syncs that waited.
    mutating func markDurable(_ out: inout [Action]) -> Bool {
        var changed = false
        for i in journal.segments.indices {
            switch journal.segments[i].stage {
            case .written(let index) where index < durableMark:
                journal.segments[i].stage = .durable
                for rec in regions[journal.segments[i].region].records { record(.durable(id: rec.id), &out) }
                durableArrivals = journal.segments[i].endArrival
                changed = true
            case .queued, .writing, .written:
                if faults.durableOutOfOrder { continue }  // test-only fault: ignores the prefix rule.
                if changed { finishSyncs(&out) }
                return changed
            default:
                continue
            }
        }
        if changed { finishSyncs(&out) }
        return changed
    }

    /// Checkpoints every durable segment with one patch of their inline records, in arrival
    /// order (later records win where they overlap), once it is worth it: staging or the ring
    /// runs short, a large write waits for chunks, or the shutdown waits. Lazily and in bulk,
    /// so that the data area's random writes leave the path of syncs and share one flush.
    /// Segments with nothing inline are checkpointed at once, with no I/O.
    mutating func startPatch(_ out: inout [Action]) -> Bool {
        guard !journal.patchInFlight, let first = journal.segments.firstIndex(where: { $0.stage == .durable })
        else { return false }
        guard first == 0 || journal.segments[first - 1].stage != .durable else { return false }
        var end = first
        while end < journal.segments.count, journal.segments[end].stage == .durable { end += 1 }
        if !(first ..< end).contains(where: { regions[journal.segments[$0].region].inlineRecords > 0 }) {
            for i in first ..< end { journal.segments[i].stage = .patched(-1) }
            return true
        }
        guard checkpointDue(durable: end - first) else { return false }
        var extents: [ByteExtent] = []
        for i in first ..< end {
            let region = regions[journal.segments[i].region]
            for rec in region.records where rec.chunks.isEmpty {
                var at = rec.payload.lowerBound
                for piece in rec.pieces {
                    extents.append(ByteExtent(offset: piece.offset, bytes: Array(region.buffer[at ..< at + piece.count])))
                    at += piece.count
                }
            }
        }
        for i in first ..< end { journal.segments[i].stage = .patching }
        journal.patchInFlight = true
        let seq = journal.segments[first].seq
        out.append(.patch(ticket(for: .patch(first: seq, count: end - first)), extents))
        return true
    }

    /// Whether the durable segments should be checkpointed now: three quarters of the regions
    /// wait for it (a large batch: overwrites of one block coalesce, and the rest of staging
    /// takes writes meanwhile), a caller or a large write waits for room, the ring is short, or
    /// the shutdown waits.
    func checkpointDue(durable: Int) -> Bool {
        guard let layout else { return false }
        return durable * 4 >= layout.staging.regionCount * 3 || freeRegions.isEmpty || waitingHead < waiting.count
            || needsChunks || journal.needsSpace || shutdownRequested
    }

    /// Retires the oldest segments whose patches were flushed: their regions are free again,
    /// and the checkpoint map takes their remaps.
    mutating func retireCheckpointed() -> Bool {
        var changed = false
        while let first = journal.segments.first, case let .patched(index) = first.stage, index < durableMark {
            journal.segments.removeFirst()
            let region = regions[first.region]
            if let layout {
                for rec in region.records where !rec.chunks.isEmpty {
                    let logical = rec.offset / layout.chunkBytes
                    for (i, chunk) in rec.chunks.enumerated() { checkpointMap[logical + i] = chunk }
                }
            }
            journal.retired.append(RetiredSegment(
                seq: first.seq, prev: first.prev, position: first.position!, span: first.span, ids: first.ids,
                displaced: region.displaced))
            regions[first.region].reset()
            freeRegions.append(first.region)
            freeRegions.sort()
            changed = true
        }
        return changed
    }

    /// Writes queued segments, in order, while the ring has room.
    mutating func writeSegments(_ out: inout [Action]) -> Bool {
        guard let layout else { return false }
        var changed = false
        for i in journal.segments.indices where journal.segments[i].stage == .queued {
            // Its out-of-place data first: a segment on the platter names only chunks that are.
            guard regions[journal.segments[i].region].dataDurable(before: durableMark) else { return changed }
            let blocks = journal.segments[i].blocks
            let position = journal.head
            let end = position + blocks
            let next = layout.nextSegmentPosition(after: end)
            let span = blocks + (next == 0 ? layout.journalBlocks - end : 0)
            guard span <= layout.journalBlocks - journal.used else {
                journal.needsSpace = true
                return changed
            }
            journal.segments[i].position = position
            journal.segments[i].span = span
            journal.segments[i].stage = .writing
            journal.head = next
            journal.used += span
            let t = ticket(for: .journal(seq: journal.segments[i].seq))
            out.append(.write(t, block: layout.journalStart + position, bytes: regions[journal.segments[i].region].buffer))
            changed = true
        }
        return changed
    }

    /// Issues a flush when some write completed since the last one was issued.
    mutating func startFlush(_ out: inout [Action]) -> Bool {
        guard flushInFlight == nil, completions > flushIssuedMark else { return false }
        flushIssuedMark = completions
        let t = ticket(for: .flush(mark: completions))
        flushInFlight = t
        out.append(.flush(t))
        return true
    }

    /// Starts a superblock commit when a segment waits for ring space, when retired segments
    /// hold a quarter of the ring or of the spare chunks, when a large write waits for chunks,
    /// or to finish a shutdown: first the ledger gets their ids and the map copy the new
    /// superblock will name gets the checkpoint map, in one patch.
    mutating func startCommit(_ out: inout [Action]) -> Bool {
        guard journal.commit == nil, !journal.retired.isEmpty, let layout else { return false }
        let shutdownReady = shutdownRequested && journal.segments.isEmpty
        let spares = layout.physicalChunks - layout.logicalChunks
        guard journal.needsSpace || journal.retiredSpan * 4 >= layout.journalBlocks || shutdownReady
            || (needsChunks && journal.retiredDisplaced > 0) || journal.retiredDisplaced * 4 >= spares
        else { return false }
        // The ledger only grows within an epoch: entries a superblock counts are never rewritten,
        // so its checksum stays true until the next superblock names the longer ledger.
        var added: [IDRange] = []
        let retired = journal.retired.count
        for r in journal.retired { added.add(contentsOf: r.ids) }
        let ledger = journal.ledger + added
        guard ledger.count <= layout.ledgerCapacity else {
            phase = .failed
            out.append(.failed(.ledgerFull(capacity: layout.ledgerCapacity)))
            return true
        }
        let from = journal.ledger.count
        let w = Self.encodeLedger(added)
        let offset = layout.ledgerStart * layout.blockSize + from * IDRange.size
        let map = Self.encodeMap(checkpointMap, layout)
        let copy = (journal.superblock!.generation + 1) % 2
        journal.commit = .ledger(retired: retired, ledger: ledger, mapChecksum: map.checksum)
        out.append(.patch(ticket(for: .ledger), [
            ByteExtent(offset: offset, bytes: w.bytes),
            ByteExtent(offset: layout.mapBlock(copy: copy) * layout.blockSize, bytes: map.bytes),
        ]))
        return true
    }

    /// Moves a superblock commit on: once the ledger is flushed, writes the older superblock
    /// copy with the new tail; once that is flushed, the retired segments' ring space is free.
    mutating func advanceCommit(_ out: inout [Action]) -> Bool {
        switch journal.commit {
        case let .ledgerWritten(index, retired, ledger, mapChecksum) where index < durableMark:
            var sb = journal.superblock!
            sb.generation += 1
            sb.ledgerCount = ledger.count
            sb.ledgerChecksum = Self.encodeLedger(ledger).bytes.withUnsafeBytes { CRC32.checksum($0) }
            sb.mapChecksum = mapChecksum
            if retired < journal.retired.count {
                let next = journal.retired[retired]
                (sb.tail, sb.tailSeq, sb.tailPrev) = (next.position, next.seq, next.prev)
            } else if let next = journal.segments.first {
                (sb.tail, sb.tailSeq, sb.tailPrev) = (next.position ?? journal.head, next.seq, next.prev)
            } else {
                (sb.tail, sb.tailSeq, sb.tailPrev) = (journal.head, journal.nextSeq, journal.lastChecksum)
            }
            journal.commit = .superblock(sb, retired: retired, ledger: ledger)
            out.append(.write(ticket(for: .superblock), block: sb.block, bytes: sb.encode()))
            return true
        case let .superWritten(index, sb, retired, ledger) where index < durableMark:
            journal.superblock = sb
            journal.ledger = ledger
            journal.used -= journal.retired[..<retired].reduce(0) { $0 + $1.span }
            releaseChunks(journal.retired[..<retired].flatMap(\.displaced))
            journal.retired.removeFirst(retired)
            journal.needsSpace = false
            journal.commit = nil
            return true
        default:
            return false
        }
    }

    /// Ledger entries as the image holds them: `first u64 | count u64` each.
    static func encodeLedger(_ entries: some Collection<IDRange>) -> LittleEndianWriter {
        var w = LittleEndianWriter(capacity: entries.count * IDRange.size)
        for r in entries {
            w.put(r.first, as: UInt64.self)
            w.put(r.count, as: UInt64.self)
        }
        return w
    }
}
