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
    mutating func holdOrder(_ kind: HeldOrder.Kind, ids: [Int], sink: SpecSink) {
        let open = ids.filter(isInEpoch)
        if open.isEmpty { Self.emit(kind, sink) } else { heldOrder.append(HeldOrder(ids: open, kind: kind)) }
    }

    /// The epoch's fate is known, its `lost` requests lost (empty: the trace ended with the
    /// epoch running): reports every held violation that involves none of them.
    mutating func releaseHeldOrder(lost: IntKeySet, sink: SpecSink) {
        for held in heldOrder where !held.ids.contains(where: lost.contains) { Self.emit(held.kind, sink) }
        heldOrder = []
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
