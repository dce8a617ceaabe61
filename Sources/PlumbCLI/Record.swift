import ArgumentParser
import Foundation
import MirrorLive

/// `plumb record`: run a system live and record its trace.
struct Record: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Run a system live and record its traces for `plumb check`.",
        subcommands: [RecordMirror.self, RecordRecovery.self, RecordDriver.self, RecordController.self]
    )
}

/// `plumb record mirror`: a primary and a secondary over loopback, with a path failure, its
/// return and a primary crash on request.
struct RecordMirror: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror",
        abstract: "Mirror a caching log over several TCP paths and record both controllers' traces.",
        discussion: """
            Starts a secondary (listening on 127.0.0.1) and a primary in this process, with a \
            key drawn at random for the run; `plumb mirror secondary` and `plumb mirror \
            primary` run the same two controllers as two processes with a key file. The \
            primary opens one TCP connection per path, each authenticated with a shared-key \
            HMAC challenge-response and carrying length-prefixed frames with a CRC-32 each, \
            every frame after the handshake authenticated with AES-GCM. A \
            client writes RECORDS records over 8 keys per stream; records with the same key go \
            to the same stream, every 16th record carries a barrier on the record before it, \
            and streams are spread over the paths. A write is committed only after the \
            secondary applied and acknowledged it.

            --fail-path P@N closes path P's connection once N records were written: its streams \
            move to live paths and every unacknowledged entry is sent again. \
            --restore-path P@M brings it back once M records were written (M after N): the \
            primary dials path P again, authenticates it with the same handshake (the writes \
            after M wait for it, 5 s at most), and once it is up streams are spread onto it \
            again. A path lost otherwise (closed by the peer or \
            by a corrupt frame) is dialed again on its own every 100 ms until it is back. \
            --crash-primary-at N cuts the primary's power once N records were written: it \
            records `crash`, flushes its trace and drops every path; the secondary sees every \
            path down and takes over with every committed write.

            --secondary-log FILE keeps the secondary's copy of the log in FILE (the format of \
            `plumb mirror log --help`), fsynced before each acknowledgement, with fsyncs grouped \
            across paths. FILE must not exist yet (or be empty): a run starts a new log.

            The traces go to DIR/primary.jsonl and DIR/secondary.jsonl; check them with \
            `plumb check DIR/*.jsonl`. The summary shows the entries sent on each path, how \
            many were resends, each path that came back with the entries it carried since, the \
            records written and committed, and the time taken.

            Examples:
              plumb record mirror --records 10000 --out /tmp/run1
              plumb record mirror --records 100000 --streams 8 --paths 4 \\
                --fail-path 2@40000 --crash-primary-at 90000 --out /tmp/run2
              plumb record mirror --records 100000 --streams 8 --paths 4 \\
                --fail-path 2@40000 --restore-path 2@60000 --out /tmp/run3
              plumb check /tmp/run2/*.jsonl
            """
    )

    /// `P@N`: close path P after N records.
    struct PathFailure: ExpressibleByArgument {
        var path: Int
        var after: Int

        init?(argument: String) {
            let parts = argument.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, let path = Int(parts[0]), let after = Int(parts[1]) else { return nil }
            self.path = path
            self.after = after
        }

        static var defaultValueDescription: String { "P@N" }
    }

    /// Records, streams, payload and window.
    @OptionGroup var workload: MirrorWorkloadOptions

    /// Paths.
    @Option(help: "Interconnect paths, one TCP connection each (1...\(Self.maxPaths)).")
    var paths = 4

    /// The most paths taken.
    static let maxPaths = 64

    @Option(name: .customLong("fail-path"), help: ArgumentHelp(
        "Close path P's connection after N records (a path failure).", valueName: "P@N"))
    var failPath: PathFailure?

    @Option(name: .customLong("restore-path"), help: ArgumentHelp(
        "Bring path P back after M records (with --fail-path P@N, M > N): the primary dials it again.",
        valueName: "P@M"))
    var restorePath: PathFailure?

    @Option(name: .customLong("crash-primary-at"), help: ArgumentHelp(
        "Crash the primary after N records; the secondary takes over.", valueName: "N"))
    var crashPrimaryAt: Int?

    @Option(name: .customLong("out"), help: ArgumentHelp("Directory for the trace files.", valueName: "DIR"))
    var out: String

    @Option(name: .customLong("secondary-log"), help: ArgumentHelp(
        "Also keep the secondary's copy of the log (applied records, checksummed frames, fsynced before each ack) in FILE.",
        valueName: "FILE"))
    var secondaryLog: String?

    @Flag(help: "Print the controllers' log lines (path failures, refused peers, the takeover).")
    var verbose = false

    /// Checks each option's range (see `OptionRange`), how they fit together, and that the
    /// output folder and log can be written.
    func validate() throws {
        try OptionRange.check("--paths", paths, 1...Self.maxPaths)
        let records = workload.records
        try OutputError.validateFolder(out)
        // A folder already there may hold a folder where a trace goes.
        if FileManager.default.fileExists(atPath: out) {
            for name in ["primary.jsonl", "secondary.jsonl"] { try OutputError.validateFile(out + "/" + name) }
        }
        if let secondaryLog {
            try OutputError.validateFile(secondaryLog)
            // A run starts a new log: an earlier one (or any other file) would be lost.
            if let size = (try? FileManager.default.attributesOfItem(atPath: secondaryLog))?[.size] as? Int, size > 0 {
                throw ValidationError("--secondary-log \(secondaryLog) exists (\(size) bytes): a recording starts a new log "
                    + "and would overwrite it. Move it away or name another file (`plumb mirror log` reads the old one).")
            }
            // The traces this run writes into --out.
            for name in ["primary.jsonl", "secondary.jsonl"] {
                try OutputError.refuseSameFile([("--secondary-log", secondaryLog), ("--out", out + "/" + name)],
                                               partial: ["--out"])
            }
        }
        if let failPath {
            guard (0..<paths).contains(failPath.path) else {
                throw ValidationError("--fail-path names path \(failPath.path); paths are numbered 0...\(paths - 1).")
            }
            guard paths >= 2 else {
                throw ValidationError("--fail-path needs --paths 2 or more: with its only path down the primary is degraded and commits nothing.")
            }
            guard (0...records).contains(failPath.after) else {
                throw ValidationError("--fail-path P@N needs N in 0...\(records) (the number of records written before the failure).")
            }
        }
        if let restorePath {
            guard let failPath else {
                throw ValidationError("--restore-path P@M brings back a failed path: it needs --fail-path P@N.")
            }
            guard restorePath.path == failPath.path else {
                throw ValidationError("--restore-path names path \(restorePath.path) but --fail-path fails path \(failPath.path); they must name the same path.")
            }
            guard restorePath.after > failPath.after, restorePath.after <= records else {
                throw ValidationError("--restore-path P@M needs M in \(failPath.after + 1)...\(records) (after the failure, within the records).")
            }
        }
        if let crashPrimaryAt, !(0...records).contains(crashPrimaryAt) {
            throw ValidationError("--crash-primary-at must be in 0...\(records).")
        }
        // What comes after the primary's crash never happens: refused, not silently dropped.
        if let crashPrimaryAt {
            for (flag, event) in [("--fail-path", failPath.map { ($0.path, $0.after) }),
                                  ("--restore-path", restorePath.map { ($0.path, $0.after) })] {
                if let (path, after) = event, after >= crashPrimaryAt {
                    throw ValidationError("\(flag) \(path)@\(after) comes at or after --crash-primary-at \(crashPrimaryAt): "
                                          + "the primary is down by then, so it would never happen.")
                }
            }
        }
    }

    func run() async throws {
        var options = MirrorRecording.Options(records: workload.records, streams: workload.streams, paths: paths, outputDirectory: out)
        options.failPath = failPath.map { (path: $0.path, afterRecords: $0.after) }
        options.restorePath = restorePath.map { (path: $0.path, afterRecords: $0.after) }
        options.crashPrimaryAt = crashPrimaryAt
        options.payloadSize = workload.payload
        options.window = workload.window
        options.secondaryLogPath = secondaryLog
        let verbose = verbose
        let summary = try await OutputError.recording(into: out) {
            try await MirrorRecording(options: options).run { line in
                if verbose { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            }
        }
        let seconds = summary.elapsed.seconds
        let perPath = summary.sentPerPath.enumerated().map { "path \($0.offset): \($0.element)" }.joined(separator: ", ")
        print("""
            records:   \(summary.submitted) written, \(summary.committed) committed
            entries:   \(perPath)
            resent:    \(summary.resent)
            secondary: \(summary.applied) applied, \(summary.dropped) duplicates dropped, \(summary.secondaryRecords) records held
            """)
        for comeback in summary.comebacks {
            print("restored:  path \(comeback.path) back after \(comeback.afterRecords) records, \(comeback.sent) entries sent on it since")
        }
        if summary.crashed {
            print("crash:     primary crashed after \(summary.submitted) records; secondary took over at epoch \(summary.takeoverEpoch ?? 0), \(summary.lostCommits) committed writes missing")
        }
        print(String(format: "elapsed:   %.2f s (%.0f records/s)", seconds, Double(summary.submitted) / max(seconds, 1e-9)))
        print("traces:    \(summary.files.joined(separator: " "))")
        if summary.lostCommits > 0 { throw ExitCode(1) }
    }
}
