import ArgumentParser
import Checker
import Foundation
import Trace

/// `plumb check`: the verdict on one trace (or each of several).
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
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
            Stopped by SIGINT, SIGTERM or SIGHUP: no verdict, no report, exit 130 (143 for \
            SIGTERM, 129 for SIGHUP). A signal that comes while the report (and --html) is being \
            written lets it finish whole, then exits so; one during --minimize's search stops it \
            with no OUT written.

            FILE "-" is standard input, read as one trace file (plain or gzip) named <stdin>. \
            It and pipes (<(zcat a.gz), a FIFO) are copied to a temporary file first, since a \
            check may read its input twice.

            Each violation says where it was decided: the event after which it was certain \
            (decided_at in JSON). --html FILE also writes a self-contained page: a lane per \
            node, cause arrows, the violation's events highlighted and its counterexample as \
            steps to go through. --minimize OUT also writes the smallest trace that still breaks \
            the first violation's invariant with the same events (whole events removed, causes \
            kept, lines copied as written; checked once with Z3), and says how many it kept.

            A long check shows its progress on standard error: on a terminal one line rewritten \
            (text format only), off one a line every 10 s.

            Examples:
              plumb check Traces/mirror/pass-basic-one-stream.jsonl
              plumb check Traces/mirror/fail-commit-ahead-of-its-ack.jsonl
              plumb record mirror --records 10000 --out /tmp/run1
              plumb check /tmp/run1
              plumb check --each --format junit Traces/mirror/pass-*.jsonl > plumb.xml
              gzip -c Traces/driver/pass-crash-recovered-online.jsonl | plumb check -
              plumb check --html report.html \\
                  Traces/mirror/fail-commit-ahead-of-its-ack.jsonl
            """
    )

    /// The engines that can prove obligations.
    enum Engine: String, ExpressibleByArgument, CaseIterable {
        case z3, graph
    }

    @Argument(help: ArgumentHelp("Trace files, or directories of them; - is standard input.", valueName: "FILE|DIR"))
    var paths: [String] = []

    @Flag(help: "Check each argument as a trace of its own (a directory of captures).")
    var each = false

    @Flag(help: "Accept captures whose tails were cut off: causes naming seqs past a node's last event are dropped and counted.")
    var truncated = false

    @Option(help: "Prove with z3 (the engine of record) or trust the graph engine alone.")
    var engine: Engine = .z3

    @Option(help: "Seconds one solver query may take before its obligations count as unproved (0.001...\(Int(Check.maxTimeout))).")
    var timeout: Double = Check.defaultTimeout

    @Option(help: ArgumentHelp("Obligations per solver query (1...\(Check.maxWindow)).", visibility: .hidden))
    var window = Check.defaultWindow

    @Option(help: ArgumentHelp("The most events that may wait in memory for the events that happen before them; more stops the check (exit 2).", valueName: "EVENTS"))
    var maxPending = CausalOrder.defaultMaxPending

    @Flag(help: "Parse each trace file on a thread of its own, ahead of the check: less wall time when a core is free, more CPU time (the graph engine took 0.68x the wall time for 1.06x the CPU on two cores). By default the checking thread parses the files.")
    var parallelRead = false

    @OptionGroup var output: OutputOptions

    @OptionGroup var html: HTMLOutput

    @Option(help: ArgumentHelp(
        "Also write the smallest trace that still fails with the first violation's invariant (delta debugging over "
            + "events; seqs, causes and lines kept as they are), and say how many events it kept.",
        valueName: "OUT"))
    var minimize: String?

    /// Off a terminal, the seconds between two progress lines on standard error (tests set it
    /// short; not shown in the help).
    @Option(help: ArgumentHelp(visibility: .private))
    var progressInterval: Double = ExploreProgressLine.defaultInterval.seconds

    /// Z3's deterministic work bound per query.
    @Option(name: .customLong("solver-rlimit"), help: ArgumentHelp(
        "Z3's work bound per solver query (its rlimit, 1...4294967295): like --timeout, its obligations "
            + "count as unproved past it, but the same on every machine and load, so an inconclusive run "
            + "reproduces exactly.", valueName: "N"))
    var solverResourceLimit: Int?

    /// --timeout when not given, in seconds.
    static let defaultTimeout = 30.0
    /// --window when not given.
    static let defaultWindow = 4096
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
        if let solverResourceLimit { try OptionRange.check("--solver-rlimit", solverResourceLimit, 1...Int(UInt32.max)) }
        try OptionRange.seconds("--progress-interval", progressInterval)
        if let minimize {
            try OutputError.validateFile(minimize)
            // A .gz name would be read back as gzip (TRACE-FORMAT.md, "Files"), and OUT is plain text.
            if minimize.hasSuffix(".gz") {
                throw ValidationError("--minimize writes plain JSON Lines: name OUT without .gz (a .gz file is read as gzip)")
            }
        }
        for (flag, out) in [("--html", html.path), ("--minimize", minimize)] {
            if let out, let input = OutputError.inputFile(named: out, among: paths) {
                throw ValidationError("\(flag) \(out) is \(input == out ? "" : "the same file as \(input), ")one of the trace's files: "
                    + "writing it would overwrite the trace. Name another file.")
            }
            if let out, let folder = OutputError.inputFolder(holding: out, among: paths) {
                throw ValidationError("\(flag) \(out) is inside \(folder), a folder the trace is read from: the same "
                    + "check run again would read it as part of the trace. Name a file outside \(folder).")
            }
        }
        try OutputError.refuseSameFile([("--html", html.path), ("--minimize", minimize)])
        if engine == .graph {
            if solverResourceLimit != nil {
                throw ValidationError("--solver-rlimit bounds Z3's queries, and --engine graph makes none: drop one of them.")
            }
            if timeout != Self.defaultTimeout && minimize == nil {
                throw ValidationError("--timeout bounds Z3's queries, and --engine graph makes none (only --minimize "
                    + "confirms its trace with Z3): drop one of them.")
            }
        }
        if each && paths.count > 1 {
            if html.path != nil { throw ValidationError("--html draws one trace: name one trace, without --each") }
            if minimize != nil { throw ValidationError("--minimize shrinks one trace: name one trace, without --each") }
        }
    }

    func run() async throws {
        var options = Checker.Options()
        options.useSolver = engine == .z3
        options.allowTruncated = truncated
        options.solverTimeout = .milliseconds(Int(timeout * 1000))
        options.solverResourceLimit = solverResourceLimit
        options.window = window
        options.maxPending = maxPending
        options.parallelRead = parallelRead
        // SIGINT or SIGTERM cancels the check (its Z3 queries included); nothing is printed then.
        let cancellation = CheckCancellation()
        options.cancellation = cancellation
        // A line on standard error while a long check runs (see `CheckProgressLine`).
        let onTerminal = isatty(2) == 1
        let progress = onTerminal && output.format != .text ? nil : CheckProgressLine(
            onTerminal: onTerminal, interval: .milliseconds(Int64(progressInterval * 1000)))
        options.progress = progress.map { line in { @Sendable done in line.show(done) } }
        let checker = Checker(options: options)

        var reports: [(name: String, report: CheckReport)] = []
        // The files each report was read from (standard input and pipes as temporary copies).
        var readFiles: [[String]] = []
        let copies = CheckInputCopies()
        defer { copies.remove() }
        // Standard input first, before any other input is read.
        if paths.contains(Self.standardInput) { _ = try copies.readable([Self.standardInput]) }
        let groups = each ? paths.map { [$0] } : [paths]
        try Interrupts.shared.stopping(with: { cancellation.cancel() }) {
            for group in groups where !cancellation.isCancelled {
                let name = group.joined(separator: " ")
                let inputs = try copies.readable(group)
                do throws(TraceInputError) {
                    var selection = try TraceInputs.select(inputs)
                    if !selection.skippedPartial.isEmpty {
                        FileHandle.standardError.write(Data("plumb check: \(TraceInputs.skippedNote(selection.skippedPartial))\n".utf8))
                    }
                    // Pipes inside a directory named are copied too.
                    selection.files = (try? copies.readable(selection.files)) ?? selection.files
                    progress?.begin(totalBytes: CheckProgressLine.totalBytes(selection.files))
                    var report = checker.check(files: selection.files)
                    report.skippedPartialFiles = selection.skippedPartial
                    reports.append((name, copies.rename(report)))
                    readFiles.append(selection.files)
                } catch {
                    let report = CheckReport.inputError(error, files: inputs)
                    reports.append((name, copies.rename(report)))
                    readFiles.append(inputs)
                }
            }
        }
        progress?.finish()
        if cancellation.isCancelled || reports.contains(where: \.report.interrupted) { throw Interrupts.Interrupted() }
        // The report and the page are written whole: a signal now ends the run after them.
        try Interrupts.shared.writingReport {
            print(render(reports), terminator: "")
            if let error = Plumb.standardOutputError(justPrinted: true) { throw error }
            if let page = html.path, let first = reports.first {
                try HTMLOutput.write(first.report, to: page, readFrom: readFiles[0]) { html in
                    html.allowTruncated = truncated
                    html.context = [reproduceCommand()]
                }
                FileHandle.standardError.write(Data("plumb check: HTML report written to \(page)\n".utf8))
            }
        }
        if let out = minimize, let first = reports.first {
            try minimize(first.report, files: readFiles[0], to: out)
        }
        let verdicts = reports.map(\.report.verdict)
        let worst = verdicts.max() ?? .pass
        if output.format == .text && (verdicts.contains(.fail) || verdicts.contains(.unknown)) {
            let stdin = paths.contains(Self.standardInput) ? "   (with the same standard input)" : ""
            FileHandle.standardError.write(Data(Self.visible("reproduce: \(reproduceCommand())\(stdin)\n").utf8))
            if verdicts.contains(.unknown) && engine == .z3 {
                if let limit = solverResourceLimit {
                    let larger = min(Int(UInt32.max), limit * 4)
                    FileHandle.standardError.write(Data(Self.visible("retry with a larger bound: \(reproduceCommand(resourceLimit: larger))\(stdin)\n").utf8))
                } else {
                    let longer = min(Self.maxTimeout, timeout * 4)
                    FileHandle.standardError.write(Data(Self.visible("retry with a longer timeout: \(reproduceCommand(timeout: longer))\(stdin)\n").utf8))
                }
            }
        }
        if worst != .pass { throw ExitCode(worst.exitCode) }
    }

    /// The argument that names standard input.
    static let standardInput = "-"

    /// The command line that runs this same check: every flag that can change a verdict
    /// (--each, --truncated, --engine, --timeout, --solver-rlimit, --window, --max-pending) when
    /// not at its default (the solver's bounds only with z3), then the paths, quoted for a POSIX shell where they need it.
    /// `timeout` and `resourceLimit` replace those options' values.
    func reproduceCommand(timeout newTimeout: Double? = nil, resourceLimit newLimit: Int? = nil) -> String {
        var words = ["plumb", "check"]
        if each { words.append("--each") }
        if truncated { words.append("--truncated") }
        if engine != .z3 { words += ["--engine", engine.rawValue] }
        // The graph engine asks no solver: its verdict does not depend on the solver's bounds.
        let seconds = newTimeout ?? timeout
        if seconds != Self.defaultTimeout && engine == .z3 { words += ["--timeout", Self.formatSeconds(seconds)] }
        if let limit = newLimit ?? solverResourceLimit, engine == .z3 { words += ["--solver-rlimit", "\(limit)"] }
        if window != Self.defaultWindow { words += ["--window", "\(window)"] }
        if maxPending != CausalOrder.defaultMaxPending { words += ["--max-pending", "\(maxPending)"] }
        if paths.contains(where: { $0.hasPrefix("-") && $0 != Self.standardInput }) { words.append("--") }
        return (words + paths.map(Self.shellQuoted)).joined(separator: " ")
    }

    /// `30`, `0.5`, `120`: seconds as typed, without a trailing `.0`.
    static func formatSeconds(_ seconds: Double) -> String {
        seconds == seconds.rounded() && seconds < 1e15 ? "\(Int(seconds))" : "\(seconds)"
    }

    /// `word` as a POSIX shell reads it back: as is when it is plain, else in single quotes.
    static func shellQuoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) && $0.isASCII || "-_./,:=+@%".unicodeScalars.contains($0)
        }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// `text` with the control characters a trace's names may carry (an escape sequence, say)
    /// written as their JSON escapes (`\u001b`), so that printing a report cannot drive the
    /// terminal; line ends and tabs stay.
    static func visible(_ text: String) -> String {
        func hidden(_ c: Unicode.Scalar) -> Bool {
            (c.value < 0x20 && c != "\n" && c != "\t") || (0x7F ... 0x9F).contains(c.value)
        }
        guard text.unicodeScalars.contains(where: hidden) else { return text }
        var out = String.UnicodeScalarView()
        for c in text.unicodeScalars {
            if hidden(c) {
                out.append(contentsOf: c.jsonEscape.unicodeScalars)
            } else {
                out.append(c)
            }
        }
        return String(out)
    }

    /// "4 traces: 1 passed, 2 failed, 0 errored, 1 inconclusive": the last line of `--each`.
    static func tally(_ verdicts: [CheckReport.Verdict]) -> String {
        func count(_ v: CheckReport.Verdict) -> Int { verdicts.filter { $0 == v }.count }
        return "\(verdicts.count) trace\(verdicts.count == 1 ? "" : "s"): \(count(.pass)) passed, \(count(.fail)) failed, "
            + "\(count(.error)) errored, \(count(.unknown)) inconclusive"
    }

    private func render(_ reports: [(name: String, report: CheckReport)]) -> String {
        switch output.format {
        case .text:
            if reports.count == 1 && !each { return Self.visible(reports[0].report.text) }
            return Self.visible(reports.map { "== \($0.name)\n\($0.report.text)" }.joined(separator: "\n")
                + "\n\(Self.tally(reports.map(\.report.verdict)))\n")
        case .json:
            if reports.count == 1 && !each { return reports[0].report.json + "\n" }
            return CheckReport.encode(CheckEachJSON(reports, tally: Self.tally(reports.map(\.report.verdict)))) + "\n"
        case .junit:
            return CheckReport.junitDocument(reports.map { $0.report.junitSuite(name: $0.name) })
        }
    }
}
