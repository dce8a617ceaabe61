import ArgumentParser
import Checker
import Explorer
import Foundation

extension SeededFault: ExpressibleByArgument {
    /// None listed by the parser: the option's help lists them by system (`ExploreOptions`).
    package static var allValueStrings: [String] { [] }
}

/// `plumb explore selftest`: shows the explorer finds what it claims to, on every seeded bug of
/// every system.
struct ExploreSelftest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Turn on each seeded bug of each core and show the explorer finds, shrinks and replays it.",
        discussion: """
            For each seeded bug (a deliberate fault compiled into the shipped cores, off unless \
            asked for): an exhaustive search of bounds that show it, then checks that

              - the counterexample breaks the invariant the bug breaks (the driver's
                bugs with lazy crash states, the default, and with eager ones),
              - it was shrunk (its schedule is no longer than the one found first),
              - its replay token, decoded and replayed, reproduces the violation at
                its last step,
              - `plumb check` (Z3 on) rejects the written trace with that invariant,
                or passes it when the violation is a check of the explorer beyond
                the trace format.

            Prints one line per bug with the bounds, the counterexample's length and the time \
            taken. Exit 0 when every bug passes every check, 1 otherwise.

            Seeded bugs: \(SeededFault.allCases.map(\.rawValue).joined(separator: ", ")).
            """)

    @Option(name: .customLong("fault"), help: ArgumentHelp(
        "Only these seeded bugs (repeatable): " + SeededFault.allCases.map(\.rawValue).joined(separator: ", ") + ".",
        valueName: "FAULT"))
    var faults: [SeededFault] = []

    @Option(help: "Where the counterexample traces are written (default: a temporary folder, removed after).")
    var out: String?

    /// Refuses an --out that cannot be created or written, before any search.
    func validate() throws {
        if let out { try OutputError.validateFolder(out) }
    }

    func run() async throws {
        let selected = faults.isEmpty ? SeededFault.allCases : faults
        let directory = out ?? FileManager.default.temporaryDirectory.appendingPathComponent("plumb-selftest-\(getpid())").path
        try OutputError.createFolder(directory)
        defer { if out == nil { try? FileManager.default.removeItem(atPath: directory) } }
        var failures = 0
        for fault in selected {
            let clock = ContinuousClock()
            let started = clock.now
            let problems: [String]
            let summary: String
            switch fault.system {
            case MirrorSimulation.system: (summary, problems) = check(fault, MirrorSimulation.self, directory)
            case DriverSimulation.system:
                // Lazy crash states (the default) and eager ones: both must find it.
                let lazy = check(fault, DriverSimulation.self, directory)
                let eager = check(fault, DriverSimulation.self, directory, extra: " states=eager")
                summary = "lazy: " + lazy.0 + "; eager: " + eager.0
                problems = lazy.1.map { "lazy: " + $0 } + eager.1.map { "eager: " + $0 }
            default: (summary, problems) = check(fault, RecoverySimulation.self, directory)
            }
            let seconds = (clock.now - started).seconds
            let verdict = problems.isEmpty ? "ok  " : "FAIL"
            print("\(verdict) \(fault.system) \(fault.rawValue) [\(fault.showingBounds)]: \(summary)"
                  + String(format: " (%.2f s)", seconds))
            for problem in problems { print("       \(problem)") }
            if !problems.isEmpty { failures += 1 }
        }
        print("\(selected.count - failures) of \(selected.count) seeded bugs found, shrunk and replayed")
        if failures > 0 { throw ExitCode(1) }
    }

    /// Searches for `fault` in `S` (its showing configuration, with `extra` keys); a one-line
    /// summary and what did not hold.
    func check<S: ExplorationTarget>(_ fault: SeededFault, _: S.Type, _ directory: String, extra: String = "") -> (String, [String]) {
        guard let start = S(parsing: fault.showingConfiguration + extra) else {
            return ("", ["the configuration \(fault.showingConfiguration + extra) does not parse"])
        }
        let report = Exploration(start: start.withoutTrace(), options: ExplorationOptions().suited(to: S.self)).run()
        guard let found = report.counterexamples.first else {
            return ("not found in \(report.states) states", ["no violation found (exhaustive: \(report.exhaustive))"])
        }
        var problems: [String] = []
        let violation = found.violation
        if violation.invariant != fault.expectedInvariant {
            problems.append("found \(violation.invariant), expected \(fault.expectedInvariant)")
        }
        let original = found.originalLength ?? found.path.count
        if found.path.count > original { problems.append("the shrunk schedule is longer than the one found") }
        let token = found.token(system: S.system, configuration: start.configurationText, start: start).encoded
        var replayedTrace: [UInt8] = []
        do {
            let decoded = try ReplayToken(decoding: token)
            guard let rebuilt = S(parsing: decoded.configuration) else { throw ValidationError("bad configuration") }
            let outcome = try replay(rebuilt, path: decoded.path)
            if outcome.violation?.invariant != violation.invariant || outcome.violationStep != decoded.path.count {
                problems.append("the token replays to \(outcome.violation?.invariant ?? "no violation") at step "
                                + "\(outcome.violationStep.map(String.init) ?? "-") of \(decoded.path.count)")
            }
            replayedTrace = outcome.state.encodedTrace()
        } catch {
            problems.append("the token does not replay: \(error)")
        }
        let file = (directory as NSString).appendingPathComponent("\(fault.rawValue)\(extra.isEmpty ? "" : "-eager").jsonl")
        if FileManager.default.createFile(atPath: file, contents: Data(replayedTrace)) {
            let checked = Checker().check(files: [file])
            let rejected = checked.violations.contains { $0.invariant.rawValue == violation.invariant }
            switch violation.kind {
            case .traceInvariant where !rejected:
                problems.append("plumb check does not reject the trace with \(violation.invariant) (\(checked.verdict.rawValue))")
            case .explorerCheck where checked.verdict != .pass:
                problems.append("plumb check does not pass the trace of an explorer check (\(checked.verdict.rawValue))")
            default:
                break
            }
        } else {
            problems.append("cannot write \(file)")
        }
        let what = violation.kind == .traceInvariant ? "plumb check rejects the trace" : "an explorer check; plumb check passes the trace"
        return ("\(violation.invariant) in \(report.states) states, schedule of \(found.path.count) step\(found.path.count == 1 ? "" : "s") (found with \(original)), "
                + "\(what)", problems)
    }
}
