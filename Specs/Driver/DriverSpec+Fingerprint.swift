import Trace

// The driver spec's state as a stable hash, for the explorer's state fingerprints. It must cover
// every stored property that decides the verdict on any continuation; left out, by name wherever
// they occur: `seq`, `line`, `file` (of a compact `Mark`), `node`, and `lostAt` (messages only),
// and an interface's `survivor` (see below); an `EventStamp` is hashed as its event name alone
// (see `DriverSimulation.fingerprint()`). Sets are hashed sorted, dictionaries as a sum of one
// hash per entry (Swift seeds hashing per process, so no iteration order may show). A test
// compares this hash with a reflection encoding over explored states, so a field added later
// and forgotten here shows up there.
//
// An interface's `survivor` is read only as the earlier side of a `require` (the predecessor of
// the epoch's first arrival at its `durable`). A driver trace has one node, whose seqs only
// grow, so a stamp recorded earlier always happens before a later event: that `require` holds
// whatever the survivor is, and histories that differ only in it (a durable or a recovered last
// survivor) merge.

extension DriverSpec {
    /// Hashes the spec's whole state, stamps as event names, leaving out `lostAt` and `node`
    /// (messages only) and each interface's `survivor` (see the top of this file), for the
    /// explorer's fingerprints: equal hashes mean the same verdicts.
    ///
    /// `survivors: false` leaves out the requests of earlier epochs that still miss a step too
    /// (hashed as if there were none): only a `stage`, `complete` or `durable` of such a request
    /// reads them, so equal hashes mean the same verdicts on every continuation where none
    /// comes (the driver explorer: the core stages, completes and makes durable only requests
    /// submitted since its last power loss, and each request is submitted once).
    package func hash(into hasher: inout StableHasher, survivors withSurvivors: Bool = true) {
        phase.hash(into: &hasher)
        hasher.combineName(epochCrash)
        hasher.combineName(recoveryStart)
        if let outOfPlace {
            hasher.combine(1)
            outOfPlace.hash(into: &hasher)
        } else {
            hasher.combine(0)
        }
        // Dictionaries as sums of one hash per entry, like `settled`: the same in any order,
        // with no sorted copy at every event the explorer's spec sees.
        hasher.combine(requests.count)
        hasher.combine(StableHasher.unorderedSum(requests) { request, entry in
            entry.combine(request.key)
            request.value.hash(into: &entry)
        })
        // A multiset sum (see `settle`): the same for the same settled requests, whatever order
        // they settled in, and it costs the same however many there are.
        hasher.combine(settled.count)
        hasher.combine(settledDigest)
        hasher.combine(ifaces.count)
        hasher.combine(StableHasher.unorderedSum(ifaces) { iface, entry in
            entry.combine(iface.key)
            iface.value.hash(into: &entry)
        })
        submitted.hash(into: &hasher)
        lost.hash(into: &hasher)
        // Without them, as an empty map hashes: a start state's hash, and so the replay tokens
        // made before they were left out, stay as they were.
        hasher.combine(withSurvivors ? survivors.count : 0)
        hasher.combine(withSurvivors ? StableHasher.unorderedSum(survivors) { survivor, entry in
            entry.combine(survivor.key)
            survivor.value.hash(into: &entry)
        } : 0)
        // Only when there are any: start states hash as before they existed.
        if !heldOrder.isEmpty {
            hasher.combine(heldOrder.count)
            for held in heldOrder { held.hash(into: &hasher) }
        }
        hasher.combine(unsubmittedDeps.count)
        hasher.combine(StableHasher.unorderedSum(unsubmittedDeps) { dep, entry in
            entry.combine(dep.key)
            entry.combine(dep.value.count)
            for waiter in dep.value { waiter.hash(into: &entry) }
        })
    }
}

extension StableHasher {
    /// Hashes a stamp as its event name alone (its seq and place left out).
    fileprivate mutating func combineName(_ stamp: EventStamp) {
        combine(stamp.name)
    }

    /// Hashes an optional stamp: its presence, then its event name.
    fileprivate mutating func combineName(_ stamp: EventStamp?) {
        if let stamp {
            combine(1)
            combine(stamp.name)
        } else {
            combine(0)
        }
    }
}

extension DriverSpec.Phase {
    /// Hashes the case number: running an epoch or recovering.
    func hash(into hasher: inout StableHasher) {
        switch self {
        case .running: hasher.combine(0)
        case .recovering: hasher.combine(1)
        }
    }
}

extension DriverSpec.OutOfPlace {
    /// Hashes the first misplaced event of the recovery (its name) and how many there are.
    func hash(into hasher: inout StableHasher) {
        hasher.combineName(first)
        hasher.combine(count)
    }
}

extension DriverSpec.Request {
    /// Hashes every field of an open request, stamps as event names.
    func hash(into hasher: inout StableHasher) {
        hasher.combine(iface)
        hasher.combine(arrival)
        hasher.combineName(submit)
        hasher.combine(deps)
        hasher.combine(staged)
        hasher.combine(completed)
        hasher.combineName(durable)
        hasher.combineName(since)
        hasher.combine(sinceInEpoch)
        hasher.combineName(recovered)
        hasher.combine(depsDurable)
        DriverSpec.Waiter.hash(waiter, into: &hasher)
        DriverSpec.Waiter.hash(depWaiter, into: &hasher)
    }
}

extension DriverSpec.Waiter {
    /// Hashes the `durable` that waited (its name), its request and why it waited.
    func hash(into hasher: inout StableHasher) {
        hasher.combineName(stamp)
        hasher.combine(id)
        hasher.combine(becauseDep)
    }

    /// Hashes an optional waiter: its presence, then its fields.
    static func hash(_ waiter: DriverSpec.Waiter?, into hasher: inout StableHasher) {
        if let waiter {
            hasher.combine(1)
            waiter.hash(into: &hasher)
        } else {
            hasher.combine(0)
        }
    }
}

extension DriverSpec.Mark {
    /// Hashes whether the mark is a `recovered` (else a `durable`): all of it but `seq`,
    /// `line` and `file`, as a stamp is hashed as its event name alone.
    func hash(into hasher: inout StableHasher) {
        hasher.combine(recovered)
    }
}

extension DriverSpec.Settled {
    /// Hashes every field of a settled request: interface, arrival and its two marks.
    func hash(into hasher: inout StableHasher) {
        hasher.combine(iface)
        hasher.combine(arrival)
        since.hash(into: &hasher)
        if let recovered {
            hasher.combine(1)
            recovered.hash(into: &hasher)
        } else {
            hasher.combine(0)
        }
    }
}

extension DriverSpec.Survivor {
    /// Hashes every field of a survivor, stamps as event names.
    func hash(into hasher: inout StableHasher) {
        hasher.combineName(submit)
        hasher.combine(deps)
        hasher.combine(staged)
        hasher.combine(completed)
        hasher.combineName(durable)
    }
}

extension DriverSpec.PendingSync {
    /// Hashes every field of an unfinished sync, stamps as event names.
    func hash(into hasher: inout StableHasher) {
        hasher.combineName(stamp)
        hasher.combine(bound)
        hasher.combineName(covered)
    }
}

extension DriverSpec.Iface {
    /// Hashes every field of an interface's state but `survivor` (see the top of this file),
    /// stamps as event names; the whole of `tail` and `syncs`, their consumed prefixes too.
    func hash(into hasher: inout StableHasher) {
        hasher.combine(count)
        hasher.combine(frontier)
        hasher.combineName(frontierStamp)
        hasher.combineName(lastAdvance)
        hasher.combine(tail)
        hasher.combine(tailHead)
        hasher.combine(flagged)
        hasher.combine(syncs.count)
        for sync in syncs { sync.hash(into: &hasher) }
        hasher.combine(syncHead)
    }
}
