import ArgumentParser
import Explorer
import Foundation

/// Runs one exploration for `plumb explore`: progress on a terminal, counterexample traces and
/// replay tokens, the report as text or JSON, and the exit code.
struct ExploreRunner {
    let options: ExploreOptions

    /// One counterexample as printed: its violation, trace file, token and steps.
    struct Found: Codable {
        var invariant: String
        var message: String
        /// `traceInvariant` (`plumb check` rejects the trace) or `explorerCheck` (only the replay shows it).
        var kind: ExplorationViolation.Kind
        var trace: String
        var token: String
        var steps: [String]
        var shrunkFrom: Int?
        /// How many of the counterexamples found broke the same invariant along the same
        /// shrunk path (`CounterexampleGroup`); nil in reports of older builds.
        var count: Int?
    }

    /// What an exploration's power losses cost, for systems that say (the driver):
    /// `CrashStatesReport`.
    typealias CrashStatesSection = (ExplorationReport) -> CrashStatesReport

    /// The JSON report (`plumb explore merge` reads it back).
    struct JSONReport: Codable {
        /// The report format's version; `merge` refuses others.
        var schemaVersion = JSONReport.currentSchema
        /// 32 bits of the start state's fingerprint: reports of builds with another model of
        /// the system differ here, and `merge` refuses to join them.
        var modelStamp: UInt32
        var system: String
        var configuration: String
        var strategy: String
        /// What decides how the search tree splits into shards besides the strategy (state
        /// caching, partial-order reduction, the depth bound): `merge` refuses shards that differ
        /// here, since their parts would not cover one tree. Absent in older reports.
        var search: String?
        var shard: String
        var verdict: String
        var exhaustive: Bool
        var states: Int
        var executions: Int
        var transitions: Int
        var maxDepth: Int
        var depthCuts: Int
        var budgetExhausted: Bool
        var elapsedSeconds: Double
        var statesPerSecond: Double
        var executionsPerSecond: Double
        /// Memory of the visited set per state stored.
        var bytesPerState: Double
        /// The chance that a fingerprint collision hid a state (see `ExplorationReport`).
        var omissionProbability: Double
        var violations: [Found]
        /// The driver's crash states (`crash_states`): crash points, recovery runs lazy and
        /// eager, Z3's answers; absent for other systems.
        var crashStates: CrashStatesReport?
        /// With `--from`: the trace, the window and the crash points covered (`from`); absent
        /// otherwise.
        var from: FromReport?

        /// The schema this build writes.
        static let currentSchema = 1
    }

    /// `caching on, reduction off, depth 40`: the options besides the strategy that shape the
    /// search tree (and so its shards), as in effect for the system explored.
    static func searchText(_ options: ExplorationOptions) -> String {
        "caching \(options.stateCaching ? "on" : "off"), reduction \(options.partialOrderReduction ? "on" : "off"), "
            + "depth \(options.depthBound.map(String.init) ?? "unbounded")"
    }

    /// Explores from `start` and returns the exit code to throw; `crashStates` makes the
    /// report's crash-state section from the finished exploration.
    /// With `--from`, `from` makes the report's `from` section (crash points covered).
    func explore<S: ExplorationTarget>(_ start: S, crashStates: CrashStatesSection? = nil,
                                       from: ((ExplorationReport) -> FromReport)? = nil) -> ExitCode {
        // On a terminal a line rewritten in place (text reports only); off one, a line every
        // --progress-interval seconds (10), so that a long run in CI is not silent.
        let onTerminal = isatty(2) == 1
        let exploration = Exploration(start: start.withoutTrace(), options: options.exploration.suited(to: S.self))
        let line = onTerminal && options.format != .text ? nil : ExploreProgressLine(
            system: S.system, onTerminal: onTerminal,
            interval: .milliseconds(Int64(options.progressInterval * 1000)))
        let progress = line.map { line in { @Sendable (p: ExplorationProgress) in line.show(p) } }
        // SIGINT or SIGTERM stops the search; what it covered goes to standard error then.
        let cancellation = ExplorationCancellation()
        var report = Interrupts.shared.stopping(with: { cancellation.cancel() }) {
            exploration.run(progress: progress, cancellation: cancellation)
        }
        line?.finish()
        if report.interrupted {
            printInterrupted(report, system: S.system, start: start, from: from?(report), stage: report.interruptedWhileShrinking
                ? "while its counterexamples were shortened (the search had finished); not shortened"
                : "no verdict, the search was not finished")
            return ExitCode(128 + (Interrupts.shared.signal ?? SIGINT))
        }
        let crashSection = crashStates?(report)
        let fromSection = from?(report)
        // A read that got a sample of its contents leaves crash states unexplored.
        if (crashSection?.sampledReads ?? 0) > 0 { report.exhaustive = false }

        var found: [Found] = []
        // The first counterexample trace that could not be written: the report is still
        // printed (its tokens replay every counterexample), then the exit code is 2.
        var unwritten: OutputError?
        var extras = ExploreExtras(html: options.html.path, minimize: options.minimize)
        // A signal while the counterexamples are written stops after the one being written,
        // then says what was covered and found (every token), as during the search.
        let stopWriting = ExplorationCancellation()
        let registration = Interrupts.shared.register { stopWriting.cancel() }
        defer { Interrupts.shared.unregister(registration) }
        // Counterexamples with the same invariant and shrunk path are one, with a count.
        for group in CounterexampleGroup.grouping(report.counterexamples) {
            if stopWriting.isCancelled {
                printInterrupted(report, system: S.system, start: start, from: fromSection,
                                 stage: "while its counterexamples were written (the search had finished; "
                                    + "written so far: \(found.filter { !$0.trace.isEmpty }.map(\.trace).joined(separator: ", ")))")
                return ExitCode(128 + (Interrupts.shared.signal ?? SIGINT))
            }
            let example = group.counterexample
            let token = example.token(system: S.system, configuration: start.configurationText, start: start).encoded
            var file = ""
            if let outcome = try? replay(start, path: example.path) {
                do {
                    file = try ExploreRunner.writeNew(outcome.state.encodedTrace(), in: options.out,
                                                      stem: example.violation.invariant)
                    extras.process(path: file, invariant: example.violation.invariant,
                                   message: example.violation.message, steps: example.steps)
                } catch let error as OutputError {
                    unwritten = unwritten ?? error
                } catch {}
            }
            found.append(Found(
                invariant: example.violation.invariant, message: example.violation.message,
                kind: example.violation.kind, trace: file,
                token: token, steps: example.steps, shrunkFrom: example.originalLength, count: group.count))
        }
        // A signal during the last one written: no report with a verdict either.
        if stopWriting.isCancelled {
            printInterrupted(report, system: S.system, start: start, from: fromSection,
                             stage: "while its counterexamples were written (the search had finished; "
                                + "written: \(found.filter { !$0.trace.isEmpty }.map(\.trace).joined(separator: ", ")))")
            return ExitCode(128 + (Interrupts.shared.signal ?? SIGINT))
        }
        if let page = options.html.path, report.counterexamples.isEmpty {
            FileHandle.standardError.write(Data(("plumb explore: --html: nothing written to \(page): the page draws a "
                + "counterexample, and the exploration found none\n").utf8))
        }

        let seconds = report.elapsed.seconds
        switch options.format {
        case .json:
            let json = JSONReport(
                modelStamp: ReplayToken.model(of: start), system: S.system, configuration: start.configurationText,
                strategy: report.options.strategy.description, search: Self.searchText(report.options),
                shard: report.options.shard.description,
                verdict: report.verdict.rawValue, exhaustive: report.exhaustive, states: report.states,
                executions: report.executions, transitions: report.transitions, maxDepth: report.maxDepth,
                depthCuts: report.depthCuts, budgetExhausted: report.budgetExhausted, elapsedSeconds: seconds,
                statesPerSecond: seconds > 0 ? Double(report.states) / seconds : 0,
                executionsPerSecond: seconds > 0 ? Double(report.executions) / seconds : 0,
                bytesPerState: report.bytesPerState, omissionProbability: report.omissionProbability,
                violations: found, crashStates: crashSection, from: fromSection)
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: (try? encoder.encode(json)) ?? Data(), as: UTF8.self))
            if let note = Self.shardNote(report.options) { FileHandle.standardError.write(Data("plumb: \(note)\n".utf8)) }
        case .text:
            printText(report, found: found, system: S.system, configuration: start.configurationText,
                      crashStates: crashSection, from: fromSection)
        }
        if let unwritten {
            FileHandle.standardError.write(Data("plumb: \(unwritten)\n".utf8))
            return ExitCode(OutputError.exitCode)
        }
        return report.verdict == ExplorationReport.Verdict.violation ? ExitCode(1) : ExitCode.success
    }

    func printText(_ report: ExplorationReport, found: [Found], system: String, configuration: String,
                   crashStates: CrashStatesReport? = nil, from: FromReport? = nil) {
        let seconds = report.elapsed.seconds
        print("explore \(system) [\(configuration)] strategy \(report.options.strategy), shard \(report.options.shard)")
        if let note = Self.shardNote(report.options) { print(note) }
        print("verdict: \(report.verdict == .pass ? "pass" : "VIOLATION")   exhaustive: \(report.exhaustive)")
        print(String(format: "states: %d   executions: %d   transitions: %d   max depth: %d   %.2f s (%.0f states/s, %.0f executions/s)",
                     report.states, report.executions, report.transitions, report.maxDepth, seconds,
                     seconds > 0 ? Double(report.states) / seconds : 0, seconds > 0 ? Double(report.executions) / seconds : 0))
        if report.options.strategy == .exhaustive {
            print(String(format: "visited set: %.0f bytes per state; chance a fingerprint collision hid a state: %.1e",
                         report.bytesPerState, report.omissionProbability))
        }
        for line in from?.lines ?? [] { print(line) }
        for line in crashStates?.lines ?? [] { print(line) }
        if !report.exhaustive && report.verdict == .pass {
            var why: [String] = []
            if report.depthCuts > 0 { why.append("\(report.depthCuts) executions cut at --depth") }
            if report.budgetExhausted { why.append("the budget ran out") }
            if let sampled = crashStates?.sampledReads, sampled > 0 {
                why.append("\(sampled) reads of undecided sectors got a sample of their contents (see sampled reads)")
            }
            if case .exhaustive = report.options.strategy {} else { why.append("random and pct search are never exhaustive") }
            print("not exhaustive: " + why.joined(separator: "; "))
        }
        let distinct = found.count, total = found.reduce(0) { $0 + ($1.count ?? 1) }
        if total > distinct {
            print("counterexamples: \(distinct) distinct of the \(total) kept (\(report.violationsFound) violating states "
                  + "reached; the same invariant and shrunk schedule counted once)")
        }
        for f in found {
            print("")
            print("violation of \(f.invariant): \(f.message)"
                  + ((f.count ?? 1) > 1 ? "   (found \(f.count ?? 1) times, the same shrunk schedule)" : ""))
            print("schedule (\(f.steps.count) step\(f.steps.count == 1 ? "" : "s")\(f.shrunkFrom.map { ", shrunk from \($0)" } ?? "")):")
            for (i, step) in f.steps.enumerated() { print("  \(i + 1). \(step)") }
            if !f.trace.isEmpty { print("trace written to \(f.trace)   (plumb check \(f.trace))") }
            if f.kind == .explorerCheck {
                print("note: \(f.invariant) is a check of the explorer beyond the trace format; "
                      + "`plumb check` passes this trace, the replay shows the failure")
            }
            print("replay: plumb replay \(f.token)")
        }
    }

    /// What an interrupted search covered, on standard error: no verdict, no report, no
    /// counterexample files; with --from, the crash points covered so far; the violations
    /// found so far (not shrunk) with their tokens.
    func printInterrupted<S: ExplorationTarget>(_ report: ExplorationReport, system: String, start: S,
                                                from: FromReport? = nil,
                                                stage: String = "no verdict, the search was not finished") {
        let seconds = report.elapsed.seconds
        var lines = [
            "explore \(system) [\(start.configurationText)] interrupted after \(String(format: "%.2f", seconds)) s; "
                + stage,
            "covered so far: \(report.states) states, \(report.executions) executions, "
                + "\(report.transitions) transitions, max depth \(report.maxDepth)",
        ] + (from?.lines ?? []) + [
            report.violationsFound == 0
                ? "found so far: no violation"
                : "found so far: \(report.violationsFound) violating state(s); not shrunk:",
        ]
        for example in report.counterexamples {
            let token = example.token(system: S.system, configuration: start.configurationText, start: start).encoded
            lines.append("  violation of \(example.violation.invariant): \(example.violation.message)")
            lines.append("  replay: plumb replay \(token)")
        }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
