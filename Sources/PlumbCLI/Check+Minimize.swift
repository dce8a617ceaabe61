import Checker
import Foundation

// `plumb check --minimize OUT`.
extension Check {
    /// Writes to `out` the smallest trace that still breaks the first violation of `report`
    /// (read from `files`) with the same events, confirms it once with Z3, and says on standard
    /// error how many events it kept. A trace that does not fail, or cannot be minimized, gets
    /// no file, only a note saying why; the exit code stays the check's.
    func minimize(_ report: CheckReport, files: [String], to out: String) throws {
        func say(_ text: String) { FileHandle.standardError.write(Data("plumb check: \(text)\n".utf8)) }
        guard report.verdict == .fail, let invariant = report.violations.first?.invariant else {
            say("--minimize: nothing written to \(out): the trace does not fail (\(report.verdict.rawValue))")
            return
        }
        let result: TraceMinimizer.Result
        do {
            result = try TraceMinimizer(files: files, allowTruncated: truncated).minimize(invariant: invariant)
        } catch {
            say("--minimize: nothing written to \(out): \(error)")
            return
        }
        try OutputError.write(Data(result.bytes), to: out)
        let confirmation = TraceMinimizer.confirm(
            file: out, allowTruncated: truncated, timeout: .milliseconds(Int(timeout * 1000)))
        let confirmed = TraceMinimizer.confirms(confirmation, result)
        say("minimized to \(out): kept \(result.keptEvents) of \(result.originalEvents) events "
            + "(\(result.candidatesTried) candidates tried with the graph engine); it still breaks \(invariant)"
            + (confirmed ? " (confirmed by z3)" : "")
            + (result.complete ? "" : "; the search stopped at its time limit, so a smaller failing trace may exist"))
        // Events the search left out may be what kept other invariants (ones the original
        // trace did not break): say so, lest they read as the reason it was minimized.
        let others = Set(confirmation.violations.map(\.invariant.rawValue)).subtracting([invariant.rawValue])
            .subtracting(report.violations.map(\.invariant.rawValue)).subtracting(report.suppressed.keys.map(\.rawValue)).sorted()
        if !others.isEmpty {
            say("  it breaks \(others.joined(separator: ", ")) too: the search kept only what \(invariant) needs, "
                + "and the events it left out held \(others.count == 1 ? "that one" : "those")")
        }
        say("  check it: plumb check\(truncated ? " --truncated" : "") \(Self.shellQuoted(out))")
        if !confirmed {
            say("INTERNAL: the check with z3 of \(out) did not confirm \(invariant) (verdict \(confirmation.verdict.rawValue)); "
                + "please report this with the original trace")
        }
    }
}
