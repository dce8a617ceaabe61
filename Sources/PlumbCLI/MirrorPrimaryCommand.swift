import ArgumentParser
import Foundation
import MirrorLive
import NIOCore
import NIOPosix
import Trace

/// `plumb mirror primary`: the controller that owns the caching log, as a process of its own.
struct MirrorPrimaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "primary",
        abstract: "Run the primary controller: write records and mirror them to the secondary.",
        discussion: """
            Opens one TCP connection per path to the secondary (path p to the p-th --connect \
            address, cycling when there are fewer addresses than paths), each authenticated by \
            the key in --key-file, and waits up to --connect-timeout seconds for the secondary \
            to be listening. A client then writes --records records of --payload bytes over \
            8 keys per stream; records with the same key go to the same stream, every \
            --barrier-every-th record carries a barrier on the record before it, and a write is \
            committed only after the secondary fsynced and acknowledged it. A path that goes down \
            moves its streams to live paths, resends what was not acknowledged, and is dialed \
            again every 100 ms.

            At the end the primary tells the secondary goodbye on every path (so it does not \
            take over), renames its trace from FILE.partial to FILE, prints a summary and exits \
            0. Killed (`kill -9`), it leaves FILE.partial: every `commit` in it is a record the \
            secondary holds. Exit 1 when every path went down with writes outstanding; exit 2 \
            when the secondary cannot be reached within --connect-timeout (no trace is left) or \
            its handshake fails (a wrong key: the secondary prints the refusal); Ctrl-C \
            or SIGTERM closes the paths without a goodbye (the secondary takes over) and exits \
            130 or 143.
            """
    )

    @Option(help: ArgumentHelp("The secondary's addresses, comma-separated.", valueName: "HOST:PORT,..."))
    var connect: String

    @Option(help: "Paths to open (1...\(RecordMirror.maxPaths); default: one per --connect address).")
    var paths: Int?

    @Option(name: .customLong("key-file"), help: ArgumentHelp("The shared key file (see `plumb mirror keygen`).", valueName: "FILE"))
    var keyFile: String

    @Option(help: ArgumentHelp("The primary's trace file.", valueName: "FILE"))
    var trace: String

    /// Records, streams, payload and window, as `plumb record mirror` takes them.
    @OptionGroup var workload: MirrorWorkloadOptions

    @Option(name: .customLong("barrier-every"), help: "Every Nth record depends on the record before it (0: no barriers; 0...\(OptionRange.maxCount)).")
    var barrierEvery = 16

    @Option(name: .customLong("connect-timeout"), help: "Seconds to keep trying to reach the secondary (1...3600).")
    var connectTimeout = 10

    @Flag(help: "Print the controller's log lines (paths up and down, redials, refusals).")
    var verbose = false

    /// Checks each option's range, the key file, the addresses and that the trace can be written.
    func validate() throws {
        let addresses = try MirrorKeyOption.addresses(connect, option: "--connect")
        try OptionRange.check("--connect (addresses)", addresses.count, 1...RecordMirror.maxPaths)
        if let paths { try OptionRange.check("--paths", paths, 1...RecordMirror.maxPaths) }
        if let bad = addresses.first(where: { $0.port == 0 }) {
            throw ValidationError("--connect: \(bad) has port 0; give the port the secondary printed.")
        }
        try OptionRange.check("--barrier-every", barrierEvery, 0...OptionRange.maxCount)
        try OptionRange.check("--connect-timeout", connectTimeout, 1...3_600, "seconds")
        _ = try MirrorKeyOption.load(keyFile)
        try MirrorKeyOption.checkFile(trace)
        try OutputError.refuseSameFile([("--key-file", keyFile), ("--trace", trace)], partial: ["--trace"])
    }

    func run() async throws {
        let wanted = try MirrorKeyOption.addresses(connect, option: "--connect")
        let key = try MirrorKeyOption.load(keyFile)
        let addresses: [SocketAddress]
        do {
            addresses = try wanted.map { try SocketAddress.makeAddressResolvingHost($0.host, port: $0.port) }
        } catch {
            throw ValidationError("--connect: cannot resolve an address: \(error)")
        }
        let pathCount = paths ?? wanted.count
        let recorder = try FileRecorder(
            path: trace, system: .mirror,
            meta: ["node": "primary", "records": "\(workload.records)", "streams": "\(workload.streams)", "paths": "\(pathCount)"],
            partialUntilFinished: true)
        var configuration = MirrorPrimaryNode.Configuration(key: key, paths: pathCount, streams: workload.streams)
        configuration.redialsLostPaths = true
        let verbose = verbose
        let group = MultiThreadedEventLoopGroup.singleton
        let log: @Sendable (String) -> Void = { line in if verbose { MirrorOutput.standardError(line) } }

        // Wait for the secondary with plain connections that record nothing, then connect once:
        // a trace never holds the paths of a connection attempt that failed.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(connectTimeout)
        while let unreachable = await Self.firstUnreachable(addresses, group: group) {
            guard clock.now < deadline, Interrupts.shared.signal == nil else {
                try? recorder.close()
                if Interrupts.shared.signal != nil { return }
                MirrorOutput.standardError("plumb: cannot reach the secondary at \(unreachable) within \(connectTimeout) s")
                // Nothing was recorded: no trace to keep (the header alone would read as a run).
                try? FileManager.default.removeItem(atPath: recorder.writingPath)
                throw ExitCode(2)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let primary = MirrorPrimaryNode(configuration: configuration, loop: group.next(), recorder: recorder, log: log)
        do {
            try await primary.connect(to: addresses)
        } catch {
            await primary.shutdown()
            try? recorder.close()
            MirrorOutput.standardError("plumb: cannot open the paths to \(connect): \(error)")
            throw ExitCode(2)
        }

        var clientWork = MirrorWorkload(records: self.workload.records)
        clientWork.window = self.workload.window
        clientWork.payloadSize = self.workload.payload
        clientWork.keys = max(self.workload.streams * 8, 1)
        clientWork.barrierEvery = barrierEvery
        let start = clock.now
        let result: MirrorWorkloadResult
        do {
            let node = primary
            result = try await Interrupts.shared.stopping(with: { Task { await node.shutdown() } }) {
                try await node.run(clientWork)
            }
        } catch {
            await primary.shutdown()
            try? recorder.close()
            if Interrupts.shared.signal != nil { return }  // `Plumb.main` exits 130 or 143
            MirrorOutput.standardError("plumb: \(error)")
            throw ExitCode(1)
        }
        let elapsed = start.duration(to: clock.now)
        await primary.shutdown(farewell: true)
        try recorder.finish()
        let seconds = elapsed.seconds
        let perPath = result.stats.sentPerPath.enumerated().map { "path \($0.offset): \($0.element)" }.joined(separator: ", ")
        MirrorOutput.line("""
            records: \(result.submitted) written, \(result.committed) committed
            entries: \(perPath); resent \(result.stats.resent)
            \(String(format: "elapsed: %.2f s (%.0f records/s)", seconds, Double(result.committed) / max(seconds, 1e-9)))
            trace:   \(trace)
            """)
    }

    /// The first address that does not answer a plain TCP connection with its challenge now,
    /// or nil when all do. The probe reads the challenge before it closes, so the secondary
    /// sees a quiet close, not a reset.
    private static func firstUnreachable(_ addresses: [SocketAddress], group: EventLoopGroup) async -> SocketAddress? {
        for address in addresses {
            do {
                let channel = try await ClientBootstrap(group: group)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(ProbeHandler()) }
                    }
                    .connect(to: address).get()
                let answered = channel.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
                try? await channel.closeFuture.get()
                answered.cancel()
            } catch {
                return address
            }
        }
        return nil
    }
}

/// Closes its connection once the peer said something (the secondary's challenge).
///
/// Not thread-safe (a channel handler): used only on its channel's event loop.
private final class ProbeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.close(promise: nil)
    }
}
