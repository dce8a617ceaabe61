import Specs
import Trace

extension MirrorSimulation {
    /// The verdict on the events so far: the first violation the mirror spec reports on them
    /// (the same spec `plumb check` runs, fed each event once by `monitor`; an input error of
    /// the trace is the violation `trace.input`), else the survivors' check.
    ///
    /// A prefix of a correct execution is a correct trace, so judging every prefix is sound:
    /// what the spec reports at the end of a prefix (a commit whose apply is missing) can no
    /// longer be mended by later events, since a later apply cannot happen-before an event
    /// already recorded.
    ///
    /// `mutating` only so that the monitor is passed by address: a non-mutating call into the
    /// generic monitor of another module copies it first (this copy and the fingerprint's were
    /// 8% of a mirror search).
    mutating func judge() -> ExplorationViolation? {
        switch monitor.verdict() {
        case .failure(let error):
            return ExplorationViolation(invariant: Self.traceInput, message: "\(error)", kind: .traceInvariant)
        case .success(let first?):
            return ExplorationViolation(invariant: first.invariant.rawValue, message: first.message, kind: .traceInvariant)
        case .success(nil):
            return survivorsCheck()
        }
    }

    /// The invariant name of a trace that is not valid input.
    package static let traceInput = "trace.input"

    /// After the takeover: the secondary's copy of the log, as it stood when it took over,
    /// holds every record the primary ever committed, with the key and data the client wrote
    /// (`mirror.no-loss` on the data itself, not only on the `apply` events). The spec's
    /// verdict comes first, so this can only fire if the core persisted something other than
    /// what its events say.
    func survivorsCheck() -> ExplorationViolation? {
        guard let held = persistedAtTakeover else { return nil }
        let copy = persisted.prefix(held)
        for lsn in commits {
            let kept = copy.contains {
                $0.lsn == lsn && $0.key == UInt64(lsn) && $0.payload == Self.payload(lsn: lsn)
            }
            if !kept {
                return ExplorationViolation(
                    invariant: "mirror.no-loss",
                    message: "lsn \(lsn) was committed, but the secondary's copy of the log at its "
                        + "takeover does not hold it with the data the client wrote",
                    kind: .explorerCheck)
            }
        }
        return nil
    }
}
