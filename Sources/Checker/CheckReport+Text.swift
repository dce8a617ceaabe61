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
        case .fail:
            // Those not shown (past the limit per invariant) count too.
            let total = violations.count + suppressed.values.reduce(0, +)
            out += "FAIL: \(what), \(total) violation\(total == 1 ? "" : "s")"
                + (total > violations.count ? " (\(violations.count) shown)" : "") + "\n"
        case .unknown: out += "INCONCLUSIVE: \(what), no violation found but some obligations are unproved\n"
        case .error: out += "ERROR: not a valid trace\n"
        }
        if !skippedPartialFiles.isEmpty { out += "  \(TraceInputs.skippedNote(skippedPartialFiles))\n" }
        if let error {
            out += "  \(error)\n"
            return out
        }
        for (index, v) in violations.enumerated() {
            out += "\nviolation of \(v.invariant): \(v.message)\n"
            if let decided = decision(index) { out += "  decided at \(describe(decided))   (where the trace stopped matching)\n" }
            for e in v.events { out += "  \(describe(e))\n" }
            if !v.counterexample.isEmpty {
                out += "  a happens-before order that breaks it, earliest first:"
                out += "\n"
                for e in v.counterexample { out += "    \(describe(e))\n" }
            }
        }
        for (invariant, count) in suppressed.sorted(by: { $0.key < $1.key }) {
            out += "\n... and \(count) more violation\(count == 1 ? "" : "s") of \(invariant) not shown\n"
        }
        for d in disagreements { out += "\nINTERNAL: engines disagree: \(d)\n" }
        if unprovedCount > 0 {
            out += "\n\(unprovedCount) obligation\(unprovedCount == 1 ? "" : "s") left unproved (the solver gave up within --timeout or --solver-rlimit)"
            out += unproved.isEmpty ? "\n" : ", the first \(unproved.count == 1 ? "one" : "\(unproved.count)"):\n"
            for u in unproved {
                out += u.events.isEmpty
                    ? "  \(u.invariant): its dependency graph is acyclic\n"
                    : "  \(u.invariant): \(u.events.map(describe).joined(separator: "  happens-before  "))\n"
            }
            out += "  rerun with a larger --timeout (seconds per solver query) or --solver-rlimit to prove \(unprovedCount == 1 ? "it" : "them")\n"
        }
        out += "\nproofs:\n"
        let width = proofs.map(\.invariant.rawValue.count).max() ?? 0
        var byInvariant: [Invariant: [Proof]] = [:]
        for p in proofs { byInvariant[p.invariant, default: []].append(p) }
        for invariant in proofs.map(\.invariant).uniqued() {
            let name = invariant.rawValue.padding(toLength: width, withPad: " ", startingAt: 0)
            let mine = byInvariant[invariant]!
            out += "  \(name)  \(proofLine(graph: mine.first { $0.engine == .graph }, z3: mine.first { $0.engine == .z3 }))\n"
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

    /// What the two engines found about one invariant, in words that cannot read as a
    /// disagreement when there is none. The graph engine decides (vector clocks, the spec's
    /// scans); Z3 then proves every obligation the graph engine found to hold (UNSAT of its
    /// negation) and, for an ordering violation, checks the counterexample order it found.
    func proofLine(graph: Proof?, z3: Proof?) -> String {
        let graphFound = graph?.result == .refuted
        var verdict: String
        if graphFound {
            verdict = "violated: graph engine found it"
        } else {
            verdict = "holds: graph engine found no violation"
        }
        guard let z3 else {
            let count = graph.map { " (\($0.obligations) obligation\($0.obligations == 1 ? "" : "s"))" } ?? ""
            return verdict + count + (graphFound ? "" : ", no Z3 query")
        }
        let figures = "(\(z3.obligations) obligation\(z3.obligations == 1 ? "" : "s"), \(format(z3.ms)) ms)"
        switch (graphFound, z3.result) {
        case (true, .refuted): verdict += ", z3 confirmed the counterexample"
        case (true, .proved): verdict += ", z3 proved the obligations that hold"
        case (true, .unknown): verdict += ", z3 left some obligations unproved"
        case (false, .proved): verdict = "holds: graph engine found no violation, z3 proved every obligation"
        case (false, .unknown): verdict = "unproved: graph engine found no violation, z3 gave up on some obligations"
        case (false, .refuted): verdict = "ENGINES DISAGREE: graph engine found no violation, z3 found one"
        }
        return verdict + " " + figures
    }

    private func describe(_ stamp: EventStamp) -> String {
        if stamp.name.isEmpty && stamp.location.file < 0 { return "\(stamp.id)" }
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
