import ArgumentParser
import Checker
import Explorer
import Foundation
import Trace

/// `plumb replay TOKEN`: re-runs a counterexample the explorer found, exactly.
struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-run an execution from its replay token and print its trace.",
        discussion: """
            The token (printed by `plumb explore` for every violation) names the system, its \
            configuration and every choice of the schedule. The execution is re-run on the real \
            core and its trace is printed (or written to --out); the violation it ends in goes to \
            standard error. A schedule that no longer fits the core (a choice that is not there \
            at some step, for example after the core changed) is an error naming the step. \
            --html FILE also draws the execution as a page: its schedule, a lane per node, the \
            violation's events highlighted and its steps to go through.

            Exit codes: 0 the execution breaks nothing, 1 it breaks an invariant, 2 a bad token \
            or a replay that diverged.
            """)

    @Argument(help: "The replay token (plumb2....), as `plumb explore` printed it.")
    var token: String

    /// Where the trace goes instead of standard output.
    @Option(help: "Write the trace to this file instead of standard output (its folder must exist).")
    var out: String?

    @OptionGroup var html: HTMLOutput

    /// Where the trace of a `--from` exploration lives now, if not where the token says.
    @Option(help: ArgumentHelp(
        "For a token of `plumb explore ... --from`: the trace it was explored from, if it moved (a file or directory as for "
            + "`plumb check`; repeat for several); by default the files the token names are read again.",
        valueName: "TRACE"))
    var from: [String] = []

    /// Refuses an --out whose folder is missing or not writable before anything runs.
    func validate() throws {
        if let out { try OutputError.validateFile(out) }
        try OutputError.refuseSameFile([("--out", out), ("--html", html.path)])
    }

    func run() async throws {
        let decoded: ReplayToken
        do {
            decoded = try ReplayToken(decoding: token)
        } catch {
            throw fail("not a replay token: \(error)")
        }
        if Self.isRecorded(decoded.configuration) { throw try replayRecorded(decoded) }
        if !from.isEmpty {
            throw fail("--from names the trace of a `plumb explore ... --from` token, and this token's exploration had "
                       + "none (\(decoded.system) [\(decoded.configuration)]): drop --from")
        }
        switch decoded.system {
        case MirrorSimulation.system: throw try replayToken(decoded, as: MirrorSimulation.self)
        case DriverSimulation.system: throw try replayToken(decoded, as: DriverSimulation.self)
        case RecoverySimulation.system: throw try replayToken(decoded, as: RecoverySimulation.self)
        default: throw fail("the token names an unknown system \"\(decoded.system)\"")
        }
    }

    /// Prints `message` and returns exit code 2 (bad input) to throw.
    func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("plumb replay: \(message)\n".utf8))
        return ExitCode(2)
    }

    /// Whether a token's configuration names a trace (`from=`): a `--from` exploration's.
    static func isRecorded(_ configuration: String) -> Bool {
        configuration.hasPrefix("from=") || configuration.contains(" from=")
    }

    /// Replays a token of `plumb explore ... --from`: the trace it names is read again (or the
    /// one `--from` names), its digest checked, and what is missing or changed said (exit 2).
    func replayRecorded(_ token: ReplayToken) throws -> ExitCode {
        var files: [String]?
        if !from.isEmpty {
            do throws(TraceInputError) { files = try TraceInputs.files(for: from) } catch { throw fail("\(error)") }
        }
        func load<Plan: RecordedPlan>(_: Plan.Type) throws -> Recorded<Plan> {
            do throws(TraceInputError) {
                return try Recorded<Plan>.load(configuration: token.configuration, files: files)
            } catch {
                throw fail("the token replays an exploration around a captured trace, and needs that trace: \(error)"
                           + (from.isEmpty ? " (name it with --from TRACE... if it moved)" : ""))
            }
        }
        switch token.system {
        case DriverSimulation.system: return try replayToken(token, start: load(DriverPlan.self))
        case RecoverySimulation.system: return try replayToken(token, start: load(RecoveryPlan.self))
        case MirrorSimulation.system: return try replayToken(token, start: load(MirrorPlan.self))
        default: throw fail("the token names a --from exploration of \(token.system), which this build does not explore")
        }
    }

    func replayToken<S: ExplorationTarget>(_ token: ReplayToken, as: S.Type) throws -> ExitCode {
        guard let start = S(parsing: token.configuration) else {
            throw fail("the token's \(token.system) configuration does not parse: \(token.configuration)")
        }
        return try replayToken(token, start: start)
    }

    func replayToken<S: ExplorationTarget>(_ token: ReplayToken, start: S) throws -> ExitCode {
        let model = ReplayToken.model(of: start)
        if token.model != 0, token.model != model {
            throw fail("the token was made by a build whose model of the \(token.system) differs from this one "
                       + "(model stamp \(token.model), here \(model)); run the exploration again with this build")
        }
        let outcome: ReplayOutcome<S>
        do {
            outcome = try replay(start, path: token.path)
        } catch {
            throw fail("the replay diverged: \(error)")
        }
        let trace = Data(outcome.state.encodedTrace())
        if let out {
            try OutputError.write(trace, to: out)
        } else {
            try OutputError.writeStandardOutput([UInt8](trace))
        }
        let summary = "replayed \(token.system) [\(token.configuration)]: \(outcome.steps.count) step\(outcome.steps.count == 1 ? "" : "s")"
        if let page = html.path {
            try writePage(trace, to: page, summary: summary, outcome: outcome)
        }
        if let violation = outcome.violation {
            FileHandle.standardError.write(Data("\(summary); violation of \(violation.invariant) after step \(outcome.violationStep ?? 0): \(violation.message)\n".utf8))
            return ExitCode(1)
        }
        FileHandle.standardError.write(Data("\(summary); no violation\n".utf8))
        return .success
    }

    /// `--html`: checks the replayed trace (from --out, or a temporary copy) and writes its page,
    /// with the schedule and the violation the replay ends in.
    func writePage<S: ExplorationTarget>(_ trace: Data, to page: String, summary: String, outcome: ReplayOutcome<S>) throws {
        let file = out ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("plumb-replay-\(getpid())-\(UUID().uuidString).jsonl").path
        if out == nil { try OutputError.write(trace, to: file) }
        defer { if out == nil { try? FileManager.default.removeItem(atPath: file) } }
        var report = Checker().check(files: [file])
        if out == nil { report.files = report.files.map { $0 == file ? "<replay>" : $0 } }
        try HTMLOutput.write(report, to: page, readFrom: [file]) { page in
            page.title = "plumb replay"
            page.context = [summary]
            if let violation = outcome.violation {
                page.context.append("violation of \(violation.invariant) after step \(outcome.violationStep ?? 0): \(violation.message)")
                if violation.kind == .explorerCheck {
                    page.otherViolation = .init(invariant: violation.invariant, message: violation.message)
                }
            }
            page.schedule = outcome.steps
        }
        FileHandle.standardError.write(Data("plumb replay: HTML report written to \(page)\n".utf8))
    }
}
