import Trace

// `driver.order` violations held until no request they involve can still be lost: a lost
// request has no `driver.order` obligations (TRACE-FORMAT.md, the `driver.order` row and
// "Settled readings"), neither as the earlier arrival nor as the later request, so a violation
// is certain only once each of its requests of the current epoch is recovered after the epoch's
// crash, or the trace ends with the epoch running.
extension DriverSpec {
    /// A `driver.order` violation among requests of the current epoch, held until their fate is
    /// known (`releaseHeldOrder(lost:)`).
    struct HeldOrder: Sendable {
        /// The requests of the current epoch whose loss voids it.
        var ids: [Int]
        /// What is reported when none of them is lost.
        var kind: Kind
        /// For a request made durable after one that waited for it (`.late`): that request. If
        /// the one that waited is lost, another that waited may not be (only the first waiter of
        /// a request is kept): `judgeOthersThatWaited` looks for it.
        var earlier: Int? = nil

        /// How the violation is reported.
        enum Kind: Sendable {
            /// The failed obligation "`before` happens before `after`".
            case late(before: EventStamp, after: EventStamp, message: String)
            /// A violation decided without an obligation.
            case report(Violation)
        }
    }

    /// Whether `id` is a request of the current epoch (one its crash can lose).
    func isInEpoch(_ id: Int) -> Bool { requests[id] != nil || settled[id] != nil }

    /// Reports `kind` now if none of `ids` is a request of the current epoch, else holds it.
    mutating func holdOrder(_ kind: HeldOrder.Kind, ids: [Int], earlier: Int? = nil, sink: SpecSink) {
        let open = ids.filter(isInEpoch)
        if open.isEmpty {
            Self.emit(kind, sink)
        } else {
            heldOrder.append(HeldOrder(ids: open, kind: kind, earlier: earlier))
        }
    }

    /// The epoch's fate is known, its `lost` requests lost (empty: the trace ended with the
    /// epoch running): reports every held violation that involves none of them, and for each
    /// one voided by the loss of the request that waited, the first other that waited.
    mutating func releaseHeldOrder(lost: IntKeySet, sink: SpecSink) {
        for held in heldOrder {
            if !held.ids.contains(where: lost.contains) {
                Self.emit(held.kind, sink)
            } else if let a = held.earlier, !lost.contains(a), case let .late(since, _, _) = held.kind {
                judgeOthersThatWaited(for: a, since: since, lost: lost, sink: sink)
            }
        }
        heldOrder = []
    }

    /// Request `a`, not lost, became durable at `since`, and the first request that waited for
    /// it was lost: the first other request of the epoch, not lost, that had to wait for it (a
    /// later arrival on its interface, or one with `a` among its deps) and was made durable
    /// before `since` breaks `driver.order`.
    private func judgeOthersThatWaited(for a: Int, since: EventStamp, lost: IntKeySet, sink: SpecSink) {
        guard let (iface, arrival) = requests[a].map({ ($0.iface, $0.arrival) }) ?? settled[a].map({ ($0.iface, $0.arrival) })
        else { return }
        var first: (id: Int, durable: EventStamp, dep: Bool)?
        func consider(_ id: Int, _ durable: EventStamp, dep: Bool) {
            guard id != a, !lost.contains(id), durable.id.seq < since.id.seq else { return }
            if first == nil || durable.id.seq < first!.durable.id.seq { first = (id, durable, dep) }
        }
        for (id, r) in requests {
            guard let durable = r.durable else { continue }
            if r.deps.contains(a) { consider(id, durable, dep: true) }
            else if r.iface == iface && r.arrival > arrival { consider(id, durable, dep: false) }
        }
        // A settled request had its deps durable at its durable: only arrival order is left.
        for (id, s) in settled.elements where s.iface == iface && s.arrival > arrival {
            consider(id, s.since.stamp(node: node), dep: false)
        }
        guard let first else { return }
        let relation = first.dep ? "which depends on it" : "submitted after it on iface \(iface)"
        sink.require(
            .driverOrder, since, happensBefore: first.durable,
            message: "request \(a) became durable at \(since.id), after request \(first.id) (\(relation)) became "
                + "durable at \(first.durable.id)")
    }

    private static func emit(_ kind: HeldOrder.Kind, _ sink: SpecSink) {
        switch kind {
        case let .late(before, after, message):
            sink.require(.driverOrder, before, happensBefore: after, message: message)
        case let .report(violation):
            sink.report(violation)
        }
    }
}

extension DriverSpec.HeldOrder {
    /// Hashes the ids, the kind and its events' names (stamps as names, as everywhere in the
    /// driver spec's fingerprint).
    func hash(into hasher: inout StableHasher) {
        hasher.combine(ids.count)
        for id in ids { hasher.combine(id) }
        hasher.combine(earlier)
        switch kind {
        case let .late(before, after, _):
            hasher.combine(0)
            hasher.combine(before.name)
            hasher.combine(after.name)
        case let .report(violation):
            hasher.combine(1)
            hasher.combine(violation.events.count)
            for event in violation.events { hasher.combine(event.name) }
        }
    }
}
