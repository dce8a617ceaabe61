import Crypto
import Mirror
import NIOCore
import NIOPosix
import Trace

/// The secondary controller, live: listens for the primary's paths (TCP, one connection per
/// path), authenticates each, runs a `MirrorSecondary` core and carries out its actions, keeps
/// the applied records as its copy of the log, and takes over once every path has been down for
/// `takeoverGrace`. A path that went down may connect again (the primary redials it): it passes
/// the same handshake, and a fresh authenticated connection for a path replaces the old one,
/// which may be half-open.
///
/// Thread-safe: all state is confined to one event loop (its channels live on it too); public
/// methods hop onto that loop.
public final class MirrorSecondaryNode: PathEndpoint, @unchecked Sendable {
    /// How the node listens and when it takes over.
    public struct Configuration: Sendable {
        /// The shared key both controllers hold.
        public var key: MirrorSharedKey
        /// How many paths the primary may open.
        public var paths: Int
        /// Where to listen: loopback unless told otherwise.
        public var host = "127.0.0.1"
        /// The port; 0 picks a free one.
        public var port = 0
        /// How long every path must stay down before the secondary takes over.
        public var takeoverGrace = TimeAmount.milliseconds(100)
        /// The generation of the primary it mirrors.
        public var epoch = 1
        /// Where to keep the copy of the log on disk (`MirrorLogFile`); nil keeps it in memory only.
        public var logPath: String?

        /// Makes a configuration.
        public init(key: MirrorSharedKey, paths: Int) {
            self.key = key
            self.paths = paths
        }
    }

    let authenticator: PathAuthenticator
    let pathCount: Int
    private let configuration: Configuration
    private let loop: EventLoop
    private let recorder: TraceRecorder
    private let logger: @Sendable (String) -> Void

    // Loop-confined state.
    private var core: MirrorSecondary
    private let paths = PathChannels()
    private var everConnected = false
    private var store: [Int: MirrorRecord] = [:]
    private var latestByKey: [UInt64: Int] = [:]
    private var logFile: MirrorLogFile?
    private var notes: [MirrorNote] = []
    private var server: Channel?
    private var stopping = false
    private let tookOverPromise: EventLoopPromise<Int>
    private var tookOverSettled = false

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
        self.core = MirrorSecondary(epoch: configuration.epoch)
        self.tookOverPromise = loop.makePromise()
    }

    /// Opens the log file, if configured, and starts listening; returns the address bound.
    public func start() async throws -> SocketAddress {
        if let logPath = configuration.logPath {
            try await loop.submit { self.logFile = try MirrorLogFile(path: logPath) }.get()
        }
        let channel = try await ServerBootstrap(group: loop, childGroup: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(FrameDecoder()),
                        MessageToByteHandler(FrameEncoder()),
                        PathHandler(role: .listener, endpoint: self),
                    ])
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        try await loop.submit { self.server = channel }.get()
        return channel.localAddress!
    }

    /// Completes with the new epoch when the secondary has taken over.
    public var tookOver: EventLoopFuture<Int> { tookOverPromise.futureResult }

    /// Stops listening and closes every path, without taking over.
    public func stop() async {
        try? await loop.submit {
            self.stopping = true
            self.paths.closeAll()
            self.settleTakeover(nil)
            self.flushLog()
            try? self.logFile?.close()
            self.logFile = nil
            return self.server
        }.get()?.close().get()
    }

    /// Simulates a power loss: records `crash`, flushes the recorder, drops every path.
    public func crash() async {
        try? await loop.submit {
            self.perform(self.core.handle(.crash))
            self.recorder.flush()
            self.flushLog()
            self.stopping = true
            self.paths.closeAll()
            self.settleTakeover(nil)
            return self.server
        }.get()?.close().get()
    }

    /// The secondary's copy of the log: applied records by lsn.
    public func records() async -> [Int: MirrorRecord] {
        (try? await loop.submit { self.store }.get()) ?? [:]
    }

    /// The latest payload written for `key` among the applied records (what it serves after
    /// takeover).
    public func value(forKey key: UInt64) async -> [UInt8]? {
        try? await loop.submit {
            self.latestByKey[key].flatMap { self.store[$0]?.payload }
        }.get()
    }

    /// Entries applied and duplicates dropped.
    public func counts() async -> (applied: Int, dropped: Int) {
        (try? await loop.submit { (self.core.appliedCount, self.core.droppedCount) }.get()) ?? (0, 0)
    }

    /// The `x-` notes recorded (also written to the trace).
    public func recordedNotes() async -> [MirrorNote] {
        (try? await loop.submit { self.notes }.get()) ?? []
    }

    // MARK: PathEndpoint (on the loop)

    func pathAuthenticated(_ path: Int, channel: Channel) -> Bool {
        guard !stopping else { return false }
        if let old = paths[path], old !== channel, paths.remove(path, old) {
            log("path \(path) connected again: dropping its old connection")
            perform(core.handle(.pathDown(path)))
            old.close(promise: nil)
        }
        guard paths.add(path, channel) else { return false }
        everConnected = true
        perform(core.handle(.pathUp(path)))
        return true
    }

    func pathReceived(_ path: Int, _ message: MirrorMessage) {
        perform(core.handle(.arrived(path: path, message)))
    }

    func pathReadComplete() {
        flushLog()
        paths.flush()
    }

    /// Hands applied records to the log file; a write failure stops the node (it must not
    /// acknowledge what it could not keep).
    private func flushLog() {
        do {
            try logFile?.flush()
        } catch {
            log("\(error): stopping")
            stopping = true
            paths.closeAll()
        }
    }

    func pathClosed(_ path: Int, wasOpen: Bool, channel: Channel, reason: String?) {
        guard wasOpen, paths.remove(path, channel) else { return }
        if let reason { log("path \(path) closed: \(reason)") }
        perform(core.handle(.pathDown(path)))
        guard paths.isEmpty, everConnected, !stopping else { return }
        loop.scheduleTask(in: configuration.takeoverGrace) {
            guard self.paths.isEmpty, !self.stopping else { return }
            self.perform(self.core.handle(.takeover))
            self.recorder.flush()
            self.flushLog()
        }
    }

    func log(_ line: String) { logger("secondary: \(line)") }

    /// Completes `tookOver` once: with the epoch, or failed when the node stops without it.
    private func settleTakeover(_ epoch: Int?) {
        guard !tookOverSettled else { return }
        tookOverSettled = true
        if let epoch { tookOverPromise.succeed(epoch) } else { tookOverPromise.fail(MirrorLiveError.stoppedWithoutTakeover) }
    }

    /// Carries out the core's actions in order: an event is recorded before its effect.
    private func perform(_ actions: [MirrorSecondary.Action]) {
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
            case .persist(let record):
                store[record.lsn] = record
                if record.lsn > latestByKey[record.key] ?? 0 { latestByKey[record.key] = record.lsn }
                logFile?.append(record)
            case .tookOver(let epoch):
                log("took over at epoch \(epoch) with \(store.count) records")
                settleTakeover(epoch)
            }
        }
    }
}
