import Specs
import Trace

/// The checker's side of a replay: answers happens-before from the vector clocks (the graph
/// engine), records violations, and batches every obligation for Z3.
///
/// Used by the replaying thread only; not thread-safe.
final class CheckSink: SpecSink {
    /// Happens-before over the events replayed so far, read and changed where it lies.
    var clocks: VectorClockIndex {
        _read { yield clockStorage.pointee }
        _modify { yield &clockStorage.pointee }
    }
    /// `clocks`, at an address of its own, which questions pass on `inout`: a method called on
    /// a struct stored in a class or behind a pointer, even through `withUnsafePointer(to:)`,
    /// copied the struct first (a retain and a release of each of its arrays), once per
    /// obligation; on an `inout` parameter, it reads in place.
    private let clockStorage: UnsafeMutablePointer<VectorClockIndex>
    /// Violations, in the order found (at most `keepPerInvariant` of each invariant).
    @exclusivity(unchecked) private(set) var violations: [Violation] = []
    /// Violations found beyond those kept, per invariant.
    private(set) var suppressed: [Invariant: Int] = [:]
    private var kept: [Invariant: Int] = [:]
    /// Violations kept per invariant: a broken trace of a million events must not keep them all.
    let keepPerInvariant = 1000
    /// Obligations made, per invariant.
    var obligationCounts: [Invariant: Int] {
        Dictionary(slots.map { ($0.invariant, $0.count) }, uniquingKeysWith: +)
    }
    /// Refutations the solver confirmed or gave up on, per invariant.
    private(set) var refutations: [Invariant: (result: CheckReport.ProofResult, ms: Double, count: Int)] = [:]
    /// Engine disagreements found while refuting.
    private(set) var disagreements: [String] = []
    /// Per kept violation (same index as `violations`): the event of the replay after which it
    /// was certain (see `decision(for:after:)`).
    private(set) var decisions: [EventStamp?] = []
    /// Whether the spec's final checks are running (set by the replay before `finish`).
    var finishing = false

    private let engine: ProofEngine?
    private let timeout: Duration
    private let resourceLimit: Int?
    private let cancellation: CheckCancellation?
    private let window: Int
    /// Per invariant seen, in order of first obligation: its count and the obligations waiting
    /// for the solver. A few invariants, found by a scan (names compare by identity first)
    /// rather than hashed per obligation.
    @exclusivity(unchecked) private var slots: [Slot] = []
    private var prover: Prover?
    /// Counterexamples asked of Z3 per invariant; past this the graph engine's order is shown.
    private let counterexampleLimit = 20

    init(engine: ProofEngine?, timeout: Duration, resourceLimit: Int? = nil, window: Int,
         cancellation: CheckCancellation? = nil) {
        self.resourceLimit = resourceLimit
        self.engine = engine
        self.timeout = timeout
        self.cancellation = cancellation
        self.window = window
        clockStorage = .allocate(capacity: 1)
        clockStorage.initialize(to: VectorClockIndex())
    }

    deinit {
        clockStorage.deinitialize(count: 1)
        clockStorage.deallocate()
    }

    func report(_ violation: Violation) { keep(violation) }

    private func keep(_ violation: Violation, after: EventStamp? = nil) {
        let count = kept[violation.invariant, default: 0]
        if count < keepPerInvariant {
            kept[violation.invariant] = count + 1
            violations.append(violation)
            decisions.append(decision(for: violation, after: after))
        } else {
            suppressed[violation.invariant, default: 0] += 1
        }
    }

    private func isFull(_ invariant: Invariant) -> Bool { kept[invariant, default: 0] >= keepPerInvariant }

    func happensBefore(_ a: EventID, _ b: EventID) -> Bool { inPlace(a, b) }

    /// `clocks.happensBefore(a, b)`, read in place (see `clockStorage`).
    private func inPlace(_ a: EventID, _ b: EventID) -> Bool {
        inPlace(a.node, a.seq, b.node, b.seq)
    }

    /// `clocks.happensBefore(node:seq:node:seq:)`, read in place (see `clockStorage`).
    private func inPlace(_ aNode: String, _ aSeq: Int, _ bNode: String, _ bSeq: Int) -> Bool {
        func ask(_ clocks: inout VectorClockIndex) -> Bool {
            clocks.happensBefore(node: aNode, seq: aSeq, node: bNode, seq: bSeq)
        }
        return ask(&clockStorage.pointee)
    }

    func require(
        _ invariant: Invariant, _ before: EventStamp, happensBefore after: EventStamp,
        message: @autoclosure () -> String
    ) -> Bool {
        let k = slot(invariant)
        slots[k].count += 1
        if inPlace(before.id, after.id) {
            guard engine != nil else { return true }
            slots[k].pending.append((before.id, after.id))
            if slots[k].pending.count >= window { flush(k) }
            return true
        }
        broken(invariant, before, after, message: message)
        return false
    }

    /// `require` with the stamps made only for a violation: the usual obligation, which holds,
    /// copies no name when no solver is in use, and makes no stamp.
    func require(
        _ invariant: Invariant, node beforeNode: String, seq beforeSeq: Int,
        happensBefore afterNode: String, seq afterSeq: Int,
        stamps: () -> (before: EventStamp, after: EventStamp), message: @autoclosure () -> String
    ) -> Bool {
        let k = slot(invariant)
        slots[k].count += 1
        if inPlace(beforeNode, beforeSeq, afterNode, afterSeq) {
            guard engine != nil else { return true }
            slots[k].pending.append((EventID(node: beforeNode, seq: beforeSeq), EventID(node: afterNode, seq: afterSeq)))
            if slots[k].pending.count >= window { flush(k) }
            return true
        }
        let (before, after) = stamps()
        broken(invariant, before, after, message: message)
        return false
    }

    /// Keeps the violation of "`before` happens-before `after`" (or counts it, past the
    /// invariant's bound), with a counterexample.
    private func broken(
        _ invariant: Invariant, _ before: EventStamp, _ after: EventStamp, message: () -> String
    ) {
        if isFull(invariant) {
            suppressed[invariant, default: 0] += 1
        } else {
            keep(Violation(
                invariant, message(), events: [before, after],
                counterexample: counterexample(invariant, before: before, after: after)), after: after)
        }
    }

    func requireAcyclic(
        _ invariant: Invariant, vertices: [String], edges: [(from: Int, to: Int)], stamps: [EventStamp]
    ) -> [Int]? {
        slots[slot(invariant)].count += 1
        if let ranks = Ranking.ranks(vertexCount: vertices.count, edges: edges) {
            engine?.submit(.ranking(invariant, ranks: ranks, edges: edges))
            return nil
        }
        let cycle = Ranking.cycle(vertexCount: vertices.count, edges: edges)!
        if engine != nil {
            let clock = ContinuousClock()
            let start = clock.now
            let result = solver().refuteRanking(cycle: cycle)
            if result == .proved {
                disagreements.append("\(invariant): the graph engine found a cycle that Z3 could rank")
            }
            noteRefutation(invariant, result == .proved ? .refuted : result, since: start, clock: clock)
        }
        // A long cycle is named by its first vertices (its events list them all).
        let shown = cycle.count > 24 ? Array(cycle.prefix(16)) : cycle + [cycle[0]]
        var names = shown.map { vertices[$0] }.joined(separator: " -> ")
        if cycle.count > 24 { names += " -> ... -> \(vertices[cycle[0]]) (\(cycle.count) in the cycle)" }
        keep(Violation(invariant, "dependency cycle: \(names)", events: cycle.map { stamps[$0] }))
        return cycle
    }

    /// Where the replay stood when `violation` became certain. A broken "X happens-before Y"
    /// is certain once Y is replayed (every event that happens before Y was replayed before
    /// it), so it is Y (`after`). A violation a scan reports while an event is observed is
    /// that event (nil here; the replay fills it in with `decided(by:since:)`, which costs the
    /// replay nothing while no violation is found). One the spec's final checks report (an
    /// obligation never met) is the latest of its events in happens-before (the first cited
    /// when they are concurrent).
    private func decision(for violation: Violation, after: EventStamp?) -> EventStamp? {
        if let after { return after }
        guard finishing else { return nil }
        var latest: EventStamp?
        for e in violation.events where clocks.contains(e.id) {
            if let l = latest, !clocks.happensBefore(l.id, e.id) { continue }
            latest = e
        }
        return latest ?? violation.events.first
    }

    /// Names `event`, just observed, as where the violations kept since the first `count` were
    /// decided, for those that have no decision yet.
    func decided(by event: TraceEvent, since count: Int) {
        for i in count..<decisions.count where decisions[i] == nil { decisions[i] = EventStamp(event) }
    }

    /// Calls `body` with the earlier event of each obligation waiting for the solver: its
    /// happens-before path is still to be found.
    func forEachPendingBefore(_ body: (EventID) -> Void) {
        for slot in slots {
            for ob in slot.pending { body(ob.before) }
        }
    }

    /// Sends every obligation still waiting in a window to the solver.
    func flushAll() {
        for k in slots.indices.sorted(by: { slots[$0].invariant < slots[$1].invariant }) { flush(k) }
    }

    private func flush(_ k: Int) {
        let batch = slots[k].pending
        guard !batch.isEmpty else { return }
        // Room for the next window at once: grown from empty, it was copied a dozen times.
        slots[k].pending.removeAll(keepingCapacity: true)
        engine?.submit(.orders(slots[k].invariant, compress(batch)))
    }

    /// One invariant's obligations: how many, and those waiting for the solver.
    private struct Slot {
        let invariant: Invariant
        var count = 0
        var pending: [(before: EventID, after: EventID)] = []
    }

    /// The slot of `invariant`, made on its first obligation: found by its name's representation
    /// first, then by its bytes.
    @inline(__always) private func slot(_ invariant: Invariant) -> Int {
        // Specs name invariants by their static constants: the same representation, found
        // without comparing any bytes.
        for k in slots.indices where slots[k].invariant.rawValue.sameRepresentation(invariant.rawValue) { return k }
        for k in slots.indices where slots[k].invariant.rawValue.exactlyEquals(invariant.rawValue) { return k }
        slots.append(Slot(invariant: invariant))
        return slots.count - 1
    }

    /// Groups cross-node obligations that one goal implies by program order alone: when the
    /// latest `before` of a group happens-before its earliest `after`, every member holds,
    /// since each member's `before` is at or below that one on its node, and its `after` at or
    /// above the other. The solver proves each group's goal from its happens-before steps, and
    /// each member's two links to it, seq comparisons on one node, as goals of their own that
    /// count no obligation (`covers` 0). Same-node obligations go one by one, first, with the
    /// links (`Prover` takes the goals on one node as the batch's first slice).
    /// Reads the clocks in place (see `clockStorage`): a copy per question showed in profiles.
    private func compress(_ batch: [(before: EventID, after: EventID)]) -> [OrderObligation] {
        compress(batch, clocks: &clockStorage.pointee)
    }

    /// `compress(_:)` with the clocks at `clocks`.
    private func compress(
        _ batch: [(before: EventID, after: EventID)], clocks: inout VectorClockIndex
    ) -> [OrderObligation] {
        var result: [OrderObligation] = []
        // Room for the obligations on one node and two links per obligation across nodes.
        result.reserveCapacity(2 * batch.count)
        var crossing: [OrderObligation] = []
        // Cross-node obligations by node pair (few pairs, found by a scan), members as seqs:
        // sorting and grouping copies of events cost a retain and a release of each name.
        var groups: [(from: String, to: String, members: [(before: Int, after: Int)])] = []
        for ob in batch {
            if ob.before.node.exactlyEquals(ob.after.node) {
                result.append(.programOrder(before: ob.before, after: ob.after))
            } else if let g = groups.firstIndex(where: {
                $0.from.exactlyEquals(ob.before.node) && $0.to.exactlyEquals(ob.after.node)
            }) {
                groups[g].members.append((ob.before.seq, ob.after.seq))
            } else {
                groups.append((ob.before.node, ob.after.node, [(ob.before.seq, ob.after.seq)]))
            }
        }
        func key(_ g: (from: String, to: String, members: [(before: Int, after: Int)])) -> [UInt8] {
            Array(g.from.utf8) + [0] + Array(g.to.utf8)
        }
        for group in groups.sorted(by: { key($0).lexicographicallyPrecedes(key($1)) }) {
            // "before's node at seq l happens-before after's node at seq e", by node numbers
            // found once (as `happensBefore` answers it for events on two nodes).
            let from = clocks.nodeIndex(group.from), to = clocks.nodeIndex(group.to)
            func happensBefore(_ l: Int, _ e: Int) -> Bool {
                guard let from, let to else { return false }
                let known = clocks.latestKnown(of: from, atNode: to, seq: e)
                return known >= 0 && known >= l
            }
            let members = group.members.sorted { ($0.before, $0.after) < ($1.before, $1.after) }
            var latest = members[0].before, earliest = members[0].after
            var count = 0
            var first = 0
            func close() {
                let before = EventID(node: group.from, seq: latest), after = EventID(node: group.to, seq: earliest)
                let facts = clocks.path(from: before, to: after) ?? []
                crossing.append(OrderObligation(before: before, after: after, facts: facts, covers: count))
                // Each member's links to the group's goal, when it is not the goal's own event.
                for m in members[first..<(first + count)] {
                    if m.before < latest {
                        result.append(.link(EventID(node: group.from, seq: m.before), before))
                    }
                    if earliest < m.after {
                        result.append(.link(after, EventID(node: group.to, seq: m.after)))
                    }
                }
                first += count
            }
            for m in members {
                let newLatest = max(m.before, latest), newEarliest = min(m.after, earliest)
                if count == 0 || happensBefore(newLatest, newEarliest) {
                    count += 1
                    latest = newLatest
                    earliest = newEarliest
                } else {
                    close()
                    count = 1
                    latest = m.before
                    earliest = m.after
                }
            }
            close()
        }
        // Appended, not `result + crossing`, which copied every goal once more.
        result.append(contentsOf: crossing)
        return result
    }

    private func solver() -> Prover {
        if let prover { return prover }
        let made = Prover(timeout: timeout, resourceLimit: resourceLimit, cancellation: cancellation)
        prover = made
        return made
    }

    /// A linearization of the events involved in which `after` precedes `before`: from Z3 when
    /// the solver is in use, else from the graph engine.
    private func counterexample(_ invariant: Invariant, before: EventStamp, after: EventStamp) -> [EventStamp] {
        // An event never happens before itself: the event alone shows it (a linearization
        // cannot put it after itself, so Z3 has nothing to refute).
        if before.id == after.id { return [after] }
        // The facts: how the latest event of before's node known to `after` reaches it. Once
        // clock history was forgotten, that path can be gone for an `after` that is not its
        // node's latest (with three nodes or more): the anchor is then left out, not cited
        // without the path that orders it before `after`.
        var facts: [HappensBeforeStep] = []
        if before.id.node.exactlyEquals(after.id.node) {
            if after.id.seq < before.id.seq {
                facts = [HappensBeforeStep(from: after.id, to: before.id, kind: .program)]
            }
        } else if let known = clocks.latestKnown(of: before.id.node, at: after.id),
                  let path = clocks.path(from: EventID(node: before.id.node, seq: known), to: after.id) {
            let anchor = EventID(node: before.id.node, seq: known)
            facts = path
            if known < before.id.seq {
                facts.append(HappensBeforeStep(from: anchor, to: before.id, kind: .program))
            }
        }
        var order: [EventID]
        let used = refutations[invariant]?.count ?? 0
        if engine != nil && used < counterexampleLimit {
            let clock = ContinuousClock()
            let start = clock.now
            switch solver().refute(before: before.id, after: after.id, facts: facts) {
            case .linearization(let events):
                order = events
                noteRefutation(invariant, .refuted, since: start, clock: clock)
            case .disagreement:
                disagreements.append("\(invariant): the graph engine found \(before.id) not happening before \(after.id), but Z3 proved it from the steps given")
                order = graphOrder(before: before.id, after: after.id, facts: facts)
                noteRefutation(invariant, .refuted, since: start, clock: clock)
            case .unknown:
                order = graphOrder(before: before.id, after: after.id, facts: facts)
                noteRefutation(invariant, .unknown, since: start, clock: clock)
            }
        } else {
            order = graphOrder(before: before.id, after: after.id, facts: facts)
        }
        return order.map { id in
            if id == before.id { return before }
            if id == after.id { return after }
            return EventStamp(id: id, name: "", location: .none)
        }
    }

    /// The facts' events in path order, then `after`, then `before`.
    private func graphOrder(before: EventID, after: EventID, facts: [HappensBeforeStep]) -> [EventID] {
        var seen: Set<EventID> = [before, after]
        var order: [EventID] = []
        for step in facts {
            for id in [step.from, step.to] where seen.insert(id).inserted { order.append(id) }
        }
        return order + [after, before]
    }

    private func noteRefutation(
        _ invariant: Invariant, _ result: CheckReport.ProofResult, since start: ContinuousClock.Instant,
        clock: ContinuousClock
    ) {
        let elapsed = start.duration(to: clock.now)
        let ms = elapsed.milliseconds
        var entry = refutations[invariant] ?? (.refuted, 0, 0)
        if result == .unknown { entry.result = .unknown }
        entry.ms += ms
        entry.count += 1
        refutations[invariant] = entry
    }
}
