import Trace

// Crashes and recovery: `driver.recovered-prefix`, `driver.no-loss`, and what is lost.
extension DriverSpec {
    /// `crash`: ends the epoch (or, during a recovery, starts the recovery again); pending syncs
    /// are cancelled.
    mutating func crash(at stamp: EventStamp, sink: SpecSink) {
        closeOutOfPlace(end: stamp, sink: sink)
        if phase == .running {
            phase = .recovering
            epochCrash = stamp
        }
        recoveryStart = stamp
        for i in ifaces.keys {
            ifaces[i]!.syncs = []
            ifaces[i]!.syncHead = 0
        }
    }

    /// `online`: the recovery is over; judges it and starts the next epoch.
    mutating func online(at stamp: EventStamp, sink: SpecSink) {
        guard phase == .recovering else { return }
        closeOutOfPlace(end: stamp, sink: sink)
        endRecovery(end: stamp, sink: sink)
    }

    /// `recovered(id)`: the request is part of the recovered state, and durable from now on. After
    /// a crash it counts for the crashed epoch's recovery; it may name a request more than once,
    /// and a `recovered` with no crash before it breaks nothing (it only makes the request durable).
    mutating func recovered(_ id: Int, at stamp: EventStamp, sink: SpecSink) {
        if var request = requests[id] {
            if phase == .recovering, request.recovered == nil { request.recovered = stamp }
            let becomesDurable = request.since == nil
            if becomesDurable {
                request.since = stamp
                request.sinceInEpoch = phase == .running
                resolveWaiter(&request, id, at: stamp, sink: sink)
            }
            requests[id] = request
            if becomesDurable && phase == .running {
                advance(iface: request.iface, at: stamp)
                settleIfDone(id)
            }
        } else if var done = settled[id] {
            if phase == .recovering, done.recovered == nil {
                done.recovered = Mark(stamp)
                settle(id, done)
            }
        } else if lost.contains(id) {
            lifecycle("request \(id) is recovered at \(stamp.id), but it was lost at an earlier crash "
                + "(not recovered after its epoch's crash) and is forgotten", [stamp], sink)
        } else if !submitted.contains(id) {
            lifecycle("request \(id) is recovered at \(stamp.id) without a submit", [stamp], sink)
        }
        // Otherwise a request of an earlier epoch that survived its crash: still durable.
    }

    /// Reports the events of the recovery that ends at `end` (nil: the end of the trace) other
    /// than `recovered`, `online` and `crash`.
    mutating func closeOutOfPlace(end: EventStamp?, sink: SpecSink) {
        guard let wrong = outOfPlace, let start = recoveryStart else { return }
        outOfPlace = nil
        let until = end.map { "the next \($0.name) at \($0.id)" } ?? "the end of the trace"
        let more = wrong.count > 1 ? " (\(wrong.count) such events in all)" : ""
        lifecycle("the driver recorded \(wrong.first.name) at \(wrong.first.id) between the crash at "
            + "\(start.id) and \(until)\(more); only recovered, online and crash belong there",
            [wrong.first, start], sink)
    }

    /// One request of the crashed epoch, as the end of its recovery judges it.
    private struct Judged {
        var id: Int
        var arrival: Int
        /// Its `durable`, if it came during the epoch.
        var durable: EventStamp?
        /// Its first `recovered`.
        var recovered: EventStamp?
        /// Its durability (first `durable` or `recovered`).
        var since: EventStamp?
        /// Its submit, when still known.
        var submit: EventStamp?
    }

    /// The recovery of the crashed epoch ends at `end` (nil: the end of the trace): judges
    /// `driver.no-loss` and `driver.recovered-prefix`, keeps the survivors' last durability per
    /// interface and the ids lost, and starts the next epoch.
    mutating func endRecovery(end: EventStamp?, sink: SpecSink) {
        guard let crash = epochCrash else { return }
        let until = end.map { "by the online at \($0.id)" } ?? "by the end of the trace"
        var byIface: [Int: [Judged]] = [:]
        for (id, r) in requests {
            byIface[r.iface, default: []].append(Judged(
                id: id, arrival: r.arrival, durable: r.sinceInEpoch ? r.since : nil,
                recovered: r.recovered, since: r.since, submit: r.submit))
        }
        for (id, s) in settled.elements {
            let durable = s.since.stamp(node: node)
            byIface[s.iface, default: []].append(Judged(
                id: id, arrival: s.arrival, durable: durable,
                recovered: s.recovered?.stamp(node: node), since: durable, submit: nil))
        }
        for i in byIface.keys.sorted() {
            let list = byIface[i]!.sorted { $0.arrival < $1.arrival }
            // driver.no-loss: what was durable in the epoch is recovered.
            let missing = list.filter { $0.durable != nil && $0.recovered == nil }
            if !missing.isEmpty {
                let shown = missing.prefix(10).map { String($0.id) }.joined(separator: ", ")
                let rest = missing.count > 10 ? " and \(missing.count - 10) more" : ""
                let what = missing.count == 1 ? "request \(shown) was" : "requests \(shown)\(rest) were"
                sink.report(Violation(
                    .driverNoLoss,
                    "on iface \(i), \(what) durable before the crash at \(crash.id) but not recovered \(until)",
                    events: missing.prefix(10).compactMap(\.durable) + [crash]))
            }
            // driver.recovered-prefix: the recovered ones are a prefix of the arrival order.
            if let gap = list.first(where: { $0.recovered == nil }),
               let beyond = list.first(where: { $0.arrival > gap.arrival && $0.recovered != nil }) {
                sink.report(Violation(
                    .driverRecoveredPrefix,
                    "on iface \(i), request \(beyond.id) (arrival \(beyond.arrival) of the epoch) is "
                        + "recovered at \(beyond.recovered!.id), but request \(gap.id) (arrival "
                        + "\(gap.arrival)), submitted before it, is not recovered \(until)",
                    events: [beyond.recovered!] + [gap.submit ?? gap.durable].compactMap { $0 } + [crash]))
            }
            if let last = list.last(where: { $0.recovered != nil }) {
                ifaces[i, default: Iface()].survivor = last.since
            }
        }
        // driver.recovered-prefix, deps: each recovered request's deps were durable before the
        // crash or are recovered too. A settled request had its deps durable at its own durable.
        for (id, r) in requests.sorted(by: { $0.key < $1.key }) where r.recovered != nil {
            for dep in r.deps {
                var durableBefore: EventStamp?
                if let other = requests[dep] {
                    if other.recovered != nil { continue }
                    durableBefore = other.sinceInEpoch ? other.since : nil
                } else if let other = settled[dep] {
                    if other.recovered != nil { continue }
                    durableBefore = other.since.stamp(node: node)
                } else if lost.contains(dep) {
                    // Lost at the crash of an earlier epoch: never durable, never recovered.
                    let lostAt = lostCrash(of: dep)
                    sink.report(Violation(
                        .driverRecoveredPrefix,
                        "request \(id) is recovered at \(r.recovered!.id), but its dep \(dep) was lost at the "
                            + "crash \(lostAt.map { "at \($0.id) " } ?? "")of an earlier epoch, so it was neither "
                            + "durable before the crash at \(crash.id) nor recovered",
                        events: [r.recovered!, r.submit] + (lostAt.map { [$0] } ?? [])))
                    continue
                } else if submitted.contains(dep) {
                    // Durable since its own epoch's recovery.
                    continue
                }
                if let durableBefore {
                    sink.require(
                        .driverRecoveredPrefix, durableBefore, happensBefore: crash,
                        message: "request \(id) is recovered, but its dep \(dep) was not recovered and "
                            + "became durable at \(durableBefore.id), not before the crash at \(crash.id)")
                } else {
                    sink.report(Violation(
                        .driverRecoveredPrefix,
                        "request \(id) is recovered at \(r.recovered!.id), but its dep \(dep) was neither "
                            + "durable before the crash at \(crash.id) nor recovered \(until)",
                        events: [r.recovered!, r.submit, crash]))
                }
            }
        }
        // What was not recovered is lost and forgotten. A `durable` that waited for one of them
        // as a dep had a dep that is never durable.
        let lostNow = (requests.filter { $0.value.recovered == nil }.map(\.key)
            + settled.elements.filter { $0.value.recovered == nil }.map(\.key)).sorted()
        var lostIds = IntKeySet()
        for id in lostNow {
            lost.insert(id)
            lostIds.insert(id)
        }
        // A lost request has no `driver.order` obligations: what is held for one is void.
        releaseHeldOrder(lost: lostIds, sink: sink)
        for id in lostNow {
            guard let request = requests[id], var waiter = request.depWaiter else { continue }
            if lostIds.contains(waiter.id) {
                // Lost too, so void; only the first waiter is kept: another not lost may have waited.
                let others = requests.filter { !lostIds.contains($0.key) && $0.value.deps.contains(id) && $0.value.durable != nil }
                guard let other = others.min(by: { $0.value.durable!.id.seq < $1.value.durable!.id.seq }) else { continue }
                waiter = Waiter(stamp: other.value.durable!, id: other.key, becauseDep: true)
            }
            sink.report(Violation(
                .driverOrder,
                "request \(waiter.id) became durable at \(waiter.stamp.id), but its dep \(id) was not durable "
                    + "then and was lost at the crash at \(crash.id) (not recovered \(until)), so it is never durable",
                events: [waiter.stamp, request.submit, crash]))
        }
        for (dep, waiters) in unsubmittedDeps {
            let kept = waiters.filter { !lostIds.contains($0.id) }
            unsubmittedDeps[dep] = kept.isEmpty ? nil : kept
        }
        if !lostNow.isEmpty { lostAt.append(LostEpoch(crash: crash, ids: lostIds)) }
        // Survivors still missing a step may take it after the online.
        for (id, r) in requests where r.recovered != nil && !(r.staged && r.completed && r.durable != nil) {
            survivors[id] = Survivor(
                submit: r.submit, deps: r.deps, staged: r.staged, completed: r.completed, durable: r.durable)
        }
        requests = [:]
        clearSettled()
        for i in ifaces.keys { ifaces[i]!.restart() }
        phase = .running
        epochCrash = nil
        recoveryStart = nil
    }
}
