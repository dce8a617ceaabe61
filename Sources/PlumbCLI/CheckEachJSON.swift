import Checker

/// `plumb check --each --format json`: the keys of a single report gathered over every trace
/// (the worst verdict, all violations and proofs, the first error), a tally, and each trace's
/// own report with its `name`.
struct CheckEachJSON: Encodable {
    /// One trace's report, with the name it was given on the command line.
    struct Named: Encodable {
        var name: String
        var report: CheckReport.JSON

        enum CodingKeys: String, CodingKey { case name }

        func encode(to encoder: any Encoder) throws {
            try report.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
        }
    }

    var verdict: String
    var violations: [CheckReport.ViolationJSON]
    var proofs: [CheckReport.ProofJSON]
    var error: OrNull<CheckReport.ErrorJSON>
    var skippedPartialFiles: [String]
    var tally: String
    var traces: [Named]

    init(_ reports: [(name: String, report: CheckReport)], tally: String) {
        let traces = reports.map { Named(name: $0.name, report: CheckReport.JSON($0.report)) }
        verdict = (reports.map(\.report.verdict).max() ?? .pass).rawValue
        violations = traces.flatMap(\.report.violations)
        proofs = traces.flatMap(\.report.proofs)
        error = OrNull(traces.lazy.compactMap(\.report.error.value).first)
        skippedPartialFiles = reports.flatMap(\.report.skippedPartialFiles)
        self.tally = tally
        self.traces = traces
    }

    enum CodingKeys: String, CodingKey {
        case verdict, violations, proofs, error, tally, traces
        case skippedPartialFiles = "skipped_partial_files"
    }

}
