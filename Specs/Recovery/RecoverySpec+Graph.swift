import Trace

// `recovery.acyclic`: registrations come before `begin`, name each consumer once, and form a DAG
// over registered consumers.

extension RecoverySpec {
    /// An accepted registration: it belongs to the framework's current run, or opens the next one.
    mutating func register(
        _ consumer: String, deps: [String], after: [String], logs: [String], at stamp: EventStamp,
        sink: SpecSink
    ) {
        let r = openingRun()
        let late = runs[r].begin != nil
        if let begin = runs[r].begin {
            sink.report(Violation(
                .recoveryAcyclic,
                "consumer \"\(consumer)\" is registered at \(stamp) after \(runs[r].name) began at \(begin); "
                    + "the graph was sealed by then",
                events: [stamp, begin]))
        }
        if let first = runs[r].registrations[consumer] {
            sink.report(Violation(
                .recoveryAcyclic,
                "consumer \"\(consumer)\" is registered twice in \(runs[r].name): \(stamp) repeats \(first.stamp)",
                events: [stamp, first.stamp]))
            return
        }
        let registration = Registration(stamp: stamp, deps: deps, after: after, logs: logs, late: late)
        runs[r].registrations[consumer] = registration
        runs[r].order.append(consumer)
        if late {
            // Not part of the sealed graph: at least check that its names exist.
            let unknown = Self.uniqued(deps + after + logs).filter { !runs[r].isRegistered($0) }
            reportUnknown(unknown, namedBy: consumer, registration, in: r, sink: sink)
        }
    }

    /// A refused registration: remembered for messages; it may open the next run.
    mutating func reject(_ consumer: String, reason: String, at stamp: EventStamp) {
        let r = openingRun()
        if runs[r].rejections[consumer] == nil {
            runs[r].rejections[consumer] = Rejection(stamp: stamp, reason: reason)
        }
    }

    /// `begin`: seals the run's graph and hands it to the acyclicity obligation.
    mutating func begin(at stamp: EventStamp, sink: SpecSink) {
        let r = openingRun()
        if let first = runs[r].begin {
            sink.report(Violation(
                .recoveryAcyclic,
                "\(runs[r].name) begins again at \(stamp) without a done or crash since its begin at \(first); "
                    + "its graph was already sealed",
                events: [stamp, first]))
            return
        }
        runs[r].begin = stamp
        begun.append(BegunRun(run: r, begin: stamp.id))
        judgeGraphIfNeeded(r, sink: sink)
    }

    /// Hands run `r`'s graph (registered before `begin`) to `requireAcyclic` and reports names
    /// that are not registered; once per run, at `begin`, or when a run that never began ends.
    mutating func judgeGraphIfNeeded(_ r: Int, sink: SpecSink) {
        guard !runs[r].graphJudged else { return }
        runs[r].graphJudged = true
        let run = runs[r]
        let vertices = run.order.filter { !run.registrations[$0]!.late }
        var index: [String: Int] = [:]
        for (i, name) in vertices.enumerated() { index[name] = i }
        // Edges go from a dependency to its dependent.
        var edges: [(from: Int, to: Int)] = []
        for (i, name) in vertices.enumerated() {
            let registration = run.registrations[name]!
            var unknown: [String] = []
            for dependency in Self.uniqued(registration.deps + registration.after + registration.logs) {
                if let j = index[dependency] { edges.append((from: j, to: i)) } else { unknown.append(dependency) }
            }
            reportUnknown(unknown, namedBy: name, registration, in: r, sink: sink)
        }
        guard !vertices.isEmpty else { return }
        sink.requireAcyclic(
            .recoveryAcyclic, vertices: vertices, edges: edges,
            stamps: vertices.map { run.registrations[$0]!.stamp })
    }

    /// Reports that `consumer`'s registration names consumers not registered in run `r`.
    func reportUnknown(
        _ unknown: [String], namedBy consumer: String, _ registration: Registration, in r: Int, sink: SpecSink
    ) {
        guard !unknown.isEmpty else { return }
        let run = runs[r]
        let details = unknown.map { name in
            if let rejection = run.rejections[name] {
                "\"\(name)\" (rejected at \(rejection.stamp): \(rejection.reason))"
            } else {
                "\"\(name)\""
            }
        }
        let plural = unknown.count == 1 ? "a consumer that is" : "consumers that are"
        sink.report(Violation(
            .recoveryAcyclic,
            "consumer \"\(consumer)\" (\(registration.stamp)) names \(plural) not registered in \(run.name): "
                + details.joined(separator: ", "),
            events: [registration.stamp] + unknown.compactMap { run.rejections[$0]?.stamp }))
    }
}
