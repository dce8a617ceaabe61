import Crypto
import Mirror
import NIOCore
import NIOPosix
import Trace

/// The primary controller, live: opens one authenticated TCP connection per path to the
/// secondary, runs a `MirrorPrimary` core and carries out its actions, and drives a client
/// workload (see `MirrorPrimaryNode+Workload.swift`).
///
/// Thread-safe: all state is confined to one event loop (its channels live on it too); public
/// methods hop onto that loop.
public final class MirrorPrimaryNode: PathEndpoint, @unchecked Sendable {
    /// How the node connects and parses its log.
    public struct Configuration: Sendable {
        /// The shared key both controllers hold.
        public var key: MirrorSharedKey
        /// How many paths (connections) to open.
        public var paths: Int
        /// How many streams the log is parsed into.
        public var streams: Int
        /// The generation this primary runs at.
        public var epoch = 1
        /// Limits the bytes the primary writes on each path to this many per second (a token
        /// bucket with a 64 KiB burst, as a slower interconnect would); nil: as fast as the
        /// connection takes them.
        public var pathBytesPerSecond: Int?

        /// Makes a configuration.
        public init(key: MirrorSharedKey, paths: Int, streams: Int) {
            self.key = key
            self.paths = paths
            self.streams = streams
        }
    }

    let authenticator: PathAuthenticator
    let pathCount: Int
    let configuration: Configuration
    let loop: EventLoop
    let recorder: TraceRecorder
    private let logger: @Sendable (String) -> Void

    // Loop-confined state.
    var core: MirrorPrimary
    let paths = PathChannels()
    var connecting: [Int: EventLoopPromise<Void>] = [:]
    var workload: WorkloadState?
    var pumping = false
    var notes: [MirrorNote] = []

    /// Makes a node on `loop` that records into `recorder` and logs through `log`.
    public init(
        configuration: Configuration, loop: EventLoop, recorder: TraceRecorder,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.authenticator = PathAuthenticator(key: configuration.key)
        self.pathCount = configuration.paths
        self.loop = loop
        self.recorder = recorder
        self.logger = log
        self.core = MirrorPrimary(streams: configuration.streams, paths: configuration.paths, epoch: configuration.epoch)
    }

    /// Opens every path to the secondary at `address` and waits until each has passed the
    /// handshake; throws `MirrorLiveError.handshakeFailed` for the first that did not.
    public func connect(to address: SocketAddress) async throws {
        var handshakes: [EventLoopFuture<Void>] = []
        for path in 0..<configuration.paths {
            let promise = try await loop.submit {
                let promise = self.loop.makePromise(of: Void.self)
                self.connecting[path] = promise
                return promise
            }.get()
            handshakes.append(promise.futureResult)
            do {
                _ = try await ClientBootstrap(group: loop)
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .channelInitializer { [self] channel in
                        channel.eventLoop.makeCompletedFuture {
                            if let rate = configuration.pathBytesPerSecond {
                                try channel.pipeline.syncOperations.addHandler(PathShaper(bytesPerSecond: rate))
                            }
                            try channel.pipeline.syncOperations.addHandlers([
                                ByteToMessageHandler(FrameDecoder()),
                                MessageToByteHandler(FrameEncoder()),
                                PathHandler(role: .connector(path: path), endpoint: self),
                            ])
                        }
                    }
                    .connect(to: address).get()
            } catch {
                try? await loop.submit { self.connecting.removeValue(forKey: path)?.fail(error) }.get()
            }
        }
        for handshake in handshakes { try await handshake.get() }
    }

    /// Closes one path's connection, as a failing interconnect would.
    public func failPath(_ path: Int) async {
        try? await loop.submit { self.paths[path]?.close(promise: nil) }.get()
    }

    /// Simulates a power loss: records `crash`, flushes the recorder, drops every path.
    public func crash() async {
        try? await loop.submit { self.crashNow() }.get()
    }

    /// Closes every path without a crash (the end of a clean run).
    public func shutdown() async {
        try? await loop.submit { self.paths.closeAll() }.get()
    }

    /// The core's counters.
    public func stats() async -> MirrorPrimary.Stats? {
        try? await loop.submit { self.core.stats }.get()
    }

    /// The `x-` notes recorded (also written to the trace).
    public func recordedNotes() async -> [MirrorNote] {
        (try? await loop.submit { self.notes }.get()) ?? []
    }

    /// Crashes on the loop.
    func crashNow() {
        perform(core.handle(.crash))
        recorder.flush()
        paths.closeAll()
        log("crashed")
        finishWorkload()
    }

    // MARK: PathEndpoint (on the loop)

    func pathAuthenticated(_ path: Int, channel: Channel) -> Bool {
        guard paths.add(path, channel) else { return false }
        perform(core.handle(.pathUp(path)))
        paths.flush()
        connecting.removeValue(forKey: path)?.succeed(())
        return true
    }

    func pathReceived(_ path: Int, _ message: MirrorMessage) {
        perform(core.handle(.arrived(path: path, message)))
    }

    func pathReadComplete() {
        pump()
        paths.flush()
    }

    func pathClosed(_ path: Int, wasOpen: Bool, channel: Channel, reason: String?) {
        if !wasOpen {
            connecting.removeValue(forKey: path)?.fail(
                MirrorLiveError.handshakeFailed(path: path, reason: reason ?? "connection closed"))
            return
        }
        guard paths.remove(path, channel) else { return }
        if core.mode == .running { log("path \(path) down" + (reason.map { ": \($0)" } ?? "")) }
        perform(core.handle(.pathDown(path)))
        paths.flush()
        pump()
    }

    func log(_ line: String) { logger("primary: \(line)") }

    /// Carries out the core's actions in order: an event is recorded before its effect.
    func perform(_ actions: [MirrorPrimary.Action]) {
        for action in actions {
            switch action {
            case .record(var event):
                event.t = Int(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds)
                recorder.record(event)
            case .note(let note):
                recorder.record(extension: note)
                notes.append(note)
            case let .send(path, message):
                paths.send(message, on: path)
            case .commit(let lsn):
                workload?.outstanding -= 1
                workload?.committedLSNs.append(lsn)
                workload?.committed(lsn)
            case .degraded(let isDegraded):
                log(isDegraded ? "degraded: every path is down, clients are not acknowledged" : "no longer degraded")
                if isDegraded { failWorkload(MirrorLiveError.degraded(unacknowledged: core.unacknowledged)) }
            case .rejected(let error):
                log("write refused: \(error)")
            case .fenced(let epoch):
                log("fenced by the partner at epoch \(epoch): stopped")
                paths.closeAll()
            }
        }
    }
}

extension MirrorPrimaryNode {
    /// Writes `bytes` on a path under its framer, as they are: for tests that need a corrupt
    /// frame on the wire.
    func injectRaw(_ bytes: ByteBuffer, on path: Int) async throws {
        try await loop.submit {
            guard let channel = self.paths[path] else { throw MirrorLiveError.notRunning("path \(path) is not open") }
            let context = try channel.pipeline.syncOperations.context(handlerType: MessageToByteHandler<FrameEncoder>.self)
            context.writeAndFlush(NIOAny(bytes), promise: nil)
        }.get()
    }
}
