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
        /// More addresses to listen on, each `(host, port)` (port 0 picks a free one); when not
        /// empty they replace `host` and `port`. A path may connect to any of them.
        public var listen: [MirrorAddress] = []
        /// How long every path must stay down before the secondary takes over.
        public var takeoverGrace = TimeAmount.milliseconds(100)
        /// The generation of the primary it mirrors.
        public var epoch = 1
        /// Where to keep the copy of the log on disk (`MirrorLogFile`, created afresh); nil keeps
        /// it in memory only. With a log file, a record is acknowledged only once it is fsynced.
        public var logPath: String?
        /// Connections that may be in their handshake at once; more are refused (and logged)
        /// until some finish, so that peers without the key cannot make the node hold much.
        public var maxPendingHandshakes = 16

        /// Makes a configuration.
        public init(key: MirrorSharedKey, paths: Int) {
            self.key = key
            self.paths = paths
        }
    }

    let authenticator: PathAuthenticator
    let pathCount: Int
    let configuration: Configuration
    let loop: EventLoop
    private let recorder: TraceRecorder
    private let logger: @Sendable (String) -> Void

    // Loop-confined state.
    private var core: MirrorSecondary
    let paths = PathChannels()
    private var everConnected = false
    private var store: [Int: MirrorRecord] = [:]
    private var latestByKey: [UInt64: Int] = [:]
    var logFile: MirrorLogFile?
    private var notes: [MirrorNote] = []
    var stopping = false
    private let tookOverPromise: EventLoopPromise<Int>
    private var tookOverSettled = false
    /// The primary said farewell: it ended its run cleanly, so paths going down is no failure.
    private var primaryFinished = false
    private let endedPromise: EventLoopPromise<Outcome>
    private var endSettled = false
    private var servers: [Channel] = []
    /// Group commit (see `MirrorSecondaryNode+GroupCommit.swift`): the thread that writes and
    /// fsyncs the log, and what waits for it.
    var commit = GroupCommit()
    /// Connections accepted whose handshake has not finished.
    var pendingHandshakes = 0

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
        self.endedPromise = loop.makePromise()
    }

    /// How a secondary's mirroring ended.
    public enum Outcome: Sendable, Equatable {
        /// Every path went down without a farewell: it took over at this epoch.
        case tookOver(epoch: Int)
        /// The primary said farewell and closed its paths: a clean end, no takeover.
        case primaryFinished
        /// It was stopped (or crashed) first.
        case stopped
    }

    /// Completes once mirroring ended: a takeover, the primary's clean end, or a stop.
    public var ended: EventLoopFuture<Outcome> { endedPromise.futureResult }

    /// Opens the log file, if configured, and starts listening; returns the (first) address bound.
    public func start() async throws -> SocketAddress {
        try await startListening()[0]
    }

    /// Opens the log file, if configured, and starts listening on every address of the
    /// configuration; returns the addresses bound, in order.
    public func startListening() async throws -> [SocketAddress] {
        if let logPath = configuration.logPath {
            let file = try MirrorLogFile(path: logPath)
            let pool = NIOThreadPool(numberOfThreads: 1)
            pool.start()
            try await loop.submit {
                self.logFile = file
                self.commit.pool = pool
            }.get()
        }
        let bootstrap = ServerBootstrap(group: loop, childGroup: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let limit = FrameLimit()
                    let seal = PathSealHandler()
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(FrameDecoder(limit: limit)),
                        MessageToByteHandler(FrameEncoder()),
                        seal,
                        PathHandler(role: .listener, endpoint: self, seal: seal, limit: limit),
                    ])
                }
            }
        let wanted = configuration.listen.isEmpty
            ? [MirrorAddress(host: configuration.host, port: configuration.port)] : configuration.listen
        var bound: [Channel] = []
        do {
            for address in wanted {
                bound.append(try await bootstrap.bind(host: address.host, port: address.port).get())
            }
        } catch {
            for channel in bound { try? await channel.close().get() }
            throw error
        }
        let servers = bound
        try await loop.submit {
            self.servers = servers
        }.get()
        return bound.map { $0.localAddress! }
    }

    /// Completes with the new epoch when the secondary has taken over.
    public var tookOver: EventLoopFuture<Int> { tookOverPromise.futureResult }

    /// Stops listening and closes every path, without taking over.
    /// Every record appended to the log is written and fsynced first.
    public func stop() async {
        let servers = try? await loop.submit {
            self.stopping = true
            self.paths.closeAll()
            self.settleTakeover(nil)
            return self.servers
        }.get()
        for server in servers ?? [] { try? await server.close().get() }
        await closeLog(keepingBatch: true)
    }

    /// Simulates a power loss: records `crash`, flushes the recorder, drops every path. Records
    /// not yet fsynced are lost (none of them was acknowledged).
    public func crash() async {
        let servers = try? await loop.submit {
            self.perform(self.core.handle(.crash))
            self.recorder.flush()
            self.stopping = true
            self.paths.closeAll()
            self.settleTakeover(nil)
            return self.servers
        }.get()
        for server in servers ?? [] { try? await server.close().get() }
        await closeLog(keepingBatch: false)
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
    package func recordedNotes() async -> [MirrorNote] {
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

    func pathFarewell(_ path: Int) {
        if !primaryFinished { log("the primary ends its run (farewell on path \(path)): no takeover") }
        primaryFinished = true
    }

    func pathReadComplete() {
        startSync()
        paths.flush()
    }

    func pathClosed(_ path: Int, wasOpen: Bool, channel: Channel, reason: String?) {
        guard wasOpen, paths.remove(path, channel) else { return }
        if let reason { log("path \(path) closed: \(reason)") }
        perform(core.handle(.pathDown(path)))
        guard paths.isEmpty, everConnected, !stopping else { return }
        if primaryFinished {
            settleEnd(.primaryFinished)
            return
        }
        loop.scheduleTask(in: configuration.takeoverGrace) {
            guard self.paths.isEmpty, !self.stopping else { return }
            self.perform(self.core.handle(.takeover))
            self.recorder.flush()
        }
    }

    func log(_ line: String) { logger("secondary: \(line)") }

    /// Admits a connection to its handshake while fewer than `maxPendingHandshakes` are.
    func handshakeBegan() -> Bool {
        guard pendingHandshakes < configuration.maxPendingHandshakes else { return false }
        pendingHandshakes += 1
        return true
    }

    /// A handshake finished or its connection closed.
    func handshakeEnded() { pendingHandshakes -= 1 }

    /// Completes `tookOver` once: with the epoch, or failed when the node stops without it.
    func settleTakeover(_ epoch: Int?) {
        guard !tookOverSettled else { return }
        tookOverSettled = true
        if let epoch { tookOverPromise.succeed(epoch) } else { tookOverPromise.fail(MirrorLiveError.stoppedWithoutTakeover) }
        settleEnd(epoch.map { .tookOver(epoch: $0) } ?? .stopped)
    }

    /// Completes `ended` once.
    private func settleEnd(_ outcome: Outcome) {
        guard !endSettled else { return }
        endSettled = true
        endedPromise.succeed(outcome)
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
                sendAfterCommit(message, on: path)
            case .persist(let record):
                store[record.lsn] = record
                if record.lsn > latestByKey[record.key] ?? 0 { latestByKey[record.key] = record.lsn }
                if let logFile {
                    logFile.append(record)
                    commit.appended += 1
                }
            case .tookOver(let epoch):
                takeOver(epoch: epoch, records: store.count)
            }
        }
    }
}
