import Trace

/// The executable specification of the `mirror` system (TRACE-FORMAT.md, "System `mirror`").
///
/// It replays the primary's and the secondary's events in a linearization of happens-before and
/// judges the eight `mirror.*` invariants. What it remembers is proportional to what is still
/// open: per stream a few integers and stamps; per entry only while the entry is in flight (not
/// yet applied, acknowledged by a valid `ack` and committed); per lsn only until its commit.
/// (So a record that is never committed, e.g. in flight when the primary crashed, is kept to the
/// end: a commit of it could still come, and it would need the record's exact apply.)
///
/// Every "X before Y" the invariants need is made an obligation with `SpecSink.require` once both
/// events have been observed; an X not observed when Y is cannot happen-before Y, so the spec keeps
/// a small pending record and makes the (failing) obligation when X turns up, or reports at the
/// end when it never does. Where an entry's own apply stamp has been forgotten, obligations cite
/// the latest apply of its stream instead: the stream-order obligations chain every apply of a
/// stream to that one, so the pair still implies the statement.
///
/// Readings: the format page's section "Settled readings" decides where two readers could
/// differ; the further choices this spec makes are in `Specs/README.md`, "`mirror`".
package struct MirrorSpec: Spec {
    /// The system whose events this spec replays: `mirror`.
    package static var system: TraceSystem { .mirror }

    /// The node that owns the log, sends entries and commits.
    static let primary = "primary"

    /// The nodes the stamps name, in order of first appearance (`Stamp.node` indexes it).
    package internal(set) var nodes: [String] = []
    /// The index of the primary in `nodes`, once seen.
    var primaryNode: Int32 = -1
    /// Per stream: what the primary appended and assigned, and what the secondary applied.
    var streams = SortedMap<Int, StreamState>()
    /// Entries in flight: known to some event, and not yet applied, acknowledged and committed.
    var entries = StreamEntryMap<EntryState>()
    /// Every lsn appended so far (to catch a second append and commits of unknown lsns).
    var appendedLSNs = IntKeySet()
    /// Appended records whose lsn has not been committed yet (committed about in lsn order).
    var uncommitted = IntWindowMap<StreamEntry>()
    /// Commits observed before their lsn was appended (the first commit of each).
    var commitsAwaitingAppend = SortedMap<Int, Stamp>()
    /// Entries committed (before the takeover) that the secondary has not applied yet.
    var unappliedCommits = SortedSet<StreamEntry>()
    /// The primary's latest `path` event of each path.
    var primaryPaths = SortedMap<Int, PathState>()
    /// The secondary's first `takeover`.
    var takeover: Stamp?
    /// Each crashed node's crash, and what it recorded afterwards, by node (index in `nodes`).
    var deaths = SortedMap<Int32, Death>()
    /// Per appended entry with deps, not applied yet: what its barrier still needs. Kept apart
    /// from `entries`, so that an entry's state holds no array and copies without reference
    /// counting (few entries have deps). Every key is also in `entries` (an entry is forgotten
    /// only after its apply, which removes its barrier): the fingerprint hashes it there.
    var barriers = StreamEntryMap<Barrier>()
    /// Per entry not applied yet, the appended entries that name it as a dep (and hold a pin
    /// on it), in the order appended: its first apply fills their slot for it.
    var pinners = SortedMap<StreamEntry, [StreamEntry]>()
    /// Entries applied before their append was observed, whose append is still to come.
    var lateApplies = 0
    /// While `lateApplies > 0`: what the barrier of those entries needs when their appends come.
    var lateSession: LateSession?

    /// Starts before any event: nothing appended, assigned or applied.
    package init() {}

    /// Replays one event of a `mirror` trace.
    package mutating func observe(_ event: TraceEvent, sink: SpecSink) {
        let stamp = makeStamp(event)
        if primaryNode < 0, event.node == Self.primary { primaryNode = stamp.node }
        if !deaths.isEmpty { noteAfterCrash(stamp) }
        switch event.kind {
        case let .append(lsn, stream, sn, deps):
            append(lsn: lsn, StreamEntry(stream: stream, sn: sn), deps: deps, at: stamp, sink: sink)
        case let .assign(stream, path):
            streams[stream, default: StreamState()].assign = Assignment(path: path, stamp: stamp)
        case let .path(path, up):
            if stamp.node == primaryNode { primaryPaths[path] = PathState(up: up, stamp: stamp) }
        case let .send(stream, sn, path):
            send(StreamEntry(stream: stream, sn: sn), path: path, at: stamp, sink: sink)
        case let .recv(stream, sn, _):
            recv(StreamEntry(stream: stream, sn: sn), at: stamp)
        case let .apply(stream, sn):
            apply(StreamEntry(stream: stream, sn: sn), at: stamp, sink: sink)
        case let .ack(stream, sn):
            ack(StreamEntry(stream: stream, sn: sn), at: stamp, sink: sink)
        case let .commit(lsn):
            commit(lsn: lsn, at: stamp, sink: sink)
        case .takeover:
            takeOver(at: stamp, sink: sink)
        case .crash:
            if deaths[stamp.node] == nil { deaths[stamp.node] = Death(crash: stamp) }
        default:
            // `drop` and `acked` carry no obligation of their own; other systems' events do not
            // occur in a mirror trace.
            break
        }
    }

    /// Judges what only the end of the trace decides: commits whose apply or append never came,
    /// and nodes that recorded events after their crash.
    package mutating func finish(sink: SpecSink) { reportEnd(sink: sink) }

    /// What `finish` reports, without changing the state (it only reads it).
    package func reportEnd(sink: SpecSink) {
        // Entries and lsns are kept in key order already: no sort and no copy (the explorer
        // judges every prefix).
        for (entry, state) in entries.elements {
            guard let commit = state.pendingCommit else { continue }
            sink.report(Violation(
                .mirrorCommitAfterMirror,
                "lsn \(state.lsn ?? -1) (\(Self.describe(entry))) was committed at \(id(commit)) "
                    + "but the secondary never applied it",
                events: [eventStamp(commit)] + (state.append.map { [eventStamp($0)] } ?? [])))
        }
        for (lsn, commit) in commitsAwaitingAppend.elements {
            sink.report(Violation(
                .mirrorCommitAfterMirror,
                "lsn \(lsn) was committed at \(id(commit)) but never appended",
                events: [eventStamp(commit)]))
        }
        // Nodes by name; most calls (the explorer's, after every step of a crashed system) find
        // nothing recorded after a crash and sort nothing.
        guard deaths.elements.contains(where: { $0.value.firstAfter != nil }) else { return }
        for (nodeIndex, death) in deaths.elements.sorted(by: { nodes[Int($0.0)] < nodes[Int($1.0)] }) {
            guard let first = death.firstAfter else { continue }
            let node = nodes[Int(nodeIndex)]
            let more = death.after > 1 ? " (\(death.after) events in all)" : ""
            let firstStamp = eventStamp(first)
            sink.report(Violation(
                .mirrorDeadNode,
                "\(node) recorded \(firstStamp.name) at \(firstStamp.id) after its own crash at "
                    + "\(id(death.crash))\(more)",
                events: [firstStamp, eventStamp(death.crash)]))
        }
    }

    // MARK: Primary: append, assign, send

    /// `append(lsn, s, n, deps)`: introduces the lsn and the entry; records its deps for the
    /// barrier; settles a commit that was waiting for this lsn.
    mutating func append(
        lsn: Int, _ entry: StreamEntry, deps: [StreamEntry], at stamp: Stamp, sink: SpecSink
    ) {
        let lsnTwice = appendedLSNs.contains(lsn)
        // The entry is noted as appended at once, in the one lookup of its stream: nothing
        // the messages below cite reads it.
        let entryTwice = !streams[entry.stream, default: StreamState()].appended.insert(entry.sn)
        // The first append, where the spec still holds it (an lsn's entry until its commit).
        func first(_ earlier: Stamp?) -> (text: String, events: [EventStamp]) {
            guard let earlier else { return ("", [eventStamp(stamp)]) }
            return (", first at \(id(earlier))", [eventStamp(stamp), eventStamp(earlier)])
        }
        if lsnTwice {
            let earlier = first(uncommitted[lsn].flatMap { entries[$0]?.append })
            sink.report(Violation(
                .mirrorStreamOrder,
                "lsn \(lsn) is appended a second time (as \(Self.describe(entry))) at \(id(stamp))\(earlier.text)",
                events: earlier.events))
        }
        if entryTwice {
            let earlier = first(entries[entry]?.append)
            sink.report(Violation(
                .mirrorStreamOrder,
                "\(Self.describe(entry)) is appended a second time (with lsn \(lsn)) at \(id(stamp))\(earlier.text)",
                events: earlier.events))
        }
        appendedLSNs.insert(lsn)
        guard !lsnTwice, !entryTwice else {
            // The lsn counts as appended: a commit of it seen earlier is not judged, as one
            // seen later is not (the ignored append gives it no record).
            if !lsnTwice { commitsAwaitingAppend.removeValue(forKey: lsn) }
            return
        }

        // Noted in place, its apply read back, in one lookup.
        func noteAppend(_ state: inout EntryState) -> Stamp? {
            state.lsn = lsn
            state.append = stamp
            return state.apply
        }
        if let apply = noteAppend(&entries[entry, default: EntryState()]) {
            // Applied before its append was observed: judge the barrier now.
            judgeLateBarrier(entry, deps: deps, apply: apply, append: stamp, sink: sink)
            lateApplies -= 1
            if lateApplies == 0 { lateSession = nil }
        } else {
            var known: [Stamp?] = []
            for dep in deps {
                if let applied = appliedStamp(of: dep) {
                    // Its own apply, or, forgotten, its stream's latest, which follows it.
                    known.append(applied)
                } else {
                    // Not applied yet: its first apply fills the slot (see `resolvePinners`).
                    known.append(nil)
                    entries[dep, default: EntryState()].pins += 1
                    pinners[dep, default: []].append(entry)
                }
            }
            if !deps.isEmpty { barriers[entry] = Barrier(deps: deps, depApplies: known) }
        }
        if let commit = commitsAwaitingAppend.removeValue(forKey: lsn) {
            judgeCommit(lsn: lsn, entry, commit: commit, sink: sink)
        } else {
            uncommitted[lsn] = entry
        }
    }

    /// `send(s, n, p)` on the primary: the stream's latest assign must name `p`, and the primary's
    /// latest `path` event for `p`, if any, must say up.
    mutating func send(_ entry: StreamEntry, path: Int, at stamp: Stamp, sink: SpecSink) {
        let assignment = streams.read(entry.stream) { $0.assign } ?? nil
        let down = primaryPaths[path].map { !$0.up } ?? false
        if let assignment, assignment.path == path, !down {
            // The usual send: nothing to report, so no message is built.
            if !assignment.proved {
                streams.modify(entry.stream) { $0.assign!.proved = true }
                sink.require(.mirrorAssignedPath, assignment.stamp, happensBefore: stamp, nodes: nodes,
                    message: "the primary sent \(Self.describe(entry)) on path \(path) at \(id(stamp)), "
                        + "but the assign of stream \(entry.stream) to that path at "
                        + "\(id(assignment.stamp)) does not happen before it")
            }
            return
        }
        var problems: [String] = []
        var events = [eventStamp(stamp)]
        if let assignment {
            if assignment.path != path {
                problems.append("stream \(entry.stream) is assigned to path \(assignment.path) "
                    + "(assign at \(id(assignment.stamp)))")
                events.append(eventStamp(assignment.stamp))
            }
        } else {
            problems.append("stream \(entry.stream) was never assigned a path before")
        }
        if let state = primaryPaths[path], !state.up {
            problems.append("the primary saw path \(path) go down at \(id(state.stamp))")
            events.append(eventStamp(state.stamp))
        }
        // Past the usual send, at least one of these holds.
        sink.report(Violation(
            .mirrorAssignedPath,
            "the primary sent \(Self.describe(entry)) on path \(path) at \(id(stamp)), but "
                + problems.joined(separator: " and "),
            events: events))
    }

    // MARK: Dead nodes

    /// Counts an event recorded by a node after its own crash.
    mutating func noteAfterCrash(_ stamp: Stamp) {
        guard !deaths.isEmpty, var death = deaths[stamp.node] else { return }
        death.after += 1
        if death.firstAfter == nil { death.firstAfter = stamp }
        deaths[stamp.node] = death
    }

    /// `stream S sn N`, for messages.
    static func describe(_ entry: StreamEntry) -> String {
        "stream \(entry.stream) sn \(entry.sn)"
    }
}

// MARK: - State

extension MirrorSpec {
    /// The primary's latest assign of a stream.
    struct Assignment: Sendable {
        /// The path the stream is sent on.
        var path: Int
        /// The `assign` event.
        var stamp: Stamp
        /// Whether "this assign happens before a send it covers" was already made an obligation.
        var proved = false
    }

    /// The primary's latest `path` event of one path.
    struct PathState: Sendable {
        /// Whether it said up.
        var up: Bool
        /// The `path` event.
        var stamp: Stamp
    }

    /// Which entries of one stream the secondary applied.
    struct Applied: Sendable {
        /// sn 1...prefix are all applied.
        var prefix = 0
        /// Applied sns above `prefix + 1` (only after a `mirror.stream-order` violation).
        var beyond = SortedSet<Int>()
        /// The greatest sn applied.
        var greatest = 0
        /// The latest apply of the stream observed.
        var last: Stamp?

        /// Whether sn `sn` was applied.
        func contains(_ sn: Int) -> Bool { sn >= 1 && (sn <= prefix || beyond.contains(sn)) }

        /// Notes the first apply of `sn` at `stamp`.
        mutating func add(_ sn: Int, at stamp: Stamp) {
            last = stamp
            greatest = max(greatest, sn)
            guard sn > prefix else { return }
            if sn == prefix &+ 1 {
                prefix = sn
                while !beyond.isEmpty, beyond.remove(prefix &+ 1) { prefix += 1 }
            } else {
                beyond.insert(sn)
            }
        }
    }

    /// Everything the spec keeps about one stream: a few integers and stamps.
    struct StreamState: Sendable {
        /// The sns appended on the primary.
        var appended = IntKeySet()
        /// The primary's latest assign of the stream.
        var assign: Assignment?
        /// What the secondary applied.
        var applied = Applied()
        /// Entries 1...acked are covered by a valid (cumulative) `ack`.
        var acked = 0
        /// The apply of the greatest committed sn of the stream, before the takeover.
        var committedApply: (sn: Int, stamp: Stamp)?
    }

    /// What the spec keeps about one entry while it is in flight.
    struct EntryState: Sendable {
        /// Its lsn, once its `append` is observed.
        var lsn: Int?
        /// Its `append`.
        var append: Stamp?
        /// The latest `recv` of it before its first apply.
        var recv: Stamp?
        /// Its first `apply`.
        var apply: Stamp?
        /// Whether its lsn was committed.
        var committed = false
        /// Its first commit, observed before its apply (a violation waiting for its evidence).
        var pendingCommit: Stamp?
        /// How many appended entries name it as a dep and are not applied yet.
        var pins = 0
    }

    /// The deps of an appended entry not applied yet, which its first apply judges.
    struct Barrier: Sendable {
        /// Its deps.
        var deps: [StreamEntry]
        /// For each of `deps`, an apply of it known when the append was observed (nil: not
        /// applied then, the dep is pinned).
        var depApplies: [Stamp?]
    }

    /// What the barrier of entries applied before their append needs, kept from the first such
    /// apply until every such entry's append is observed: the applies in between, so that a dep
    /// forgotten meanwhile can still be placed before or after the entry's apply.
    struct LateSession: Sendable {
        /// What the secondary had applied when the session began.
        var before: SortedMap<Int, Applied>
        /// The first applies since the session began.
        var applies = SortedMap<StreamEntry, Stamp>()
    }

    /// A crashed node: its crash and what it recorded afterwards.
    struct Death: Sendable {
        /// The node's first crash.
        var crash: Stamp
        /// Its first event after the crash.
        var firstAfter: Stamp?
        /// How many events it recorded after the crash.
        var after = 0
    }
}
