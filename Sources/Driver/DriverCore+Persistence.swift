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
// - The data area changes only by patches of durable segments, in order, and is never trusted
//   alone: recovery re-applies every segment from the tail, so a patch torn by the cut is redone.
// - The tail moves (superblock commit) only past segments whose patches were flushed, and only
//   after their ids were added to the ledger and the ledger flushed; the superblock copy written
//   is the older one, so a torn superblock write leaves the previous commit intact.
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
        case let .patch(seq):
            if let i = segmentIndex(seq) { journal.segments[i].stage = .patched(completions) }
            completions += 1
            journal.patchInFlight = false
        case let .flush(mark):
            durableMark = mark
            flushInFlight = nil
        case .ledger:
            if case let .ledger(retired, ledger) = journal.commit {
                journal.commit = .ledgerWritten(completions, retired: retired, ledger: ledger)
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

    /// Patches the oldest durable segment into the data area (one patch at a time, in order, so
    /// overlapping writes land oldest first).
    mutating func startPatch(_ out: inout [Action]) -> Bool {
        guard !journal.patchInFlight, let layout,
              let i = journal.segments.firstIndex(where: { $0.stage == .durable }) else { return false }
        guard i == 0 || journal.segments[i - 1].stage != .durable else { return false }
        let region = regions[journal.segments[i].region]
        let extents = region.records.map {
            ByteExtent(offset: layout.deviceOffset(ofData: $0.offset), bytes: Array(region.buffer[$0.payload]))
        }
        journal.segments[i].stage = .patching
        journal.patchInFlight = true
        out.append(.patch(ticket(for: .patch(seq: journal.segments[i].seq)), extents))
        return true
    }

    /// Retires the oldest segments whose patches were flushed: their regions are free again.
    mutating func retireCheckpointed() -> Bool {
        var changed = false
        while let first = journal.segments.first, case let .patched(index) = first.stage, index < durableMark {
            journal.segments.removeFirst()
            journal.retired.append(RetiredSegment(
                seq: first.seq, prev: first.prev, position: first.position!, span: first.span, ids: first.ids))
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
    /// hold a quarter of the ring, or to finish a shutdown: first the ledger gets their ids.
    mutating func startCommit(_ out: inout [Action]) -> Bool {
        guard journal.commit == nil, !journal.retired.isEmpty, let layout else { return false }
        let shutdownReady = shutdownRequested && journal.segments.isEmpty
        guard journal.needsSpace || journal.retiredSpan * 4 >= layout.journalBlocks || shutdownReady
        else { return false }
        var ledger = journal.ledger
        let retired = journal.retired.count
        for r in journal.retired { ledger.add(contentsOf: r.ids) }
        guard ledger.count <= layout.ledgerCapacity else {
            phase = .failed
            out.append(.failed(.ledgerFull(capacity: layout.ledgerCapacity)))
            return true
        }
        // Rewrite from the first entry that changed (the last one may have grown).
        let from = journal.ledger.isEmpty ? 0 : journal.ledger.count - 1
        var w = LittleEndianWriter(capacity: (ledger.count - from) * IDRange.size)
        for r in ledger[from...] {
            w.put(r.first, as: UInt64.self)
            w.put(r.count, as: UInt64.self)
        }
        let offset = layout.ledgerStart * layout.blockSize + from * IDRange.size
        journal.commit = .ledger(retired: retired, ledger: ledger)
        out.append(.patch(ticket(for: .ledger), [ByteExtent(offset: offset, bytes: w.bytes)]))
        return true
    }

    /// Moves a superblock commit on: once the ledger is flushed, writes the older superblock
    /// copy with the new tail; once that is flushed, the retired segments' ring space is free.
    mutating func advanceCommit(_ out: inout [Action]) -> Bool {
        switch journal.commit {
        case let .ledgerWritten(index, retired, ledger) where index < durableMark:
            var sb = journal.superblock!
            sb.generation += 1
            sb.ledgerCount = ledger.count
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
            journal.retired.removeFirst(retired)
            journal.needsSpace = false
            journal.commit = nil
            return true
        default:
            return false
        }
    }
}
