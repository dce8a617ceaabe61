#if canImport(Glibc)
// `stdout` is a C global, which Swift 6 reads only from a module imported this way.
@preconcurrency import Glibc
#endif
import ArgumentParser
import Foundation

/// The `plumb` command: check traces, record them from the live systems, explore the systems'
/// schedules, replay what the explorer found, and measure.
@main
struct Plumb: AsyncParsableCommand {
    /// Plumb's version, as `plumb --version` prints it: the one place it is written.
    static let version = "0.4.0"

    static let configuration = CommandConfiguration(
        commandName: "plumb",
        abstract: "Record-replay verification and model checking for storage-controller software.",
        discussion: """
            Plumb checks operation traces of three storage-controller systems (mirror, driver, \
            recovery) against executable specifications and proves their ordering and dependency \
            invariants with Z3. Traces follow the plumb-trace v1 format (TRACE-FORMAT.md). \
            `plumb record` runs the systems live and records their traces; `plumb explore` drives \
            their cores through every schedule and crash within bounds; `plumb replay` re-runs a \
            counterexample from its token.

            Exit codes: 0 pass, 1 violation, 2 bad input or usage, 3 inconclusive; \
            interrupted by a signal: no verdict, 128 plus the signal (130 SIGINT, 143 SIGTERM, \
            129 SIGHUP).
            """,
        version: "plumb \(Plumb.version)",
        subcommands: [Check.self, Record.self, MirrorCommand.self, Explore.self, Replay.self, Convert.self, Bench.self]
    )

    /// Runs the command, mapping usage errors to exit code 2 as documented (the argument
    /// parser's own convention is 64), an output that cannot be written (`OutputError`) to exit
    /// code 2 with its path and reason, and a run stopped by SIGINT or SIGTERM to 128 plus the
    /// signal whatever the command returned or threw (see `Interrupts`).
    static func main() async {
        Interrupts.shared.install()
        defer { Interrupts.shared.exitIfInterrupted() }
        var parsed: ParsableCommand?
        do {
            var command = try parseAsRoot(joiningNegativeNumbers(Array(CommandLine.arguments.dropFirst())))
            parsed = command
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            // A signal's exit code first (a command may return normally after one).
            Interrupts.shared.exitIfInterrupted()
            exitUnlessStandardOutputWritten()
        } catch {
            Interrupts.shared.exitIfInterrupted()
            // An output error says itself below, with its reason.
            if !(error is OutputError) { exitUnlessStandardOutputWritten() }
            // Refused while running (a damaged file, an address that cannot be bound): exit 2
            // with the reason, but not the usage text, which is about the command line.
            if parsed != nil, let refusal = error as? ValidationError {
                FileHandle.standardError.write(Data("Error: \(refusal.message)\n".utf8))
                Foundation.exit(2)
            }
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            if let error = error as? OutputError {
                FileHandle.standardError.write(Data("plumb: \(error)\n".utf8))
                Foundation.exit(OutputError.exitCode)
            }
            exit(withError: error)
        }
    }
}

extension Plumb {
    /// Exits 2 when what was printed could not all be written (a full disk, a closed or broken
    /// standard output): a report cut short must not leave the verdict's exit code, 0 above all.
    static func exitUnlessStandardOutputWritten() {
        guard let error = standardOutputError(justPrinted: false) else { return }
        FileHandle.standardError.write(Data("plumb: \(error)\n".utf8))
        Foundation.exit(OutputError.exitCode)
    }

    /// Flushes standard output; why what was printed to it could not all be written, if so.
    /// `justPrinted`: called right after the print, so `errno` still says why it failed.
    static func standardOutputError(justPrinted: Bool) -> OutputError? {
        let before = errno
        let failed = fflush(stdout) != 0
        let code = failed ? errno : before
        guard failed || ferror(stdout) != 0 else { return nil }
        let known = failed || (justPrinted && code != 0)
        return OutputError(path: "standard output",
                           reason: known ? OutputError.standardOutputReason(code) : "an earlier write to it failed")
    }

    /// `--records -1` as `--records=-1`: the argument parser reads a word starting with `-` as
    /// options, so a negative number would be "Missing value" instead of the option's range
    /// check naming it. Words after `--` are left as they are.
    static func joiningNegativeNumbers(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < arguments.count {
            let word = arguments[i]
            if word == "--" { return out + arguments[i...] }
            if word.hasPrefix("--"), !word.contains("="), i + 1 < arguments.count,
               isNegativeNumber(arguments[i + 1]) {
                out.append(word + "=" + arguments[i + 1])
                i += 2
            } else {
                out.append(word)
                i += 1
            }
        }
        return out
    }

    /// `-1`, `-0.5`: a minus sign, digits, and at most one point among them.
    private static func isNegativeNumber(_ word: String) -> Bool {
        let body = word.utf8.dropFirst()
        return word.utf8.first == UInt8(ascii: "-") && (body.first.map { $0 >= 48 && $0 <= 57 } ?? false)
            && body.allSatisfy { ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: ".") }
            && body.filter { $0 == UInt8(ascii: ".") }.count <= 1
    }
}

/// How results are printed; shared by the commands that print a report.
struct OutputOptions: ParsableArguments {
    /// The report formats.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, junit
    }

    @Option(name: .long, help: "Report format: text (for people), json (for tools) or junit (for CI).")
    var format: Format = .text
}
