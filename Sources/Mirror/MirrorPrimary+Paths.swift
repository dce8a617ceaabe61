import Trace

// Paths: assigning streams, failing over, resending, and the stale primary's attempts.
extension MirrorPrimary {
    /// A path is connected: it takes streams, and anything not yet sent goes out.
    mutating func pathUp(_ path: Int, _ out: inout [Action]) {
        guard pathIsUp.indices.contains(path), !pathIsUp[path] else { return }
        pathIsUp[path] = true
        out.append(.record(event(.path(path: path, up: true))))
        if isDegraded {
            isDegraded = false
            out.append(.degraded(false))
        }
        rebalance(&out)
        for s in streams.indices { sendUnsent(stream: s, &out) }
    }

    /// A path failed: its streams move to live paths and every unacknowledged entry last sent on
    /// it is sent again; with no live path left the primary is degraded.
    mutating func pathDown(_ path: Int, _ out: inout [Action]) {
        guard pathIsUp.indices.contains(path), pathIsUp[path] else { return }
        pathIsUp[path] = false
        out.append(.record(event(.path(path: path, up: false))))
        if faults.skipsResendAfterPathFailure {
            // test-only fault: what the path had taken counts as delivered; nothing is resent.
            commitInFlight(on: path, &out)
        }
        for s in streams.indices {
            for i in streams[s].pending.indices where streams[s].pending[i].sentOn == path {
                streams[s].pending[i].sentOn = nil
                streams[s].unsent += 1
            }
        }
        guard pathIsUp.contains(true) else {
            if !isDegraded {
                isDegraded = true
                out.append(.degraded(true))
            }
            return
        }
        rebalance(&out)
        for s in streams.indices { sendUnsent(stream: s, &out) }
    }

    /// Gives every stream without a live path the least loaded live path, then moves streams
    /// from the most to the least loaded path until loads differ by at most one. Ties go to the
    /// lowest path number; moved streams are the highest-numbered ones of their path.
    mutating func rebalance(_ out: inout [Action]) {
        let live = pathIsUp.indices.filter { pathIsUp[$0] }
        guard !live.isEmpty else { return }
        var load = Array(repeating: 0, count: pathIsUp.count)
        for stream in streams { if let p = stream.path, pathIsUp[p] { load[p] += 1 } }
        for s in streams.indices {
            if let p = streams[s].path, pathIsUp[p] { continue }
            let target = live.min { load[$0] < load[$1] }!
            load[target] += 1
            assign(s, to: target, &out)
        }
        while true {
            let most = live.max { load[$0] < load[$1] || (load[$0] == load[$1] && $0 > $1) }!
            let least = live.min { load[$0] < load[$1] }!
            guard load[most] - load[least] > 1 else { break }
            let s = streams.indices.last { streams[$0].path == most }!
            load[most] -= 1
            load[least] += 1
            assign(s, to: least, &out)
        }
    }

    /// Records and makes an assignment. Entries already in flight on the old path stay there
    /// (resent only if that path fails).
    mutating func assign(_ s: Int, to path: Int, _ out: inout [Action]) {
        streams[s].path = path
        out.append(.record(event(.assign(stream: s, path: path))))
    }

    /// Sends, in sn order, every pending entry of the stream that has not gone out on a live path.
    mutating func sendUnsent(stream s: Int, _ out: inout [Action]) {
        guard streams[s].unsent > 0, let path = streams[s].path, pathIsUp[path] else { return }
        let count = streams[s].pending.count
        // The common case, a fresh write: only the newest entry is unsent.
        let start = streams[s].unsent == 1 && streams[s].pending[count - 1].sentOn == nil ? count - 1 : 0
        for i in start..<count where streams[s].pending[i].sentOn == nil {
            send(stream: s, at: i, on: path, &out)
            streams[s].unsent -= 1
            if streams[s].unsent == 0 { break }
        }
    }

    /// Records the `send` and emits the message of one pending entry.
    mutating func send(stream s: Int, at i: Int, on path: Int, _ out: inout [Action]) {
        var pending = streams[s].pending[i]
        if pending.sends > 0 { stats.resent += 1 }
        pending.sends += 1
        pending.sentOn = path
        streams[s].pending[i] = pending
        stats.sentPerPath[path] += 1
        let send = event(.send(stream: s, sn: pending.sn, path: path))
        out.append(.record(send))
        out.append(.send(path: path, .entry(MirrorEntryMessage(
            epoch: epoch, sendSeq: send.seq, lsn: pending.lsn, key: pending.key,
            entry: StreamEntry(stream: s, sn: pending.sn), deps: pending.deps,
            payload: pending.payload))))
    }

    /// A stale primary, booted after its crash: it records only notes, offers its log to the
    /// partner with its old epoch, never commits, and stops once the partner fences it.
    mutating func rejoin(_ input: Input, _ out: inout [Action]) {
        switch input {
        case .write:
            out.append(.rejected(.notServing(mode)))
        case .pathUp(let path):
            guard pathIsUp.indices.contains(path), !pathIsUp[path] else { return }
            pathIsUp[path] = true
            out.append(.note(note("x-path", [.init("path", path), .init("up", 1)])))
            for s in streams.indices {
                for i in streams[s].pending.indices {
                    let pending = streams[s].pending[i]
                    let attempt = note("x-send", [
                        .init("stream", s), .init("sn", pending.sn), .init("path", path),
                        .init("epoch", epoch),
                    ])
                    out.append(.note(attempt))
                    out.append(.send(path: path, .entry(MirrorEntryMessage(
                        epoch: epoch, sendSeq: attempt.seq, lsn: pending.lsn, key: pending.key,
                        entry: StreamEntry(stream: s, sn: pending.sn), deps: pending.deps,
                        payload: pending.payload))))
                }
            }
        case .pathDown(let path):
            guard pathIsUp.indices.contains(path), pathIsUp[path] else { return }
            pathIsUp[path] = false
            out.append(.note(note("x-path", [.init("path", path), .init("up", 0)])))
        case .arrived(let path, .fenced(let partnerEpoch)) where partnerEpoch > epoch:
            mode = .fenced
            out.append(.note(note("x-fenced", [.init("path", path), .init("epoch", partnerEpoch)])))
            out.append(.fenced(epoch: partnerEpoch))
        case .arrived(let path, .ack(_, let s, let sn, _)):
            // Even an ack does not make a stale primary acknowledge clients again.
            out.append(.note(note("x-acked", [.init("path", path), .init("stream", s), .init("sn", sn)])))
        case .arrived:
            break
        case .crash:
            mode = .crashed
            out.append(.note(note("x-crash", [])))
        case .restart:
            break
        }
    }
}
