import ArgumentParser
import Foundation
import MirrorLive
import NIOCore
import NIOPosix
import Trace

/// `plumb mirror secondary`: the failover partner as a process of its own.
struct MirrorSecondaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secondary",
        abstract: "Run the secondary controller: mirror the primary's log, take over when it dies.",
        discussion: """
            Listens on every --listen address; the primary's paths connect to them (path p to \
            the p-th address, cycling when there are fewer addresses than paths). Each \
            connection must pass a challenge-response handshake over the key in --key-file, and \
            every frame after it is authenticated (AES-GCM tag, a key per direction derived from \
            both ends' nonces, the frame's number as the nonce): a forged, altered or replayed \
            frame closes its path and is logged with the peer's address, and the other paths go \
            on. Connections still in their handshake are limited, and take only handshake-sized \
            frames.

            Every record applied is appended to --log; records of all paths are fsynced together \
            (group commit) and a record is acknowledged only once it is fsynced. When every path \
            has been down for --takeover-grace ms without the primary saying goodbye (it was \
            killed, or the interconnect died), the secondary takes over: it writes the takeover \
            into the log, fsyncs it, prints what it serves, and exits 0. When the primary ends \
            its run cleanly, the secondary exits 0 without taking over.

            Started again on a log that holds a takeover, it reopens the log (a torn tail is \
            cut; damage before the tail is refused with its offset, exit 2), prints what it \
            serves and exits 0, recording no trace. A log of a secondary that was still \
            mirroring is refused (exit 2): the primary would have to send everything again; \
            move the file away to start afresh. `plumb mirror log FILE` shows what a log holds.

            The trace goes to --trace (written as FILE.partial until the run ends, then \
            renamed). Ctrl-C or SIGTERM stops it with its log fsynced and its trace left as \
            .partial (exit 130 or 143).
            """
    )

    @Option(help: ArgumentHelp("Addresses to listen on, comma-separated (port 0 picks a free one).", valueName: "HOST:PORT,..."))
    var listen: String

    @Option(help: "Paths the primary opens (1...\(RecordMirror.maxPaths); default: one per --listen address).")
    var paths: Int?

    @Option(name: .customLong("key-file"), help: ArgumentHelp("The shared key file (see `plumb mirror keygen`).", valueName: "FILE"))
    var keyFile: String

    @Option(help: ArgumentHelp("The secondary's copy of the log (created, or reopened after a takeover).", valueName: "FILE"))
    var log: String

    @Option(help: ArgumentHelp("The secondary's trace file.", valueName: "FILE"))
    var trace: String

    @Option(name: .customLong("takeover-grace"), help: "How long every path must stay down before it takes over, in ms (1...60000).")
    var takeoverGrace = 200

    @Flag(help: "Print the controller's log lines (paths up and down, the takeover; refused peers are printed always).")
    var verbose = false

    /// Checks the options, the key file, the addresses and that the files can be written.
    func validate() throws {
        let addresses = try MirrorKeyOption.addresses(listen, option: "--listen")
        if let paths { try OptionRange.check("--paths", paths, 1...RecordMirror.maxPaths) }
        try OptionRange.check("--listen (addresses)", addresses.count, 1...RecordMirror.maxPaths)
        try OptionRange.check("--takeover-grace", takeoverGrace, 1...60_000, "ms")
        _ = try MirrorKeyOption.load(keyFile)
        try MirrorKeyOption.checkFile(log)
        try MirrorKeyOption.checkFile(trace)
        try OutputError.refuseSameFile([("--key-file", keyFile), ("--log", log), ("--trace", trace)], partial: ["--trace"])
    }

    func run() async throws {
        let addresses = try MirrorKeyOption.addresses(listen, option: "--listen")
        let key = try MirrorKeyOption.load(keyFile)
        if try serveReopenedLog() { return }

        let pathCount = paths ?? addresses.count
        let recorder = try FileRecorder(
            path: trace, system: .mirror, meta: ["node": "secondary", "paths": "\(pathCount)"], partialUntilFinished: true)
        var configuration = MirrorSecondaryNode.Configuration(key: key, paths: pathCount)
        configuration.listen = addresses
        configuration.logPath = log
        configuration.takeoverGrace = .milliseconds(Int64(takeoverGrace))
        let verbose = verbose
        let group = MultiThreadedEventLoopGroup.singleton
        let secondary = MirrorSecondaryNode(configuration: configuration, loop: group.next(), recorder: recorder) { line in
            // A refused peer (a wrong key, a forged frame) is always said: someone is knocking.
            if verbose || line.hasPrefix("secondary: refused connection") { MirrorOutput.standardError(line) }
        }
        let outcome: MirrorSecondaryNode.Outcome
        do {
            let bound = try await secondary.startListening()
            MirrorOutput.line("listening on \(bound.map(MirrorOutput.describe).joined(separator: ",")) for \(pathCount) path\(pathCount == 1 ? "" : "s"); log \(log); trace \(trace)")
            outcome = try await Interrupts.shared.stopping(with: { Task { await secondary.stop() } }) {
                try await secondary.ended.get()
            }
        } catch {
            await secondary.stop()
            try? recorder.close()
            throw ValidationError("cannot listen on \(listen): \(error)")
        }
        await secondary.stop()
        let records = await secondary.records()
        switch outcome {
        case .stopped:
            try? recorder.close()
            guard Interrupts.shared.signal == nil else { return }  // `Plumb.main` exits 130 or 143
            MirrorOutput.standardError("plumb: the secondary stopped: its log \(log) could not be written (see the lines above with --verbose)")
            throw ExitCode(1)
        case .tookOver(let epoch):
            try recorder.finish()
            MirrorOutput.line("took over at epoch \(epoch): serving \(records.count) records from \(log)" + MirrorOutput.lsnRange(records.keys))
        case .primaryFinished:
            try recorder.finish()
            MirrorOutput.line("the primary ended its run: \(records.count) records held in \(log)" + MirrorOutput.lsnRange(records.keys))
        }
        MirrorOutput.line("trace: \(trace)")
    }

    /// A log left by an earlier run: serves it if it holds a takeover (returns true), refuses
    /// it if it does not; returns false when there is nothing to reopen.
    private func serveReopenedLog() throws -> Bool {
        var info = stat()
        guard stat(log, &info) == 0, info.st_size > 0 else { return false }
        let reopened: (file: MirrorLogFile, contents: MirrorLogFormat.Contents)
        do {
            let contents = try MirrorLogFile.contents(path: log)
            guard contents.takeoverEpoch != nil || !contents.records.isEmpty else { return false }
            guard contents.takeoverEpoch != nil else {
                throw ValidationError("""
                    \(log) holds \(contents.records.count) records of a secondary that was still mirroring (no takeover): \
                    a new run would need the primary to send them all again. Move the file away to start afresh, \
                    or see it with `plumb mirror log \(log)`.
                    """)
            }
            reopened = try MirrorLogFile.reopen(path: log)
        } catch let error as MirrorLogFileError {
            throw ValidationError("\(error)")
        }
        try? reopened.file.close()
        let contents = reopened.contents
        if contents.tornBytes > 0 {
            MirrorOutput.line("reopened \(log): cut a torn tail of \(contents.tornBytes) bytes at offset \(contents.validLength)")
        }
        MirrorOutput.line("reopened \(log): took over at epoch \(contents.takeoverEpoch!): serving \(contents.records.count) records"
            + MirrorOutput.lsnRange(contents.records.map(\.lsn)) + "; no trace recorded")
        return true
    }
}

/// Output of the mirror commands: whole lines, flushed at once (a test or a script reads them
/// while the process runs).
enum MirrorOutput {
    /// Prints `text` and a newline on standard output, flushed.
    static func line(_ text: String) {
        print(text)
        fflush(nil)
    }

    /// Writes `text` and a newline on standard error.
    static func standardError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// `HOST:PORT` of a bound address.
    static func describe(_ address: SocketAddress) -> String {
        let host = address.ipAddress ?? "\(address)"
        return MirrorAddress(host: host, port: address.port ?? 0).description
    }

    /// ` (lsn A...B)` for a non-empty set of lsns.
    static func lsnRange<S: Sequence<Int>>(_ lsns: S) -> String {
        let all = Array(lsns)
        guard let low = all.min(), let high = all.max() else { return "" }
        return " (lsn \(low)...\(high))"
    }
}
