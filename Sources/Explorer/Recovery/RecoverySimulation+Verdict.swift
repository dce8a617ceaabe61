import Recovery
import Specs
import Trace

extension RecoverySimulation {
    /// The invariant of a walk that can no longer move: checked by the explorer only, since a
    /// trace may legally stop anywhere (`plumb check` passes such a trace).
    package static let stuckInvariant = "recovery.stuck"

    /// The first violation of the trace so far, as `plumb check` would judge it (the `recovery`
    /// spec, end-of-trace rules included; an invalid trace is `trace.input`); else a run that
    /// is walking while no consumer can ever move again (`recovery.stuck`).
    package func violation() -> ExplorationViolation? {
        if let verdict { return verdict }
        if core.phase == .walking, consumerChoices().isEmpty {
            let running = programs.indices.filter { if case .running = programs[$0] { true } else { false } }
            return ExplorationViolation(
                invariant: Self.stuckInvariant,
                message: "run \(core.run) is not done, but no consumer can move: "
                    + (running.isEmpty ? "none is running" : "running and waiting: "
                        + running.map { "c\($0)" }.joined(separator: ", ")),
                kind: .explorerCheck)
        }
        return nil
    }

    /// The `recovery` spec's first violation on the events so far (fed each event once by
    /// `monitor`, end-of-trace rules included; an invalid trace is `trace.input`).
    /// `mutating` only so that the monitor is passed by address (see `MirrorSimulation.judge`).
    mutating func judge() -> ExplorationViolation? {
        switch monitor.verdict() {
        case .failure(let error):
            return ExplorationViolation(invariant: "trace.input", message: "\(error)", kind: .traceInvariant)
        case .success(let first?):
            return ExplorationViolation(invariant: first.invariant.rawValue, message: first.message, kind: .traceInvariant)
        case .success(nil):
            return nil
        }
    }

    /// Whether `a` and `b` commute. Only choices of two different consumers may, and only when
    /// neither touches the framework's order or the other's log requests:
    /// - a `tag` records on its own worker and releases nothing: it commutes with any other
    ///   consumer's choice;
    /// - a `process` records on its own worker (or waits), and is granted by whether the
    ///   consumers in its `logs` released the log: it commutes with another `process`, and with
    ///   an `untag` or `end` of a consumer not in its `logs`.
    /// Ends record on the framework (`observe`, and what they start or skip), and untags may
    /// grant other consumers' requests, so ends and untags are dependent on each other; a
    /// crash is dependent on everything.
    package func independent(_ a: Choice, _ b: Choice) -> Bool {
        guard let ca = a.consumer, let cb = b.consumer, ca != cb else { return false }
        switch (a, b) {
        case (.tag, _), (_, .tag):
            return true
        case (.process, .process):
            return true
        case let (.process(d, _), .untag(e)), let (.untag(e), .process(d, _)),
            let (.process(d, _), .end(e, _)), let (.end(e, _), .process(d, _)):
            return !registrations[d].logs.contains(registrations[e].name)
        default:
            return false
        }
    }

    /// The actor a choice belongs to: 0 for the framework's crash, `c + 1` for consumer `c`.
    package func lane(of choice: Choice) -> Int {
        choice.consumer.map { $0 + 1 } ?? 0
    }
}
