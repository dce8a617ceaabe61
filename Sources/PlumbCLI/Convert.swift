import ArgumentParser
import Checker
import Foundation
import Trace

#if canImport(Glibc)
import Glibc
#endif

/// `plumb convert --to chrome-trace`: a trace as a Chrome trace (Trace Event Format JSON) on
/// standard output, for Perfetto UI or chrome://tracing. The work is `ChromeTraceConverter`'s.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a trace for a viewer: Perfetto UI or chrome://tracing (--to chrome-trace).",
        discussion: """
            Reads one trace as `plumb check` does (all FILEs named and the .jsonl and .jsonl.gz \
            files in each DIR; - for standard input; gzip; --truncated; .partial recordings in a \
            DIR are skipped) and \
            writes it to standard output as a Chrome trace: one track per node, each event a \
            zero-length slice named by its event name with its fields, file and line as args, and \
            each cause link a flow arrow from the cause to the event.

            Time: by default an event's timestamp is its position in a linearization of \
            happens-before (1 us per event), a picture of the causal order. With --time t it is \
            the node's own clock t (an event without t takes its node's previous t); the clocks of \
            different nodes are not comparable, and the output's otherData says so.

            Events are written as they are read, so memory does not grow with the trace. Exit 2 on \
            an input error (file and line named; the output is then cut short) or when the output \
            cannot be written.

            Example:
              plumb convert --to chrome-trace Traces/mirror/pass-split-files > mirror.json
            """
    )

    /// The output formats.
    enum Target: String, ExpressibleByArgument, CaseIterable {
        case chromeTrace = "chrome-trace"
    }

    /// What an event's timestamp is.
    enum Time: String, ExpressibleByArgument, CaseIterable {
        case rank, t
    }

    @Option(help: "The output format: chrome-trace (Trace Event Format JSON).")
    var to: Target

    @Option(help: "The time axis: rank (happens-before order) or t (each node's own clock, not comparable across nodes).")
    var time: Time = .rank

    @Argument(help: ArgumentHelp("Trace files, or directories of them.", valueName: "FILE|DIR"))
    var paths: [String] = []

    @Flag(help: "Accept captures whose tails were cut off: causes naming seqs past a node's last event are dropped.")
    var truncated = false

    @Option(help: ArgumentHelp("The most events that may wait in memory for the events that happen before them; more stops (exit 2).", valueName: "EVENTS"))
    var maxPending = CausalOrder.defaultMaxPending

    /// Needs a path and a positive bound.
    func validate() throws {
        if paths.isEmpty { throw ValidationError("Name at least one trace file or directory.") }
        try OptionRange.check("--max-pending", maxPending, 1...Int.max)
    }

    func run() throws {
        // A closed pipe is a write error (exit 2), not a signal that ends the process.
        signal(SIGPIPE, SIG_IGN)
        // Standard input and pipes, copied to be read more than once (a prescan may need it).
        let copies = CheckInputCopies()
        defer { copies.remove() }
        let inputs = try copies.readable(paths)
        let files: [String]
        do {
            let selection = try TraceInputs.select(inputs)
            if !selection.skippedPartial.isEmpty {
                FileHandle.standardError.write(Data("plumb convert: \(TraceInputs.skippedNote(selection.skippedPartial))\n".utf8))
            }
            files = selection.files
        } catch {
            throw Self.inputError(copies.rename(error))
        }
        let axis: ChromeTraceConverter.TimeAxis = time == .t ? .nodeClock : .rank
        do {
            _ = try ChromeTraceConverter.convert(
                files: files, timeAxis: axis, allowTruncated: truncated, maxPending: maxPending,
                write: OutputError.writeStandardOutput)
        } catch {
            switch error {
            case .input(let input): throw Self.inputError(copies.rename(input))
            case .output(let output): throw output
            }
        }
    }

    /// Prints the input error on standard error; exit 2.
    private static func inputError(_ error: TraceInputError) -> ExitCode {
        FileHandle.standardError.write(Data("plumb convert: not a valid trace: \(error)\n".utf8))
        return ExitCode(2)
    }
}
