import Checksum
import Trace

/// A format, mount or recovery in progress: one I/O at a time.
struct RecoveryState: Sendable {
    enum Step: Sendable {
        case formatMap(Superblock, Superblock)
        case formatWrite(Superblock)
        case formatFlush(Superblock)
        case superblock
        case map(Superblock)
        case ledger(Superblock)
        case segment(Superblock, position: Int)
        case patch(Superblock, next: Int)
        case writeMap(Superblock)
        case flushData(Superblock)
        case writeSuper(Superblock)
        case flushSuper(Superblock)
    }

    /// Whether events are recorded: a recovery after a power loss of this trace is; a mount of
    /// an image from an earlier run is not (its requests are not in this trace).
    var traced: Bool
    var blockSize: Int
    var blockCount: Int
    var step: Step = .superblock
    var expectedSeq = 0
    var expectedPrev: UInt32 = 0
    var segments = 0
    var recoveredCount = 0
    var bytes = 0
    var stop = "end"
    /// The chunk map as replayed so far.
    var map: [Int] = []
    /// Ids recovered (traced recoveries only): the deps the next epoch may name.
    var ids: [Int] = []
    /// The segment held back by the test-only fault `recoveryStopsEarly`.
    var held: HeldSegment?
}

extension DriverCore {
    /// Writes both superblock copies of a new image and flushes them.
    mutating func startFormat(blockSize: Int, blockCount: Int, staging: StagingConfig, nonce: UInt32, _ out: inout [Action]) {
        guard let layout = DeviceLayout.make(blockSize: blockSize, blockCount: blockCount, staging: staging) else {
            phase = .failed
            return out.append(.failed(.incompatible(
                "\(blockCount) blocks of \(blockSize) bytes cannot hold a journal for \(staging.regionCount) regions of "
                    + "\(staging.regionBytes) bytes and a data area at least as large")))
        }
        phase = .recovering
        self.layout = layout
        let map = Self.encodeMap(Self.identityMap(layout), layout)
        let first = Superblock(layout: layout, generation: 0, epoch: 1, tail: 0, tailSeq: 1, tailPrev: nonce, ledgerCount: 0,
                               ledgerChecksum: 0, mapChecksum: map.checksum)
        var second = first
        second.generation = 1
        recovery = RecoveryState(traced: false, blockSize: blockSize, blockCount: blockCount, step: .formatMap(first, second))
        recovery!.map = Self.identityMap(layout)
        out.append(.write(ticket(for: .recovery), block: layout.mapStart, bytes: map.bytes + map.bytes))
    }

    /// Starts reading the image back: the superblock copies first.
    mutating func startRecovery(traced: Bool, geometry: (Int, Int), _ out: inout [Action]) {
        phase = .recovering
        recovery = RecoveryState(traced: traced, blockSize: geometry.0, blockCount: geometry.1)
        out.append(.read(ticket(for: .recovery), block: 0, count: 2))
    }

    /// One recovery I/O finished: take the next step.
    mutating func recoveryCompleted(bytes: [UInt8]?, _ out: inout [Action]) {
        guard var state = recovery else { return }
        switch state.step {
        case let .formatMap(first, second):
            state.step = .formatWrite(second)
            recovery = state
            out.append(.write(ticket(for: .recovery), block: 0, bytes: first.encode() + second.encode()))
        case let .formatWrite(sb):
            state.step = .formatFlush(sb)
            recovery = state
            out.append(.flush(ticket(for: .recovery)))
        case let .formatFlush(sb):
            goOnline(sb, summary: RecoverySummary(segments: 0, recovered: 0, bytesReplayed: 0, stop: "end", epoch: sb.epoch), &out)
        case .superblock:
            readSuperblock(bytes ?? [], &state, &out)
        case let .map(sb):
            readMap(bytes ?? [], sb, &state, &out)
        case let .ledger(sb):
            readLedger(bytes ?? [], sb, &state, &out)
        case let .segment(sb, position):
            readSegment(bytes ?? [], sb, position: position, &state, &out)
        case let .patch(sb, next):
            recovery = state
            scan(sb, at: next, &out)
        case let .writeMap(sb):
            state.step = .flushData(sb)
            recovery = state
            out.append(.flush(ticket(for: .recovery)))
        case let .flushData(sb):
            state.step = .writeSuper(sb)
            recovery = state
            out.append(.write(ticket(for: .recovery), block: sb.block, bytes: sb.encode()))
        case let .writeSuper(sb):
            state.step = .flushSuper(sb)
            recovery = state
            out.append(.flush(ticket(for: .recovery)))
        case let .flushSuper(sb):
            let summary = RecoverySummary(
                segments: state.segments, recovered: state.recoveredCount, bytesReplayed: state.bytes,
                stop: state.stop, epoch: sb.epoch)
            if state.traced { setKnown(Set(state.ids)) }
            goOnline(sb, summary: summary, &out)
            if state.traced { record(.online, &out) }
        }
    }

    /// Picks the valid superblock copy with the higher generation and checks it fits the device.
    mutating func readSuperblock(_ bytes: [UInt8], _ state: inout RecoveryState, _ out: inout [Action]) {
        let copies = [Superblock.decode(bytes, from: 0), Superblock.decode(bytes, from: state.blockSize)]
        let valid = copies.compactMap { if case let .valid(sb) = $0 { sb } else { nil } }
        guard let sb = valid.max(by: { $0.generation < $1.generation }) else {
            for copy in copies {
                if case let .otherVersion(version) = copy {
                    return fail(.incompatible("the image has layout version \(version); this driver reads version "
                        + "\(Superblock.version) only (format the device again, or mount it with the driver that wrote it)"), &out)
                }
            }
            return fail(copies.allSatisfy { $0 == .blank } ? .notAnImage : .damagedSuperblock, &out)
        }
        let l = sb.layout
        guard l.blockSize == state.blockSize, l.blockCount == state.blockCount else {
            return fail(.incompatible("the image was formatted for \(l.blockCount) blocks of \(l.blockSize) bytes; "
                + "the device has \(state.blockCount) blocks of \(state.blockSize)"), &out)
        }
        guard let expected = DeviceLayout.make(blockSize: l.blockSize, blockCount: l.blockCount, staging: l.staging),
              expected == l, sb.tail < l.journalBlocks, sb.ledgerCount <= l.ledgerCapacity else {
            return fail(.incompatible("the superblock's layout is not one this driver makes"), &out)
        }
        layout = l
        state.expectedSeq = sb.tailSeq
        state.expectedPrev = sb.tailPrev
        state.step = .map(sb)
        recovery = state
        out.append(.read(ticket(for: .recovery), block: l.mapBlock(copy: sb.block), count: l.mapBlocks))
    }

    /// Takes the chunk map the superblock names (its checksum checked), then reads the ledger.
    mutating func readMap(_ bytes: [UInt8], _ sb: Superblock, _ state: inout RecoveryState, _ out: inout [Action]) {
        guard let l = layout else { return }
        guard let map = Self.decodeMap(bytes, checksum: sb.mapChecksum, l) else {
            return fail(.damaged("chunk-map copy \(sb.block) (blocks \(l.mapBlock(copy: sb.block)) ..< "
                + "\(l.mapBlock(copy: sb.block) + l.mapBlocks)) does not match the superblock's checksum"), &out)
        }
        state.map = map
        if sb.ledgerCount > 0 {
            state.step = .ledger(sb)
            recovery = state
            let blocks = (sb.ledgerCount * IDRange.size + l.blockSize - 1) / l.blockSize
            out.append(.read(ticket(for: .recovery), block: l.ledgerStart, count: blocks))
        } else {
            recovery = state
            scan(sb, at: sb.tail, &out)
        }
    }

    /// Names every id of the ledger recovered: checkpointed requests of the crashed epoch.
    mutating func readLedger(_ bytes: [UInt8], _ sb: Superblock, _ state: inout RecoveryState, _ out: inout [Action]) {
        let valid = sb.ledgerCount * IDRange.size
        guard bytes.count >= valid,
              bytes.withUnsafeBytes({ CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[..<valid])) }) == sb.ledgerChecksum
        else {
            let start = (layout?.ledgerStart ?? 0) * (layout?.blockSize ?? 0)
            return fail(.damaged("the ledger (\(sb.ledgerCount) entries, bytes \(start) ..< \(start + valid) of the "
                + "device) does not match the superblock's checksum"), &out)
        }
        var r = LittleEndianReader(bytes)
        for entry in 0 ..< sb.ledgerCount {
            guard let first = r.count64(), let count = r.count64(), count > 0, first <= Int.max - count else {
                return fail(.damaged("ledger entry \(entry) of \(sb.ledgerCount) does not parse"), &out)
            }
            for id in first ..< first + count { noteRecovered(id, &state, &out) }
        }
        recovery = state
        scan(sb, at: sb.tail, &out)
    }

    /// Reads the segment that may start at ring position `position`, or ends the scan.
    mutating func scan(_ sb: Superblock, at position: Int, _ out: inout [Action]) {
        guard var state = recovery, let layout else { return }
        let blocks = min(layout.maxSegmentBlocks, layout.journalBlocks - position)
        state.step = .segment(sb, position: position)
        recovery = state
        out.append(.read(ticket(for: .recovery), block: layout.journalStart + position, count: blocks))
    }

    /// Checks the segment read at `position`: replays it and goes on, or ends the scan there.
    mutating func readSegment(_ bytes: [UInt8], _ sb: Superblock, position: Int, _ state: inout RecoveryState, _ out: inout [Action]) {
        guard let layout else { return }
        var stop: String?
        if let header = SegmentHeader.decode(bytes) {
            // test-only fault: `acceptsStaleSegments` skips the seq/prev chain check.
            let expected = faults.acceptsStaleSegments ? (header.seq, header.prev) : (state.expectedSeq, state.expectedPrev)
            switch DecodedSegment.decode(
                header: header, bytes: bytes, expectedSeq: expected.0, expectedPrev: expected.1, layout: layout) {
            case let .success(segment):
                // test-only fault: `recoveryStopsEarly` holds each segment back until the next checks out.
                if faults.recoveryStopsEarly { return holdBack(bytes, header, sb, position: position, &state, &out) }
                let extents = replay(segment, &state, &out)
                state.expectedSeq += 1
                state.expectedPrev = header.checksum
                let blocks = (header.totalBytes + layout.blockSize - 1) / layout.blockSize
                let next = layout.nextSegmentPosition(after: position + blocks)
                state.step = .patch(sb, next: next)
                recovery = state
                // test-only fault: `trustsDataArea` replays no bytes.
                return out.append(.patch(ticket(for: .recovery), faults.trustsDataArea ? [] : extents))
            case let .failure(why):
                stop = why.rawValue
            }
        }
        // The scan ends here: the new epoch's journal starts at this position, with the map as
        // replayed, written to the copy the new superblock names before it.
        state.stop = stop ?? "end"
        var next = sb
        (next.tail, next.tailSeq, next.tailPrev) = (position, state.expectedSeq, state.expectedPrev)
        // test-only fault: `recoveryStopsEarly` drops the held segment; the new epoch starts at it.
        if faults.recoveryStopsEarly { (next.tail, next.tailSeq, next.tailPrev) = scanEnd(state, position: position) }
        next.generation += 1
        next.epoch += 1
        next.ledgerCount = 0
        next.ledgerChecksum = 0
        let map = Self.encodeMap(state.map, layout)
        next.mapChecksum = map.checksum
        state.step = .writeMap(next)
        recovery = state
        out.append(.write(ticket(for: .recovery), block: layout.mapBlock(copy: next.block), bytes: map.bytes))
    }

    /// Replays one segment that checked out: names its requests recovered, points the map at
    /// the chunks of its out-of-place records, and returns its inline records' bytes where the
    /// map (as replayed up to each record) puts them.
    mutating func replay(_ segment: DecodedSegment, _ state: inout RecoveryState, _ out: inout [Action]) -> [ByteExtent] {
        guard let layout else { return [] }
        var extents: [ByteExtent] = []
        extents.reserveCapacity(segment.records.count)
        for rec in segment.records {
            noteRecovered(rec.id, &state, &out)
            if rec.chunks.isEmpty {
                var at = rec.payload.lowerBound
                for piece in Self.pieces(offset: rec.offset, length: rec.length, map: state.map, layout: layout) {
                    extents.append(ByteExtent(offset: piece.offset, bytes: Array(segment.bytes[at ..< at + piece.count])))
                    at += piece.count
                }
                state.bytes += rec.length
            } else {
                let first = rec.offset / layout.chunkBytes
                for (i, chunk) in rec.chunks.enumerated() { state.map[first + i] = chunk }
            }
        }
        state.segments += 1
        return extents
    }

    mutating func noteRecovered(_ id: Int, _ state: inout RecoveryState, _ out: inout [Action]) {
        state.recoveredCount += 1
        guard state.traced else { return }
        state.ids.append(id)
        record(.recovered(id: id), &out)
    }

    mutating func fail(_ error: DriverImageError, _ out: inout [Action]) {
        phase = .failed
        recovery = nil
        out.append(.failed(error))
    }

    /// Serves from a fresh epoch whose journal starts at the superblock's tail.
    mutating func goOnline(_ sb: Superblock, summary: RecoverySummary, _ out: inout [Action]) {
        let layout = sb.layout
        let map = recovery?.map ?? []
        self.layout = layout
        recovery = nil
        journal = JournalState()
        journal.superblock = sb
        journal.head = sb.tail
        journal.nextSeq = sb.tailSeq
        journal.lastChecksum = sb.tailPrev
        journal.epoch = sb.epoch
        regions = (0 ..< layout.staging.regionCount).map { Region(index: $0, regionBytes: layout.staging.regionBytes) }
        freeRegions = Array(regions.indices)
        chunkMap = map
        checkpointMap = chunkMap
        freeChunks = Self.freeList(of: chunkMap, layout: layout)
        needsChunks = false
        phase = .online
        out.append(.online(summary))
    }
}
