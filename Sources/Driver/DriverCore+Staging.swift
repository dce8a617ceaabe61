import Trace

// Submits, syncs and reads: what callers see.
extension DriverCore {
    /// A submit: checked, recorded as the interface's next arrival, then staged (or queued when
    /// staging is full: the caller waits for its completion, nothing is lost).
    mutating func submit(_ request: WriteRequest, _ out: inout [Action]) {
        guard phase == .online, let layout else { return out.append(.refused(.notOnline)) }
        if let refusal = check(request, layout) { return out.append(.refused(refusal)) }
        know(request.id)
        record(.submit(iface: request.iface, id: request.id, off: request.offset,
                       len: request.bytes.count, deps: request.deps), &out)
        let arrival = Arrival(request: request, arrival: arrivals)
        arrivals += 1
        lastArrival[request.iface] = arrivals
        if waitingHead < waiting.count || !stage(arrival, &out) {
            waiting.append(arrival)
        }
    }

    /// Why a submit cannot be taken, if it cannot.
    func check(_ r: WriteRequest, _ layout: DeviceLayout) -> RequestRefusal? {
        if r.iface < 0 { return .badInterface(r.iface) }
        if r.bytes.isEmpty || r.offset < 0 || r.offset > layout.dataBytes - r.bytes.count {
            return .outOfRange(id: r.id, offset: r.offset, length: r.bytes.count, capacity: layout.dataBytes)
        }
        let limit = layout.maxRequestBytes(deps: r.deps.count)
        if r.bytes.count > limit, Self.wholeChunks(r, layout) == 0 {
            return .tooLarge(id: r.id, length: r.bytes.count, limit: max(0, limit))
        }
        if known.contains(r.id) { return .duplicateID(r.id) }
        if let dep = r.deps.first(where: { !known.contains($0) }) { return .unknownDependency(id: r.id, dep: dep) }
        return nil
    }

    /// Copies a request into the open region (sealing a full one, opening a free one) and
    /// completes it; false when staging (or, for a large write, the spare chunks) has no room.
    mutating func stage(_ a: Arrival, _ out: inout [Action]) -> Bool {
        guard let layout else { return false }
        let chunks = Self.wholeChunks(a.request, layout)
        if chunks > 0 { return stageOutOfPlace(a, chunks: chunks, layout, &out) }
        let size = JournalRecord.size(length: a.request.bytes.count, deps: a.request.deps.count)
        guard openRegion(for: size, held: 0, &out) else { return false }
        let r = openRegion!
        let start = regions[r].buffer.count + size - a.request.bytes.count
        JournalRecord.append(a.request, to: &regions[r].buffer)
        regions[r].records.append(StagedRecord(
            iface: a.request.iface, id: a.request.id, offset: a.request.offset,
            payload: start ..< start + a.request.bytes.count, arrival: a.arrival,
            pieces: Self.pieces(offset: a.request.offset, length: a.request.bytes.count, map: chunkMap, layout: layout)))
        regions[r].inlineRecords += 1
        completeStaged(a.request.id, region: r, &out)
        return true
    }

    /// How many whole chunks a request covers when it covers nothing else and a region takes
    /// it out of place (0 otherwise): such a request is written out of place.
    static func wholeChunks(_ request: WriteRequest, _ layout: DeviceLayout) -> Int {
        let chunk = layout.chunkBytes
        guard request.offset % chunk == 0, request.bytes.count % chunk == 0,
              request.bytes.count <= layout.staging.regionBytes,
              JournalRecord.size(chunks: request.bytes.count / chunk, deps: request.deps.count) <= layout.staging.regionBytes
        else { return 0 }
        return request.bytes.count / chunk
    }

    /// Makes sure the open region takes a record of `size` bytes holding `held` more: seals
    /// it if full, opens a free one if none is open; false when no region is free.
    mutating func openRegion(for size: Int, held: Int, _ out: inout [Action]) -> Bool {
        if let open = openRegion, !regions[open].fits(size, held: held) { seal(&out) }
        if openRegion == nil {
            guard !freeRegions.isEmpty else { return false }
            openRegion = freeRegions.removeFirst()
        }
        return true
    }

    /// Stages a request that covers `count` whole chunks: takes free chunks, points the live
    /// map at them, writes the bytes there (one write per run of consecutive chunks), and keeps
    /// the bytes in the region for reads; its record names the chunks.
    mutating func stageOutOfPlace(_ a: Arrival, chunks count: Int, _ layout: DeviceLayout, _ out: inout [Action]) -> Bool {
        let request = a.request
        guard freeChunks.count >= count else {
            needsChunks = true
            return false
        }
        let size = JournalRecord.size(chunks: count, deps: request.deps.count)
        guard openRegion(for: size, held: request.bytes.count, &out), let chunks = takeChunks(count) else { return false }
        needsChunks = false
        let r = openRegion!
        let first = request.offset / layout.chunkBytes
        for (i, chunk) in chunks.enumerated() {
            regions[r].displaced.append(chunkMap[first + i])
            chunkMap[first + i] = chunk
        }
        let at = regions[r].buffer.count + size
        JournalRecord.append(request, chunks: chunks, to: &regions[r].buffer)
        regions[r].heldBytes += request.bytes.count
        regions[r].records.append(StagedRecord(
            iface: request.iface, id: request.id, offset: request.offset, payload: at ..< at, arrival: a.arrival,
            chunks: chunks, held: request.bytes))
        var i = 0
        while i < count {
            var j = i + 1
            while j < count, chunks[j] == chunks[j - 1] + 1 { j += 1 }
            let bytes = i == 0 && j == count
                ? request.bytes : Array(request.bytes[i * layout.chunkBytes ..< j * layout.chunkBytes])
            regions[r].dataWrites += 1
            out.append(.write(ticket(for: .data(region: r)), block: layout.block(ofChunk: chunks[i]), bytes: bytes))
            i = j
        }
        completeStaged(request.id, region: r, &out)
        return true
    }

    /// Records a staged request's `stage` and `complete`, and tells its caller.
    mutating func completeStaged(_ id: Int, region: Int, _ out: inout [Action]) {
        record(.stage(id: id, region: region), &out)
        record(.complete(id: id), &out)
        out.append(.complete(id: id))
    }

    /// Stages queued requests while there is room; true if any was staged.
    mutating func stageWaiting(_ out: inout [Action]) -> Bool {
        var staged = false
        while waitingHead < waiting.count, stage(waiting[waitingHead], &out) {
            waitingHead += 1
            staged = true
        }
        if waitingHead == waiting.count, waitingHead > 0 {
            waiting.removeAll(keepingCapacity: true)
            waitingHead = 0
        }
        return staged
    }

    /// Seals the open region into a journal segment, queued for writing.
    mutating func seal(_ out: inout [Action]) {
        guard let r = openRegion, let layout else { return }
        openRegion = nil
        var region = regions[r]
        let total = region.buffer.count
        var header = SegmentHeader(
            seq: journal.nextSeq, epoch: journal.epoch, prev: journal.lastChecksum,
            recordCount: region.records.count, totalBytes: total, checksum: 0)
        header.encode(into: &region.buffer)
        header.checksum = SegmentHeader.computeChecksum(region.buffer, totalBytes: total)
        header.encode(into: &region.buffer)
        let blocks = (total + layout.blockSize - 1) / layout.blockSize
        region.buffer.append(contentsOf: repeatElement(0, count: blocks * layout.blockSize - total))
        var ids: [IDRange] = []
        for record in region.records { ids.add(record.id) }
        journal.segments.append(SegmentState(
            seq: header.seq, region: r, prev: header.prev, checksum: header.checksum, blocks: blocks,
            ids: ids, endArrival: region.records.last!.arrival + 1))
        journal.nextSeq += 1
        journal.lastChecksum = header.checksum
        regions[r] = region
    }

    /// Seals the open region when a pending sync (or the shutdown) waits for what it holds, or
    /// when a large write waits for the chunks its records displaced.
    mutating func sealForSyncs(_ out: inout [Action]) -> Bool {
        guard let open = openRegion, let first = regions[open].records.first else { return false }
        let horizon = syncs.values.compactMap(\.last).max() ?? 0
        guard first.arrival < horizon || (shutdownRequested && waitingHead == waiting.count)
            || (needsChunks && !regions[open].displaced.isEmpty) else { return false }
        seal(&out)
        return true
    }

    /// A sync: done at once when the interface has nothing undurable, else when it is.
    mutating func sync(iface: Int, _ out: inout [Action]) {
        guard phase == .online else { return out.append(.refused(.notOnline)) }
        guard iface >= 0 else { return out.append(.refused(.badInterface(iface))) }
        record(.sync(iface: iface), &out)
        let target = lastArrival[iface] ?? 0
        if target <= durableArrivals, syncs[iface]?.isEmpty ?? true {
            record(.syncDone(iface: iface), &out)
            out.append(.syncDone(iface: iface))
        } else {
            syncs[iface, default: []].append(target)
        }
    }

    /// Finishes every sync whose requests are all durable, interfaces in order.
    mutating func finishSyncs(_ out: inout [Action]) {
        for iface in syncs.keys.sorted() {
            while let target = syncs[iface]!.first, target <= durableArrivals {
                syncs[iface]!.removeFirst()
                record(.syncDone(iface: iface), &out)
                out.append(.syncDone(iface: iface))
            }
            if syncs[iface]!.isEmpty { syncs[iface] = nil }
        }
    }

    /// A read: the device's bytes with every staged record that overlaps laid over them, oldest
    /// first, so the newest arrival wins.
    mutating func read(_ ticket: ReadTicket, offset: Int, length: Int, _ out: inout [Action]) {
        guard phase == .online || phase == .stopping, let layout else { return out.append(.refused(.notOnline)) }
        guard length > 0, offset >= 0, offset <= layout.dataBytes - length else {
            return out.append(.refused(.outOfRange(id: -1, offset: offset, length: length, capacity: layout.dataBytes)))
        }
        var overlay: [ByteExtent] = []
        let holders = journal.segments.map(\.region) + (openRegion.map { [$0] } ?? [])
        for r in holders {
            for rec in regions[r].records {
                let lo = max(offset, rec.offset), hi = min(offset + length, rec.offset + rec.length)
                guard lo < hi else { continue }
                let bytes = rec.chunks.isEmpty
                    ? Array(regions[r].buffer[rec.payload.lowerBound + lo - rec.offset ..< rec.payload.lowerBound + hi - rec.offset])
                    : Array(rec.held[lo - rec.offset ..< hi - rec.offset])
                overlay.append(ByteExtent(offset: lo - offset, bytes: bytes))
            }
        }
        out.append(.serveRead(ticket, pieces: dataRanges(offset: offset, length: length), overlay: overlay))
    }
}

extension DriverCore {
    /// Where the data area's bytes `offset ..< offset + length` sit on the device now, in order:
    /// what a check of the device's contents reads (the staged bytes not included). Empty before
    /// a format or mount.
    package func dataRanges(offset: Int, length: Int) -> [DeviceRange] {
        guard let layout, !chunkMap.isEmpty, length > 0, offset >= 0, offset <= layout.dataBytes - length else { return [] }
        return Self.pieces(offset: offset, length: length, map: chunkMap, layout: layout)
    }
}
