import Specs
import Trace

extension CheckReport {
    /// The report for people: the verdict, each violation with its events and where they are,
    /// each invariant's proofs, and a summary line.
    public var text: String {
        var out = ""
        let what = system.map { "\($0.rawValue) trace" } ?? "trace"
        switch verdict {
        case .pass: out += "PASS: \(what), every invariant holds and every obligation is proved\n"
        case .fail: out += "FAIL: \(what), \(violations.count) violation\(violations.count == 1 ? "" : "s")\n"
        case .unknown: out += "INCONCLUSIVE: \(what), no violation found but some obligations are unproved\n"
        case .error: out += "ERROR: not a valid trace\n"
        }
        if !skippedPartialFiles.isEmpty { out += "  \(TraceInputs.skippedNote(skippedPartialFiles))\n" }
        if let error {
            out += "  \(error)\n"
            return out
        }
        for v in violations {
            out += "\nviolation of \(v.invariant): \(v.message)\n"
            for e in v.events { out += "  \(describe(e))\n" }
            if !v.counterexample.isEmpty {
                out += "  a happens-before order that breaks it: "
                out += v.counterexample.map { $0.name.isEmpty ? "\($0.id)" : "\($0.name) \($0.id)" }.joined(separator: " < ")
                out += "\n"
            }
        }
        for (invariant, count) in suppressed.sorted(by: { $0.key < $1.key }) {
            out += "\n... and \(count) more violation\(count == 1 ? "" : "s") of \(invariant) not shown\n"
        }
        for d in disagreements { out += "\nINTERNAL: engines disagree: \(d)\n" }
        out += "\nproofs:\n"
        let width = proofs.map(\.invariant.rawValue.count).max() ?? 0
        var byInvariant: [Invariant: [Proof]] = [:]
        for p in proofs { byInvariant[p.invariant, default: []].append(p) }
        for invariant in proofs.map(\.invariant).uniqued() {
            let name = invariant.rawValue.padding(toLength: width, withPad: " ", startingAt: 0)
            let parts = byInvariant[invariant]!.map { p in
                p.engine == .z3
                    ? "z3 \(p.result.rawValue) (\(p.obligations) obligation\(p.obligations == 1 ? "" : "s"), \(format(p.ms)) ms)"
                    : "graph \(p.result.rawValue)"
            }
            out += "  \(name)  \(parts.joined(separator: ", "))\n"
        }
        out += "\n\(stats.events) events, \(stats.nodes) node\(stats.nodes == 1 ? "" : "s"), \(files.count) file\(files.count == 1 ? "" : "s"); "
        out += "happens-before window \(stats.peakPending) events; \(format(stats.ms)) ms"
        if stats.droppedTruncatedLines > 0 {
            out += "; \(stats.droppedTruncatedLines) last line\(stats.droppedTruncatedLines == 1 ? "" : "s") cut mid-write dropped"
        }
        if stats.droppedTruncatedCauses > 0 {
            out += "; \(stats.droppedTruncatedCauses) cause\(stats.droppedTruncatedCauses == 1 ? "" : "s") past a truncated tail dropped"
        }
        out += "\n"
        return out
    }

    private func describe(_ stamp: EventStamp) -> String {
        var s = "\(stamp.name) \(stamp.id)"
        if stamp.location.file >= 0 && stamp.location.file < files.count {
            s += "  at \(files[stamp.location.file]):\(stamp.location.line)"
        }
        return s
    }

    private func format(_ ms: Double) -> String {
        let rounded = (ms * 10).rounded() / 10
        return "\(rounded)"
    }
}

extension Sequence where Element: Hashable {
    /// The elements in order, each once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
