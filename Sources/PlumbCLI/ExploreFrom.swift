import ArgumentParser
import Checker
import Explorer
import Foundation
import Trace

/// `--from TRACE... --window N`: explore around a captured trace rather than a generated
/// workload (`plumb explore driver|mirror|recovery --from`).
struct ExploreFromOptions: ParsableArguments {
    @Option(parsing: .upToNextOption, help: ArgumentHelp(
        "Explore around a captured trace: files, directories, rotated and gzip files forming one trace, as for `plumb check` (not standard input). "
            + "Its workload and schedule replace the bounds (--ifaces, --requests, --streams, --consumers, ...), which are refused with it. "
            + "Example: plumb explore driver --from /tmp/d/driver.jsonl --window 1.",
        valueName: "TRACE"))
    var from: [String] = []

    @Option(help: ArgumentHelp(
        "With --from: the most choices along one execution that differ from what the trace recorded (0...\(Self.maxWindow)); "
            + "0 keeps what the trace recorded: for the driver and the mirror, its schedule, exploring only crash points and crash "
            + "states; for recovery, each consumer's outcome, exploring every order of the workers' steps and ends (the trace orders "
            + "them only by happens-before) and the framework's crashes.",
        valueName: "N"))
    var window: Int = 0

    /// The largest window taken (each unit multiplies the executions by about the path's length).
    static let maxWindow = 8

    /// Whether `--from` was given.
    var isOn: Bool { !from.isEmpty }

    /// Checks the window's range and that it goes with --from.
    func validate() throws {
        try OptionRange.check("--window", window, 0...Self.maxWindow)
        if !isOn, window != 0 { throw ValidationError("--window goes with --from TRACE...") }
        if from.contains("-") {
            throw ValidationError("--from reads trace files, not standard input (-): the replay tokens it prints name the "
                                  + "files. Save the trace to a file and name that.")
        }
    }

    /// Refuses a generated workload's bound given with --from (the trace's workload replaces
    /// them, so a bound there would be silently ignored); `given` maps each option to its value.
    func refuse(_ given: [String: Int?]) throws {
        guard isOn, let name = given.filter({ $0.value != nil }).keys.sorted().first else { return }
        throw ValidationError("\(name) does not go with --from: the trace's workload and schedule replace the generated one")
    }

    /// Resolves the paths as `plumb check` does (directories to their trace files) and makes
    /// them absolute, so that replay tokens name them from anywhere.
    func files() throws(TraceInputError) -> [String] {
        let selection = try TraceInputs.select(from)
        if !selection.skippedPartial.isEmpty {
            let one = selection.skippedPartial.count == 1
            FileHandle.standardError.write(Data(("plumb explore: skipped \(selection.skippedPartial.count) file\(one ? "" : "s") "
                + "still being written or cut short: \(selection.skippedPartial.joined(separator: ", ")); an exploration "
                + "needs whole captures\n").utf8))
        }
        for file in selection.files {
            var info = stat()
            if stat(file, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
                throw TraceInputError(file: file, line: 0, message: "not a regular file (a pipe?): --from reads its trace "
                    + "more than once and its replay tokens name the files. Save the trace to a file and name that.")
            }
        }
        let cwd = FileManager.default.currentDirectoryPath
        return selection.files.map { $0.hasPrefix("/") ? $0 : (cwd as NSString).appendingPathComponent($0) }
    }

    /// The start state of a recorded exploration, or exit 2 naming file, line and reason.
    func start<Plan: RecordedPlan>(_: Plan.Type, crashes: Int, settings: [(key: String, value: String)])
        throws -> Recorded<Plan> {
        let files: [String]
        let start: Recorded<Plan>
        do throws(TraceInputError) {
            files = try self.files()
            let trace = try RecordedTrace(files: files)
            let plan = try Plan(trace: trace, crashes: crashes, settings: settings)
            start = Recorded(plan: plan, window: window, crashes: crashes,
                             source: RecordedSource(files: files, digest: RecordedTrace.digest(trace.events)))
        } catch {
            FileHandle.standardError.write(Data("plumb explore: \(Self.forExplore(error))\n".utf8))
            throw ExitCode(2)
        }
        try Self.refuseFailing(files)
        return start
    }

    /// Stops (exit 1, the check's command to reproduce it) when the trace itself breaks an
    /// invariant: the violation is already there to see, and this build's cores, which replay
    /// the workload, need not do what the trace recorded.
    static func refuseFailing(_ files: [String]) throws {
        var options = Checker.Options()
        options.useSolver = false
        let report = Checker(options: options).check(files: files)
        guard report.verdict == .fail else { return }
        let broken = Set(report.violations.map(\.invariant.rawValue)).sorted()
        var text = "plumb explore: the trace itself breaks \(broken.joined(separator: ", ")): the violation is already "
            + "there, and --from explores around traces that pass (their workload replayed through this build's cores). "
            + "The first violation:\n"
        if let first = report.violations.first {
            text += "  \(first.invariant): \(first.message)\n"
            for event in first.events {
                let file = report.files.indices.contains(event.location.file) ? report.files[event.location.file] : "?"
                text += "    \(event.name) \(event.id) at \(file):\(event.location.line)\n"
            }
        }
        text += "reproduce: plumb check \(files.map(Check.shellQuoted).joined(separator: " "))\n"
        FileHandle.standardError.write(Data(text.utf8))
        throw ExitCode(1)
    }

    /// `error` as `plumb explore` says it: the reader's advice to check a cut capture with
    /// --truncated names `plumb check`, since an exploration needs the whole capture.
    static func forExplore(_ error: TraceInputError) -> TraceInputError {
        var error = error
        let advice = "check with --truncated"
        error.message = error.message.replacingOccurrences(
            of: advice, with: "`plumb check --truncated` can check it, but an exploration needs the whole capture")
        return error
    }

    /// Explores `start` with `runner`, adding the `from` section to the report; `crashStates`
    /// as for a generated workload.
    func explore<Plan: RecordedPlan>(_ start: Recorded<Plan>, runner: ExploreRunner,
                                     crashStates: ExploreRunner.CrashStatesSection? = nil) -> ExitCode {
        let tally = CrashPointTally()
        return runner.explore(start.collecting(tally), crashStates: crashStates) { report in
            FromReport(start: start, tally: tally, exploration: report)
        }
    }
}

/// The `from` section of a recorded exploration's report (JSON keys snake_case, like the
/// rest): the trace, the window, the workload taken, and how many crash points were covered.
struct FromReport: Codable {
    var files: [String]
    var window: Int
    /// Crashes an execution may add to those the trace holds.
    var crashes: Int
    var recordedCrashes: Int
    var workload: String
    /// Where the trace's offsets were moved to, run by run (a driver trace reaching past 256
    /// MiB); absent when the trace's own were explored.
    var movedOffsets: [OffsetCompaction.Move]?
    /// Distinct states where power failed or a node crashed, in the executions explored.
    var crashPoints: Int
    var crashPointsPerSecond: Double

    /// The sections of a sharded exploration's reports as one: the first's trace and window,
    /// with the crash points covered (and their rates, the shards running side by side) summed
    /// over the shards, as their other counts are; nil when there are none.
    static func merged(_ parts: [FromReport]) -> FromReport? {
        guard var total = parts.first else { return nil }
        total.crashPoints = parts.reduce(0) { $0 + $1.crashPoints }
        total.crashPointsPerSecond = parts.reduce(0) { $0 + $1.crashPointsPerSecond }
        return total
    }

    init<Plan: RecordedPlan>(start: Recorded<Plan>, tally: CrashPointTally, exploration: ExplorationReport) {
        files = start.source.files
        window = start.window
        crashes = start.crashes
        recordedCrashes = start.plan.recordedCrashes
        workload = start.plan.summary
        movedOffsets = start.plan.movedOffsets.isEmpty ? nil : start.plan.movedOffsets
        crashPoints = tally.count
        let seconds = exploration.elapsed.seconds
        crashPointsPerSecond = seconds > 0 ? Double(crashPoints) / seconds : 0
    }

    /// The section in words, for the text report.
    var lines: [String] {
        var moved: [String] = []
        if let movedOffsets {
            let shown = movedOffsets.prefix(4).map { "\($0.trace) -> \($0.explored) (\($0.bytes) B)" }.joined(separator: ", ")
            let more = movedOffsets.count > 4 ? ", ... (\(movedOffsets.count) runs; all in --format json, from.moved_offsets)" : ""
            moved = ["offsets moved, trace -> explored: \(shown)\(more)"]
        }
        return [
            "from: \(files.joined(separator: ", ")) (\(workload))",
            "window: \(window) stray choice\(window == 1 ? "" : "s") per execution; \(crashes) crash\(crashes == 1 ? "" : "es") "
                + "beyond the trace's \(recordedCrashes)",
            // Counted by the exploration's states (where in the trace, which strays): more than
            // a driver's crash states line, which counts the simulated driver's states alone.
            String(format: "crash points covered: %d (%.1f per second), as places along the trace", crashPoints,
                   crashPointsPerSecond),
        ] + moved
    }
}
