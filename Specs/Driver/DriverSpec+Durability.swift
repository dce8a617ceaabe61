import Trace

// Durability: `durable` events, `driver.order`, the durable prefix and `driver.sync`.
extension DriverSpec {
    /// `durable(b)`: after the stage, once; every earlier non-lost arrival of its interface and
    /// every dep must be durable before it.
    mutating func durable(_ id: Int, at stamp: EventStamp, sink: SpecSink) {
        guard var request = requests[id] else {
            if let survivor = survivors[id] { return durableSurvivor(id, survivor, at: stamp, sink: sink) }
            return unknown(id, "made durable", at: stamp, sink: sink)
        }
        if let first = request.durable {
            return lifecycle(
                "request \(id) is made durable a second time at \(stamp.id) (first at \(first.id))",
                [stamp, first], sink)
        }
        if !request.staged {
            lifecycle("request \(id) is made durable at \(stamp.id) before it was staged",
                      [stamp, request.submit], sink)
        }
        request.durable = stamp
        request.depsDurable = judgeOrder(id, request, at: stamp, sink: sink)
        if request.since == nil {
            request.since = stamp
            request.sinceInEpoch = phase == .running
            resolveWaiter(&request, id, at: stamp, sink: sink)
        }
        requests[id] = request
        advance(iface: request.iface, at: stamp)
        settleIfDone(id)
    }

    /// `durable(b)` of a request of an earlier epoch recovered after its crash, after the
    /// `online`: allowed once. Every request submitted before it on its interface was recovered
    /// (durable since) or lost (forgiven), so only its deps are judged.
    mutating func durableSurvivor(_ id: Int, _ survivor: Survivor, at stamp: EventStamp, sink: SpecSink) {
        var survivor = survivor
        if let first = survivor.durable {
            return lifecycle(
                "request \(id) is made durable a second time at \(stamp.id) (first at \(first.id))",
                [stamp, first], sink)
        }
        if !survivor.staged {
            lifecycle("request \(id) is made durable at \(stamp.id) before it was staged",
                      [stamp, survivor.submit], sink)
        }
        survivor.durable = stamp
        _ = judgeDeps(id, survivor.deps, submit: survivor.submit, survived: true, at: stamp, sink: sink)
        keep(survivor, id)
    }

    /// `driver.order` at `durable(b)` of `request`: makes the obligations for what is durable
    /// already and a waiter on each request that is not. Returns whether every dep was durable.
    mutating func judgeOrder(_ b: Int, _ request: Request, at stamp: EventStamp, sink: SpecSink) -> Bool {
        let i = request.iface, a = request.arrival
        // The previous non-lost arrival on the interface: chaining each durable to its
        // predecessor's durability covers every earlier arrival.
        if var state = ifaces[i] {
            var predecessor: EventStamp?
            if a == 1 {
                predecessor = state.survivor
            } else if state.frontier >= a - 1 {
                predecessor = state.frontierStamp
            } else {
                predecessor = requests[state.id(at: a - 1)]?.since
                // Earlier arrivals not durable yet: violations unless they are lost later.
                var k = max(state.flagged, state.frontier) + 1
                while k <= a - 1 {
                    let earlier = state.id(at: k)
                    if requests[earlier]?.since == nil, requests[earlier]?.waiter == nil {
                        requests[earlier]?.waiter = Waiter(stamp: stamp, id: b, becauseDep: false)
                    }
                    k += 1
                }
                state.flagged = max(state.flagged, a - 1)
                ifaces[i] = state
            }
            if let predecessor {
                sink.require(
                    .driverOrder, predecessor, happensBefore: stamp,
                    message: "request \(b) on iface \(i) became durable at \(stamp.id), but the request "
                        + "submitted before it on that interface became durable only at \(predecessor.id)")
            }
        }
        return judgeDeps(b, request.deps, submit: request.submit, since: request.since, at: stamp, sink: sink)
    }

    /// `driver.order` for the deps of `b` at its `durable`: obligations for those durable already,
    /// a waiter on each one of this epoch that is not, a violation for a lost one (never durable),
    /// and a pending report for one not submitted yet. Returns whether every dep was durable.
    /// `b` itself among its deps is durable before only from a `recovered` of it: the one at
    /// `since`, or, for a request that `survived` its epoch's crash, the one after that crash.
    mutating func judgeDeps(
        _ b: Int, _ deps: [Int], submit: EventStamp, since: EventStamp? = nil, survived: Bool = false,
        at stamp: EventStamp, sink: SpecSink
    ) -> Bool {
        var depsDurable = true
        for dep in deps {
            if dep == b {
                if let since {
                    requireDep(dep, since, of: b, stamp, sink)
                    continue
                }
                if survived { continue }
                depsDurable = false
                holdOrder(.report(Violation(
                    .driverOrder,
                    "request \(b) names itself among its deps, so it cannot be durable before its own "
                        + "durable at \(stamp.id)",
                    events: [stamp, submit])), ids: [b], sink: sink)
            } else if let other = requests[dep] {
                if let since = other.since {
                    requireDep(dep, since, of: b, stamp, sink)
                } else {
                    depsDurable = false
                    let waiter = Waiter(stamp: stamp, id: b, becauseDep: true)
                    if other.waiter == nil { requests[dep]!.waiter = waiter }
                    if other.depWaiter == nil { requests[dep]!.depWaiter = waiter }
                }
            } else if let other = settled[dep] {
                requireDep(dep, other.since.stamp(node: node), of: b, stamp, sink)
            } else if lost.contains(dep) {
                // Lost and forgotten: never durable.
                depsDurable = false
                let crash = lostCrash(of: dep)
                holdOrder(.report(Violation(
                    .driverOrder,
                    "request \(b) became durable at \(stamp.id), but its dep \(dep) was lost at the crash "
                        + "\(crash.map { "at \($0.id) " } ?? "")of its epoch (not recovered after it) and not submitted again, so it is never durable",
                    events: [stamp, submit] + (crash.map { [$0] } ?? []))), ids: [b], sink: sink)
            } else if submitted.contains(dep) {
                // Durable since its epoch's recovery, before this epoch.
                continue
            } else {
                // Not submitted by now, so not durable before this durable: reported at its
                // submit, or at the end of the trace if it never comes.
                depsDurable = false
                unsubmittedDeps[dep, default: []].append(Waiter(stamp: stamp, id: b, becauseDep: true))
            }
        }
        return depsDurable
    }

    /// The crash at which `id` was lost, if it was.
    func lostCrash(of id: Int) -> EventStamp? {
        lostAt.last { $0.ids.contains(id) }?.crash
    }

    /// The obligation "dep `dep` is durable (at `since`) before `durable(b)`".
    func requireDep(_ dep: Int, _ since: EventStamp, of b: Int, _ stamp: EventStamp, _ sink: SpecSink) {
        sink.require(
            .driverOrder, since, happensBefore: stamp,
            message: "request \(b) became durable at \(stamp.id), but its dep \(dep) became durable "
                + "only at \(since.id)")
    }

    /// A request that a `durable` waited for became durable at `stamp`, after it: the obligation
    /// fails, with the durable it came too late for.
    mutating func resolveWaiter(_ request: inout Request, _ id: Int, at stamp: EventStamp, sink: SpecSink) {
        request.depWaiter = nil
        guard let waiter = request.waiter else { return }
        request.waiter = nil
        let relation = waiter.becauseDep
            ? "which depends on it"
            : "submitted after it on iface \(request.iface)"
        // Void if the later request is lost, or this earlier arrival (not a dep: a dep lost is
        // never durable, which breaks the rule too).
        holdOrder(.late(
            before: stamp, after: waiter.stamp,
            message: "request \(id) became durable at \(stamp.id), after request \(waiter.id) "
                + "(\(relation)) became durable at \(waiter.stamp.id)"),
            ids: waiter.becauseDep ? [waiter.id] : [id, waiter.id], earlier: id, sink: sink)
    }

    /// Moves the interface's durable prefix past every arrival that is durable now; `stamp` is
    /// the durability that moved it. Covers the syncs whose arrivals are now all durable.
    mutating func advance(iface i: Int, at stamp: EventStamp) {
        guard var state = ifaces[i] else { return }
        var passed: [Int] = []
        while state.frontier < state.count {
            let id = state.tail[state.tailHead]
            guard let since = requests[id]?.since else { break }
            state.frontier += 1
            state.frontierStamp = since
            state.tailHead += 1
            passed.append(id)
        }
        guard !passed.isEmpty else { return }
        state.lastAdvance = stamp
        if state.tailHead > 64 && state.tailHead * 2 > state.tail.count {
            state.tail.removeFirst(state.tailHead)
            state.tailHead = 0
        }
        for k in state.syncHead..<state.syncs.count
        where state.syncs[k].covered == nil && state.syncs[k].bound > 0 && state.syncs[k].bound <= state.frontier {
            state.syncs[k].covered = stamp
        }
        ifaces[i] = state
        for id in passed { settleIfDone(id) }
    }

    /// `sync(i)`: the caller asks for the interface's arrivals so far to be durable.
    mutating func sync(_ i: Int, at stamp: EventStamp) {
        var state = ifaces[i] ?? Iface()
        let bound = state.count
        // Already all durable: the frontier reached `bound` at its latest advance.
        let covered = bound > 0 && state.frontier >= bound ? state.lastAdvance : nil
        state.syncs.append(PendingSync(stamp: stamp, bound: bound, covered: covered))
        ifaces[i] = state
    }

    /// `sync_done(i)`: finishes the earliest unfinished sync of the interface; everything
    /// submitted on it before that sync must be durable before this.
    mutating func syncDone(_ i: Int, at stamp: EventStamp, sink: SpecSink) {
        guard var state = ifaces[i], state.syncHead < state.syncs.count else {
            sink.report(Violation(
                .driverSync, "sync_done of iface \(i) at \(stamp.id), but no sync of that interface is unfinished",
                events: [stamp]))
            return
        }
        let sync = state.syncs[state.syncHead]
        state.syncHead += 1
        if state.syncHead == state.syncs.count {
            state.syncs = []
            state.syncHead = 0
        }
        ifaces[i] = state
        if sync.bound <= state.frontier {
            if let covered = sync.covered {
                sink.require(
                    .driverSync, covered, happensBefore: stamp,
                    message: "sync_done of iface \(i) at \(stamp.id) finishes the sync at \(sync.stamp.id), "
                        + "but a request submitted on it before that sync became durable only at \(covered.id)")
            }
        } else {
            let pending = state.id(at: state.frontier + 1)
            sink.report(Violation(
                .driverSync,
                "sync_done of iface \(i) at \(stamp.id) finishes the sync at \(sync.stamp.id), but request "
                    + "\(pending), submitted on that interface before the sync, is not durable yet",
                events: [stamp, sync.stamp] + (requests[pending].map { [$0.submit] } ?? [])))
        }
    }
}
