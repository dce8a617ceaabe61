import Trace

/// A generated mirror trace that obeys every invariant: the input of `plumb bench check` and of
/// the engine-agreement tests. Deterministic for a seed.
package struct SyntheticMirrorTrace: Sendable {
    /// The number of streams records are spread over.
    package var streams = 8
    /// The number of interconnect paths.
    package var paths = 4
    /// Entries per stream between cumulative acks.
    package var ackEvery = 4
    /// Records sent ahead before the secondary catches up (how far line order strays).
    package var window = 32
    /// Seed of the key choice.
    package var seed: UInt64 = 1

    /// The default shape: 8 streams over 4 paths, acks every 4 entries.
    package init() {}

    /// Emits about `events` events, primary and secondary interleaved in a happens-before order.
    package func generate(events target: Int, emit: (TraceEvent) -> Void) {
        var rng = SplitMix64(seed: seed)
        var primarySeq = 0, secondarySeq = 0
        var t: Int = 1_700_000_000_000_000_000
        var emitted = 0
        func primary(_ kind: EventKind, cause: [EventID] = []) -> EventID {
            primarySeq += 1
            t += 1_000
            emit(TraceEvent(node: "primary", seq: primarySeq, kind: kind, causes: cause, t: t))
            emitted += 1
            return EventID(node: "primary", seq: primarySeq)
        }
        func secondary(_ kind: EventKind, cause: [EventID] = []) -> EventID {
            secondarySeq += 1
            emit(TraceEvent(node: "secondary", seq: secondarySeq, kind: kind, causes: cause, t: t + 7_000_000))
            emitted += 1
            return EventID(node: "secondary", seq: secondarySeq)
        }

        for s in 0..<streams { _ = primary(.assign(stream: s, path: s % paths)) }
        var nextSN = Array(repeating: 0, count: streams)
        var appliedSN = Array(repeating: 0, count: streams)
        var ackedSN = Array(repeating: 0, count: streams)
        var lsnOf: [[Int]] = Array(repeating: [], count: streams)  // per stream, lsns not yet committed
        var inFlight: [(stream: Int, sn: Int, send: EventID)] = []
        var lsn = 0

        func deliverOne() {
            let (s, sn, send) = inFlight.removeFirst()
            _ = secondary(.recv(stream: s, sn: sn, path: s % paths), cause: [send])
            _ = secondary(.apply(stream: s, sn: sn))
            appliedSN[s] = sn
            if sn % ackEvery == 0 { ackAndCommit(s) }
        }
        func ackAndCommit(_ s: Int) {
            guard appliedSN[s] > ackedSN[s] else { return }
            let ack = secondary(.ack(stream: s, sn: appliedSN[s]))
            _ = primary(.acked(stream: s, sn: appliedSN[s]), cause: [ack])
            let count = appliedSN[s] - ackedSN[s]
            for committed in lsnOf[s].prefix(count) { _ = primary(.commit(lsn: committed)) }
            lsnOf[s].removeFirst(count)
            ackedSN[s] = appliedSN[s]
        }

        while emitted < target {
            let s = Int(rng.next() % UInt64(streams))
            lsn += 1
            nextSN[s] += 1
            var deps: [StreamEntry] = []
            let other = (s + 1) % streams
            if lsn % 16 == 0 && nextSN[other] > 0 { deps = [StreamEntry(stream: other, sn: nextSN[other])] }
            _ = primary(.append(lsn: lsn, stream: s, sn: nextSN[s], deps: deps))
            lsnOf[s].append(lsn)
            let send = primary(.send(stream: s, sn: nextSN[s], path: s % paths))
            inFlight.append((s, nextSN[s], send))
            if inFlight.count > window { deliverOne() }
        }
        while !inFlight.isEmpty { deliverOne() }
        for s in 0..<streams { ackAndCommit(s) }
    }
}
