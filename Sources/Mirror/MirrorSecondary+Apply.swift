import Trace

// Receiving an entry: fencing, duplicates, the reorder buffer, barriers and acks.
extension MirrorSecondary {
    /// Handles one entry that arrived on `path`.
    mutating func arrived(path: Int, _ message: MirrorEntryMessage, _ out: inout [Action]) {
        let entry = message.entry
        // test-only fault `appliesAfterTakeover`: a serving secondary still takes stale entries.
        guard (mode == .mirroring && message.epoch >= epoch) || (faults.appliesAfterTakeover && mode == .serving) else {
            // A stale sender: never applied, never acknowledged.
            out.append(.note(note("x-fence", [
                .init("stream", entry.stream), .init("sn", entry.sn), .init("path", path),
                .init("epoch", message.epoch), .init("current", epoch),
            ])))
            out.append(.send(path: path, .fenced(epoch: epoch)))
            return
        }
        epoch = max(epoch, message.epoch)
        if streams[entry.stream] == nil {
            streams[entry.stream] = Stream()
            let at = streamIDs.firstIndex { $0 > entry.stream } ?? streamIDs.count
            streamIDs.insert(entry.stream, at: at)
        }
        out.append(.record(event(
            .recv(stream: entry.stream, sn: entry.sn, path: path),
            causes: [EventID(node: MirrorNode.primary, seq: message.sendSeq)])))

        streams[entry.stream]!.lastPath = path
        let applied = streams[entry.stream]!.applied
        if entry.sn <= applied || streams[entry.stream]!.buffer[entry.sn] != nil {
            droppedCount += 1
            out.append(.record(event(.drop(stream: entry.stream, sn: entry.sn))))
            if entry.sn <= applied { acknowledge(entry.stream, on: path, &out) }
            return
        }
        streams[entry.stream]!.buffer[entry.sn] = message

        var advanced: [Int] = []
        if applyReady(entry.stream, &out) {
            advanced.append(entry.stream)
            // Applying this stream may have opened the barrier of others.
            var progress = true
            while progress {
                progress = false
                for s in streamIDs where applyReady(s, &out) {
                    if !advanced.contains(s) { advanced.append(s) }
                    progress = true
                }
            }
        }
        for s in advanced.sorted() {
            let back = streams[s]!.lastPath
            acknowledge(s, on: pathIsUp[back] == false ? path : back, &out)
        }
    }

    /// Applies the stream's buffered entries in sn order while the next one is there and its
    /// deps are applied; returns whether it applied any.
    mutating func applyReady(_ s: Int, _ out: inout [Action]) -> Bool {
        var any = false
        // test-only faults: `nextToApply` may skip the gap, and barriers may be ignored.
        while let next = streams[s]!.buffer[nextToApply(s)], faults.ignoresBarriers || depsApplied(next.deps) {
            streams[s]!.buffer[next.entry.sn] = nil
            streams[s]!.applied = next.entry.sn
            appliedCount += 1
            out.append(.record(event(.apply(stream: s, sn: next.entry.sn))))
            out.append(.persist(MirrorRecord(
                lsn: next.lsn, key: next.key, entry: next.entry, payload: next.payload)))
            any = true
        }
        return any
    }

    /// Whether every dep is applied.
    func depsApplied(_ deps: [StreamEntry]) -> Bool {
        deps.allSatisfy { (streams[$0.stream]?.applied ?? 0) >= $0.sn }
    }

    /// Records and sends the stream's cumulative ack.
    mutating func acknowledge(_ s: Int, on path: Int, _ out: inout [Action]) {
        let sn = streams[s]!.applied
        let ack = event(.ack(stream: s, sn: sn))
        out.append(.record(ack))
        out.append(.send(path: path, .ack(epoch: epoch, stream: s, sn: sn, ackSeq: ack.seq)))
    }
}
