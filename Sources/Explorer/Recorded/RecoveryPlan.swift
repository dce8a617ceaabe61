import Recovery
import Trace

/// Registrations given explicitly to a recovery simulation (`plumb explore recovery --from`),
/// hashed by their fields (`ConsumerRegistration` is only `Equatable`).
package struct RegistrationList: Sendable, Hashable {
    /// The registrations, in order.
    package var items: [ConsumerRegistration]

    package func hash(into hasher: inout Hasher) {
        hasher.combine(items.count)
        for r in items {
            hasher.combine(r.name)
            hasher.combine(r.deps)
            hasher.combine(r.after)
            hasher.combine(r.logs)
            hasher.combine(r.timeout != nil)
        }
    }
}

/// `plumb explore recovery --from TRACE`: the graph and the outcomes of a captured recovery
/// trace, walked by the real `RecoveryCore` in the simulated runtime (`RecoverySimulation`).
///
/// Taken from the trace: the consumers the first run registered (after any crash before its
/// `begin`, which ends that opening), with their deps, after and
/// logs edges, in order; a timeout for each consumer the framework timed out; each consumer's
/// outcome (its last `end`: ok, failed, or the framework's timeout); the workers (the worker
/// nodes `w0`, `w1`, ... that recorded anything); and the framework's crashes. Each consumer
/// runs the framework's standard action (tag its log, untag it, process the logs of its `logs`
/// consumers), as `plumb record recovery` does.
///
/// Workers run concurrently, so a trace orders their events only by happens-before: every
/// order of the consumers' steps and ends agrees with it, and each is explored, free. What the
/// trace did record is each consumer's outcome: ending otherwise (failing where it succeeded,
/// succeeding where it failed, timing out) strays. The trace's crashes may come at any step (a
/// trace does not place the framework's crash among the workers' steps), free; `--crashes`
/// adds more, at every step.
package struct RecoveryPlan: RecordedPlan {
    package typealias System = RecoverySimulation

    /// The crashes of the trace taken so far.
    package struct Progress: Sendable, Hashable {
        var crashesTaken = 0
    }

    /// Each consumer's recorded outcome (by index); `.ok` for one that never ended.
    let outcomes: [RecoverySimulation.Ending]
    package let start: RecoverySimulation
    package var startProgress: Progress { Progress() }
    package let settingsText: String
    package let recordedCrashes: Int
    package private(set) var summary: String

    package init(trace: RecordedTrace, crashes: Int, settings: [(key: String, value: String)]) throws(TraceInputError) {
        var faults = RecoveryCoreFaults.none
        for (key, value) in settings {
            guard key == "faults" else { throw trace.refusal("unknown recovery setting \(key)=\(value)") }
            for name in value.split(separator: "+") {
                guard let fault = SeededFault(rawValue: String(name)), fault.system == RecoverySimulation.system else {
                    throw trace.refusal("unknown seeded recovery bug \(name)")
                }
                fault.turnOn(in: &faults)
            }
        }
        try trace.expect(.recovery)
        var registrations: [ConsumerRegistration] = []
        var index: [String: Int] = [:]
        // Workers up to the highest one named: a trace of w0 and w3 had at least four (one
        // that recorded nothing was idle), and more workers only allow more schedules.
        var began = false, crashCount = 0, workers = 0
        var ends: [String: TraceEvent] = [:]
        var timedOut: Set<String> = []
        for event in trace.events {
            if event.node != RecoveryCore.frameworkNode {
                guard event.node.hasPrefix("w"), let k = Int(event.node.dropFirst()), k >= 0 else {
                    throw trace.refusal(event, "worker node \"\(event.node)\": the explorer replays workers named w0, w1, ...")
                }
                workers = max(workers, k + 1)
            }
            switch event.kind {
            case let .register(consumer, deps, after, logs) where !began:
                if let earlier = index[consumer] {
                    let other = registrations[earlier].name
                    // The framework keys consumers by Swift strings, which compare canonically.
                    throw trace.refusal(event, other.exactlyEquals(consumer)
                        ? "consumer \(consumer) registers twice in the first run"
                        : "consumers \(Self.escaped(other)) and \(Self.escaped(consumer)) differ only in Unicode "
                            + "normalisation: the trace holds two consumers, but the recovery framework takes them as one "
                            + "name, so the explorer cannot reproduce this workload")
                }
                index[consumer] = registrations.count
                registrations.append(ConsumerRegistration(consumer, deps: deps, after: after, logs: logs))
            case .begin:
                began = true
            case .crash:
                crashCount += 1
                // A crash before the first begin ends that opening: the next one registers again.
                if !began {
                    registrations = []
                    index = [:]
                }
            case let .end(consumer, ok, reason):
                ends[consumer] = event
                if !ok, reason == "timeout", event.node == RecoveryCore.frameworkNode { timedOut.insert(consumer) }
            default:
                break
            }
        }
        guard !registrations.isEmpty else {
            throw trace.refusal("the trace registers no consumer before its first begin: there is no graph to explore")
        }
        for (i, r) in registrations.enumerated() where timedOut.contains(r.name) { registrations[i].timeout = .seconds(1) }
        outcomes = registrations.map { r in
            guard let end = ends[r.name], case let .end(_, ok, reason) = end.kind, !ok else { return .ok }
            return reason == "timeout" && end.node == RecoveryCore.frameworkNode ? .timeout : .failed
        }
        var configuration = RecoverySimulation.Configuration(
            consumers: registrations.count, workers: max(1, workers), failures: registrations.count,
            crashes: crashCount + crashes, seed: 0)
        configuration.explicitRegistrations = RegistrationList(items: registrations)
        if let problem = configuration.problem { throw trace.refusal("the explorer cannot replay this graph: \(problem)") }
        start = RecoverySimulation(configuration, faults: faults)
        recordedCrashes = crashCount
        let on = SeededFault.allCases.filter { $0.system == RecoverySimulation.system && $0.isOn(in: faults) }
        settingsText = on.isEmpty ? "" : "faults=" + on.map(\.rawValue).joined(separator: "+")
        let failed = outcomes.filter { $0 != .ok }.count
        let shownWorkers = max(1, workers)
        summary = "\(registrations.count) consumer\(registrations.count == 1 ? "" : "s") on \(shownWorkers) "
            + "worker\(shownWorkers == 1 ? "" : "s"), "
            + "\(failed) failing or timing out, \(crashCount) crash\(crashCount == 1 ? "" : "es")"
        // The steps number consumers in registration order (and name their logs so): the key.
        if registrations.enumerated().contains(where: { !$1.name.exactlyEquals("c\($0)") }) {
            let shown = registrations.prefix(8).enumerated().map { "c\($0) = \($1.name)" }
            summary += "; steps number the consumers: " + shown.joined(separator: ", ")
                + (registrations.count > 8 ? ", ..." : "")
        }
    }

    /// `"caf\u{e9}"`: a name with every non-ASCII scalar spelled out, so two that print alike differ.
    static func escaped(_ name: String) -> String {
        "\"" + name.unicodeScalars.map { $0.isASCII ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined() + "\""
    }

    package func roles(of choices: [RecoverySimulation.Choice], in state: RecoverySimulation,
                      progress: Progress) -> [RecordedRole] {
        choices.map { choice in
            switch choice {
            case .crash: progress.crashesTaken < recordedCrashes ? .recordedCrash : .crash
            case let .end(c, ending): ending == outcomes[c] ? .recorded : .stray
            default: .recorded
            }
        }
    }

    package func advance(_ progress: inout Progress, taking choice: RecoverySimulation.Choice, role: RecordedRole,
                        after _: RecoverySimulation) {
        if role == .recordedCrash { progress.crashesTaken += 1 }
    }

    package func hash(_ progress: Progress, into hasher: inout StableHasher) {
        hasher.combine(progress.crashesTaken)
    }
}
