import ArgumentParser
import Checker
import Foundation
import Trace

/// `plumb check`: the verdict on one trace (or each of several).
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check traces against the specifications and prove their invariants with Z3.",
        discussion: """
            All FILEs named, and the .jsonl and .jsonl.gz files directly inside each DIR named, \
            form one trace (one file per node, as captured on separate controllers, or one merged \
            file). With --each, every argument is checked as a trace of its own. A recording \
            still being written or cut short (NAME.partial, e.g. primary.jsonl.partial) in a DIR \
            is skipped, and the skip reported on stderr and in the report; name such a file to \
            check it (with --truncated if it was cut).

            Events wait in memory until the events that happen before them are read: as many as \
            the files' line order strays from happens-before. More than --max-pending of them \
            (default \(CausalOrder.defaultMaxPending), some 200 bytes each) stops the check with \
            exit 2, naming the file and line; raise the bound if the trace is right.

            Happens-before is the only order between nodes: event a is before event b when both \
            are on one node and a's seq is lower, or when a is named in b's "cause", or through a \
            chain of those. Line order and the "t" timestamps never order events of different \
            nodes. An invariant "X before Y" across nodes holds only if X reaches Y this way; \
            otherwise Plumb prints an order consistent with happens-before that breaks it.

            Every ordering obligation is answered by the graph engine (vector clocks) and proved \
            by Z3 (UNSAT of its negation); a query that times out leaves the verdict inconclusive.

            Exit codes:
              0  pass: every invariant holds, every obligation proved
              1  violation: at least one invariant is broken
              2  bad input or usage: not a valid trace (file and line are named)
              3  inconclusive: no violation, but some obligation stayed unproved
            With --each, the worst result wins (2, then 1, then 3, then 0).
            Stopped by SIGINT or SIGTERM: no verdict, no report, exit 130 (143 for SIGTERM).

            Examples:
              plumb check Traces/mirror/pass-basic.jsonl
              plumb check captures/primary.jsonl.gz captures/secondary.jsonl.gz
              plumb check --each --format junit nightly/ > plumb.xml
            """
    )

    /// The engines that can prove obligations.
    enum Engine: String, ExpressibleByArgument, CaseIterable {
        case z3, graph
    }

    @Argument(help: ArgumentHelp("Trace files, or directories of them.", valueName: "FILE|DIR"))
    var paths: [String] = []

    @Flag(help: "Check each argument as a trace of its own (a directory of captures).")
    var each = false

    @Flag(help: "Accept captures whose tails were cut off: causes naming seqs past a node's last event are dropped and counted.")
    var truncated = false

    @Option(help: "Prove with z3 (the engine of record) or trust the graph engine alone.")
    var engine: Engine = .z3

    @Option(help: "Seconds one solver query may take before its obligations count as unproved (0.001...\(Int(Check.maxTimeout))).")
    var timeout: Double = 30

    @Option(help: ArgumentHelp("Obligations per solver query (1...\(Check.maxWindow)).", visibility: .hidden))
    var window = 4096

    @Option(help: ArgumentHelp("The most events that may wait in memory for the events that happen before them; more stops the check (exit 2).", valueName: "EVENTS"))
    var maxPending = CausalOrder.defaultMaxPending

    @OptionGroup var output: OutputOptions

    /// The longest --timeout: a day per query (Z3 takes its timeout as 32-bit milliseconds).
    static let maxTimeout = 86_400.0
    /// The most obligations one query takes.
    static let maxWindow = 1 << 20

    /// Needs a path; --timeout and --window in range (see `OptionRange`).
    func validate() throws {
        if paths.isEmpty { throw ValidationError("Name at least one trace file or directory.") }
        try OptionRange.check("--timeout", timeout, OptionRange.minSeconds...Self.maxTimeout, "seconds")
        try OptionRange.check("--window", window, 1...Self.maxWindow)
        try OptionRange.check("--max-pending", maxPending, 1...Int.max)
    }

    func run() async throws {
        var options = Checker.Options()
        options.useSolver = engine == .z3
        options.allowTruncated = truncated
        options.solverTimeout = .milliseconds(Int(timeout * 1000))
        options.window = window
        options.maxPending = maxPending
        // SIGINT or SIGTERM cancels the check (its Z3 queries included); nothing is printed then.
        let cancellation = CheckCancellation()
        options.cancellation = cancellation
        let checker = Checker(options: options)

        var reports: [(name: String, report: CheckReport)] = []
        let groups = each ? paths.map { [$0] } : [paths]
        Interrupts.shared.stopping(with: { cancellation.cancel() }) {
            for group in groups where !cancellation.isCancelled {
                let name = group.joined(separator: " ")
                do throws(TraceInputError) {
                    let selection = try TraceInputs.select(group)
                    if !selection.skippedPartial.isEmpty {
                        FileHandle.standardError.write(Data("plumb check: \(TraceInputs.skippedNote(selection.skippedPartial))\n".utf8))
                    }
                    var report = checker.check(files: selection.files)
                    report.skippedPartialFiles = selection.skippedPartial
                    reports.append((name, report))
                } catch {
                    reports.append((name, .inputError(error, files: group)))
                }
            }
        }
        if cancellation.isCancelled || reports.contains(where: \.report.interrupted) { throw Interrupts.Interrupted() }
        print(render(reports), terminator: "")
        let worst = reports.map(\.report.verdict).max() ?? .pass
        if worst != .pass && worst != .error && output.format == .text {
            let flags = (truncated ? " --truncated" : "") + (engine == .graph ? " --engine graph" : "")
            FileHandle.standardError.write(Data("reproduce: plumb check\(flags) \(paths.joined(separator: " "))\n".utf8))
        }
        if worst != .pass { throw ExitCode(worst.exitCode) }
    }

    private func render(_ reports: [(name: String, report: CheckReport)]) -> String {
        switch output.format {
        case .text:
            if reports.count == 1 { return reports[0].report.text }
            return reports.map { "== \($0.name)\n\($0.report.text)" }.joined(separator: "\n")
        case .json:
            if reports.count == 1 { return CheckReport.serialize(reports[0].report.jsonObject) + "\n" }
            let worst = reports.map(\.report.verdict).max() ?? .pass
            let traces = reports.map { entry -> [String: Any] in
                var o = entry.report.jsonObject
                o["name"] = entry.name
                return o
            }
            // The top level carries the same keys as a single report, gathered from each trace.
            let object: [String: Any] = [
                "verdict": worst.rawValue,
                "violations": traces.flatMap { $0["violations"] as? [Any] ?? [] },
                "proofs": traces.flatMap { $0["proofs"] as? [Any] ?? [] },
                "error": traces.first { !($0["error"] is NSNull) }?["error"] ?? NSNull(),
                "skipped_partial_files": reports.flatMap(\.report.skippedPartialFiles),
                "traces": traces,
            ]
            return CheckReport.serialize(object) + "\n"
        case .junit:
            return CheckReport.junitDocument(reports.map { $0.report.junitSuite(name: $0.name) })
        }
    }
}
