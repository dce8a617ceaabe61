import Mirror
import Trace

/// `plumb explore mirror --from TRACE`: the records, streams, barriers, path assignments and
/// path failures of a captured mirror trace, run by the real `MirrorPrimary` and
/// `MirrorSecondary` in the simulated runtime (`MirrorSimulation`).
///
/// Taken from the trace: each `append` in the primary's order becomes a client write with its
/// barrier deps (the lsns of the entries named). The simulated client writes record `n` with
/// key and payload of `n`, so the core puts it on stream `n mod streams`: the trace's streams
/// are taken up to a renaming (a trace of `plumb record mirror` deals records round-robin, so
/// one exists; a trace for which none does is refused). The streams and paths are the largest
/// numbers named, plus one (the core assigns streams to paths as the recording did, balanced);
/// the primary's `path` events (a path going down, coming back) and its `crash`, in its order
/// among the writes; the secondary's `recv` order; and the secondary's crashes. Lsns are
/// renumbered 1, 2, ... in append order.
///
/// The recorded schedule, at each state: deliver to the secondary the entry the trace's next
/// `recv` names, if it is at the head of a path (on whichever path the core sent it); else
/// deliver what waits for the primary (acks); else deliver to the secondary what heads a path (the first path; one the trace
/// received in another order, or a resend); else the primary's next recorded step (a write,
/// a path failure or comeback, its crash); else the nodes noticing closed paths and the
/// takeover. So messages are delivered as soon as they can be, and the trace's receipts
/// decide among them; the primary sees a failed path down before its next step, as its `path`
/// event says it did. Anything else strays: a delivery in another order, a path failure or
/// comeback the trace does not hold, a takeover when the trace holds none, a crash of the
/// primary (`--crashes`, free of the window, at every step). The secondary's recorded crashes
/// may come at any step.
package struct MirrorPlan: RecordedPlan {
    package typealias System = MirrorSimulation

    /// 1: the primary sees a failed path down at once; no takeover or comeback past the trace.
    package static var planRevision: UInt32 { 1 }

    /// One step of the primary's recorded order.
    enum Item: Sendable, Hashable {
        case write(lsn: Int)
        case fail(path: Int)
        case comeBack(path: Int)
        case crashPrimary
    }

    /// Where a state is in the primary's order and the secondary's receipts.
    package struct Progress: Sendable, Hashable {
        var next = 0
        var recv = 0
        var secondaryCrashes = 0
        /// Whether the primary crashed (recorded or not): the secondary may then take over.
        var primaryCrashed = false
    }

    /// Path failures allowed beyond the trace's (each one strays, so the window bounds them).
    static let extraFailures = 8
    /// Streams and paths the explorer replays: numbers 0 to 63.
    static let most = 64

    let writes: [MirrorPrimary.Write]
    let items: [Item]
    /// The secondary's receipts in order: the entry and the path.
    let recvs: [(StreamEntry, Int)]
    let recordedSecondaryCrashes: Int
    /// Whether the secondary's trace holds a `takeover`.
    let recordedTakeover: Bool
    package let start: MirrorSimulation
    package var startProgress: Progress { Progress() }
    package let settingsText: String
    package let recordedCrashes: Int
    package private(set) var summary: String

    package init(trace: RecordedTrace, crashes: Int, settings: [(key: String, value: String)]) throws(TraceInputError) {
        var configuration = MirrorSimulation.Configuration(barrierEvery: 0)
        for (key, value) in settings {
            guard key == "faults" else { throw trace.refusal("unknown mirror setting \(key)=\(value)") }
            for name in value.split(separator: "+") where !configuration.turnOn(String(name)) {
                throw trace.refusal("unknown seeded mirror bug \(name)")
            }
        }
        try trace.expect(.mirror)
        var writes: [MirrorPrimary.Write] = [], items: [Item] = [], recvs: [(StreamEntry, Int)] = []
        var lsnOf: [StreamEntry: Int] = [:]
        var streams = 1, paths = 1, failures = 0, primaryCrashes = 0, secondaryCrashes = 0
        var tookOver = false, lsnsRenumbered = false
        var down: Set<Int> = []
        var traceStreams: [(Int, TraceEvent)] = []
        /// Notes a stream or path number the event names, refusing one past what the explorer replays.
        func note(stream: Int? = nil, path: Int? = nil, _ event: TraceEvent) throws(TraceInputError) {
            if let stream {
                guard stream < Self.most else {
                    throw trace.refusal(event, "stream \(stream): the explorer replays streams 0...\(Self.most - 1)")
                }
                streams = max(streams, stream + 1)
            }
            if let path {
                guard path < Self.most else {
                    throw trace.refusal(event, "path \(path): the explorer replays paths 0...\(Self.most - 1)")
                }
                paths = max(paths, path + 1)
            }
        }
        for event in trace.events {
            let primary = event.node == "primary"
            switch event.kind {
            case let .append(traceLSN, stream, sn, deps) where primary:
                if traceLSN != writes.count + 1 { lsnsRenumbered = true }
                try note(stream: stream, event)
                var lsns: [Int] = []
                for dep in deps {
                    guard let lsn = lsnOf[dep] else {
                        throw trace.refusal(event, "append (\(stream),\(sn)) depends on \(dep), which is not appended before it: "
                                            + "the explorer cannot reproduce this workload")
                    }
                    lsns.append(lsn)
                }
                let lsn = writes.count + 1
                writes.append(MirrorPrimary.Write(key: UInt64(lsn), payload: MirrorSimulation.payload(lsn: lsn), deps: lsns))
                traceStreams.append((stream, event))
                lsnOf[StreamEntry(stream: stream, sn: sn)] = lsn
                items.append(.write(lsn: writes.count))
            case let .assign(stream, path):
                try note(stream: stream, path: path, event)
            case let .path(path, up) where primary:
                try note(path: path, event)
                if !up, !down.contains(path) {
                    down.insert(path)
                    failures += 1
                    items.append(.fail(path: path))
                } else if up, down.contains(path) {
                    down.remove(path)
                    items.append(.comeBack(path: path))
                }
            case let .send(_, _, path):
                try note(path: path, event)
            case let .recv(stream, sn, path):
                try note(path: path, event)
                recvs.append((StreamEntry(stream: stream, sn: sn), path))
            case .takeover where !primary:
                tookOver = true
            case .crash:
                if primary {
                    primaryCrashes += 1
                    items.append(.crashPrimary)
                } else {
                    secondaryCrashes += 1
                }
            default:
                break
            }
        }
        guard !writes.isEmpty else { throw trace.refusal("the trace holds no append: there is no workload to explore") }
        // The simulated client writes record `lsn` with key `lsn` (the survivors' check holds the
        // secondary's copy to it), so the core puts it on stream `lsn % streams`: the trace's
        // streams are taken up to a renaming, which must exist.
        var rename = [Int?](repeating: nil, count: streams)
        for (index, (stream, event)) in traceStreams.enumerated() {
            let simulated = (index + 1) % streams
            if rename[stream] == nil, !rename.contains(simulated) { rename[stream] = simulated }
            guard rename[stream] == simulated else {
                throw trace.refusal(event, "record \(index + 1) goes to stream \(stream), but the explorer's client puts "
                                    + "record n on stream n mod \(streams) (up to renaming the streams), and this trace's "
                                    + "records are not dealt round-robin: the explorer cannot reproduce this workload")
            }
        }
        recvs = recvs.map { entry, path in
            (StreamEntry(stream: entry.stream < streams ? rename[entry.stream] ?? entry.stream : entry.stream, sn: entry.sn), path)
        }
        let recordedCrashes = primaryCrashes + secondaryCrashes
        guard recordedCrashes + crashes <= 2 else {
            throw trace.refusal("the trace holds \(recordedCrashes) crashes; with --crashes \(crashes) that is more than the "
                                + "mirror explorer's 2 (one of each node)")
        }
        configuration.streams = streams
        configuration.paths = paths
        configuration.records = writes.count
        configuration.crashes = recordedCrashes + crashes
        configuration.pathFailures = failures + Self.extraFailures
        // A recording's paths go down as it ends: failures after the last write, not of the workload.
        let lastWrite = items.lastIndex { if case .write = $0 { return true } else { return false } } ?? -1
        let closedAtEnd = items[(lastWrite + 1)...].filter { if case .fail = $0 { return true } else { return false } }.count
        self.writes = writes
        self.items = items
        self.recvs = recvs
        recordedSecondaryCrashes = secondaryCrashes
        recordedTakeover = tookOver
        self.recordedCrashes = recordedCrashes
        start = MirrorSimulation(configuration)
        let faults = configuration.faultsOn
        settingsText = faults.isEmpty ? "" : "faults=" + faults.joined(separator: "+")
        summary = "\(writes.count) records on \(streams) stream\(streams == 1 ? "" : "s") over \(paths) path\(paths == 1 ? "" : "s"), "
            + "\(writes.filter { !$0.deps.isEmpty }.count) with barriers, \(failures - closedAtEnd) path failure"
            + "\(failures - closedAtEnd == 1 ? "" : "s")"
            + (closedAtEnd > 0 ? " (and \(closedAtEnd) path\(closedAtEnd == 1 ? "" : "s") closed as the run ended)" : "")
            + ", \(recordedCrashes) crash\(recordedCrashes == 1 ? "" : "es")"
        // What the steps and messages call otherwise than the trace does.
        let renamed = rename.enumerated().compactMap { trace, here in here.flatMap { $0 == trace ? nil : "\(trace)→\($0)" } }
        if !renamed.isEmpty { summary += "; streams renamed (the trace's → here): " + renamed.joined(separator: ", ") }
        if lsnsRenumbered { summary += "; lsns renumbered 1, 2, ... in append order" }
    }

    /// The choice that takes `item`.
    static func choice(_ item: Item) -> MirrorSimulation.Choice {
        switch item {
        case let .write(lsn): .write(lsn: lsn)
        case let .fail(path): .fail(path: path)
        case let .comeBack(path): .comeBack(path: path)
        case .crashPrimary: .crashPrimary
        }
    }

    package func roles(of choices: [MirrorSimulation.Choice], in _: MirrorSimulation, progress: Progress) -> [RecordedRole] {
        var roles = [RecordedRole](repeating: .stray, count: choices.count)
        let item = progress.next < items.count ? items[progress.next] : nil
        for (i, choice) in choices.enumerated() {
            switch choice {
            case .crashPrimary: roles[i] = item == .crashPrimary ? .recordedCrash : .crash
            case .crashSecondary: roles[i] = progress.secondaryCrashes < recordedSecondaryCrashes ? .recordedCrash : .crash
            default: break
            }
        }
        if item == .crashPrimary, roles.contains(.recordedCrash) { return roles }
        func first(_ match: (MirrorSimulation.Choice) -> Bool) -> Int? { choices.firstIndex(where: match) }
        var recorded: Int?
        if progress.recv < recvs.count {
            // By entry only: with the streams renamed, the core may have put it on another path.
            let entry = recvs[progress.recv].0
            recorded = first {
                if case .deliverToSecondary(_, .entry(entry)) = $0 { return true }
                return false
            }
        }
        recorded = recorded ?? first {
            if case .deliverToPrimary = $0 { return true }
            return false
        }
        // The primary's `path` down event is its seeing the path down, which the recording
        // did before its next step: the failure (the item) and then this.
        recorded = recorded ?? first {
            if case .primaryNoticesDown = $0 { return true }
            return false
        }
        recorded = recorded ?? first {
            if case .deliverToSecondary = $0 { return true }
            return false
        }
        if recorded == nil, let item { recorded = first { $0 == Self.choice(item) } }
        recorded = recorded ?? first {
            switch $0 {
            case .secondaryNoticesDown: true
            // A takeover only where the trace holds one or after a crash of the primary: the
            // recording's last paths go down as it ends, and then the secondary stays.
            case .takeover: recordedTakeover || progress.primaryCrashed
            default: false
            }
        }
        // Past the trace's end nothing else is recorded: a path coming back or failing, or a
        // takeover the trace does not hold, strays (so `--window 0` stops where the trace does).
        if let recorded, roles[recorded] == .stray { roles[recorded] = .recorded }
        return roles
    }

    package func advance(_ progress: inout Progress, taking choice: MirrorSimulation.Choice, role: RecordedRole,
                        after _: MirrorSimulation) {
        if progress.next < items.count, choice == Self.choice(items[progress.next]) { progress.next += 1 }
        if progress.recv < recvs.count, case let .deliverToSecondary(_, .entry(entry)) = choice,
           recvs[progress.recv].0 == entry {
            progress.recv += 1
        }
        if case .crashSecondary = choice, role == .recordedCrash { progress.secondaryCrashes += 1 }
        if case .crashPrimary = choice { progress.primaryCrashed = true }
    }

    package func hash(_ progress: Progress, into hasher: inout StableHasher) {
        hasher.combine(progress.next)
        hasher.combine(progress.recv)
        hasher.combine(progress.secondaryCrashes)
        hasher.combine(progress.primaryCrashed)
    }

    /// A write is fed from the trace (its stream, barrier deps); every other step is the
    /// simulation's own.
    package func apply(_ choice: MirrorSimulation.Choice, to state: inout MirrorSimulation) {
        guard case let .write(lsn) = choice, writes.indices.contains(lsn - 1) else { return state.apply(choice) }
        let observed = state.monitor.observed
        state.written += 1
        state.feedPrimary(.write(writes[lsn - 1]))
        if state.monitor.observed != observed { state.verdict = state.judge() }
    }
}
