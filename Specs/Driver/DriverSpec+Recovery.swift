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
        recoveryNumber += 1
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
        lastOnline = stamp
    }

    /// `recovered(id)`: during a recovery, the request is part of the recovered state.
    mutating func recovered(_ id: Int, at stamp: EventStamp, sink: SpecSink) {
        guard phase == .recovering else {
            let since = lastOnline.map { "since the online at \($0.id)" } ?? "since the trace began"
            return lifecycle("request \(id) is recovered at \(stamp.id), but there was no crash \(since)",
                             [stamp], sink)
        }
        if var request = requests[id] {
            guard request.recoveredIn != recoveryNumber else {
                return lifecycle("request \(id) is recovered a second time at \(stamp.id) in one recovery "
                    + "(first at \(request.recovered!.id))", [stamp, request.recovered!], sink)
            }
            request.recoveredIn = recoveryNumber
            if request.recovered == nil { request.recovered = stamp }
            if request.since == nil {
                request.since = stamp
                resolveWaiter(&request, id, at: stamp, sink: sink)
            }
            requests[id] = request
        } else if var done = settled[id] {
            guard done.recoveredIn != Int32(truncatingIfNeeded: recoveryNumber) else {
                let first = done.recovered!.stamp(node: node)
                return lifecycle("request \(id) is recovered a second time at \(stamp.id) in one recovery "
                    + "(first at \(first.id))", [stamp, first], sink)
            }
            done.recoveredIn = Int32(truncatingIfNeeded: recoveryNumber)
            if done.recovered == nil { done.recovered = Mark(stamp) }
            settled[id] = done
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
                id: id, arrival: r.arrival, durable: r.durableInEpoch ? r.durable : nil,
                recovered: r.recovered, since: r.since, submit: r.submit))
        }
        for (id, s) in settled {
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
                    durableBefore = other.durableInEpoch ? other.durable : nil
                } else if let other = settled[dep] {
                    if other.recovered != nil { continue }
                    durableBefore = other.since.stamp(node: node)
                } else if lost.contains(dep) || submitted.contains(dep) {
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
        // What was not recovered is lost and forgotten.
        let lostNow = requests.filter { $0.value.recovered == nil }.map(\.key)
            + settled.filter { $0.value.recovered == nil }.map(\.key)
        for id in lostNow.sorted() { lost.insert(id) }
        requests = [:]
        settled = [:]
        for i in ifaces.keys { ifaces[i]!.restart() }
        phase = .running
        epochCrash = nil
        recoveryStart = nil
    }
}
