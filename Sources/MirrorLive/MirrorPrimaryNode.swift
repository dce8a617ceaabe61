import Crypto
import Mirror
import NIOCore
import NIOPosix
import Trace

/// The primary controller, live: opens one authenticated TCP connection per path to the
/// secondary, runs a `MirrorPrimary` core and carries out its actions, and drives a client
/// workload (see `MirrorPrimaryNode+Workload.swift`). A path that went down is dialed again and
/// takes streams once it is back (see `MirrorPrimaryNode+Redial.swift`).
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
        /// Whether a path whose connection was lost (closed by the peer, or by a corrupt frame)
        /// is dialed again on its own, `redialDelay` later. A path failed on purpose
        /// (`failPath(_:)`) waits for `restorePath(_:)` either way.
        public var redialsLostPaths = false
        /// How long to wait before dialing a lost path again, and between failed attempts; the
        /// event loop's timer measures it.
        public var redialDelay = TimeAmount.milliseconds(100)

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
    /// The secondary's addresses, once `connect(to:)` was called: path `p` dials address
    /// `p % count` (redials too).
    var addresses: [SocketAddress] = []
    /// Paths failed on purpose: not dialed again until restored.
    var heldDown: Set<Int> = []
    /// Paths with a redial under way (connecting or in the handshake).
    var dialing: Set<Int> = []
    /// The timers of redials waiting for their delay.
    var redialTimers: [Int: Scheduled<Void>] = [:]
    /// Paths that were up at least once (a later `pathUp` is a comeback).
    var everUp: Set<Int> = []
    /// Every time a path came back, with what it carried since.
    var comebacks: [MirrorPathComeback] = []
    /// For each path up since a comeback: its index in `comebacks` and its sends then.
    var comebackBase: [Int: (index: Int, sent: Int)] = [:]
    /// Set by `shutdown()` and the crash: no more dialing.
    var stopped = false

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
        try await connect(to: [address])
    }

    /// Opens every path to the secondary, path `p` to `addresses[p % addresses.count]`, and
    /// waits until each has passed the handshake; throws `MirrorLiveError.handshakeFailed` for
    /// the first that did not.
    public func connect(to addresses: [SocketAddress]) async throws {
        precondition(!addresses.isEmpty, "at least one address")
        var handshakes: [EventLoopFuture<Void>] = []
        for path in 0..<configuration.paths {
            let address = addresses[path % addresses.count]
            let promise = try await loop.submit {
                self.addresses = addresses
                let promise = self.loop.makePromise(of: Void.self)
                self.connecting[path] = promise
                return promise
            }.get()
            handshakes.append(promise.futureResult)
            do {
                _ = try await dial(path, to: address).get()
            } catch {
                try? await loop.submit { self.connecting.removeValue(forKey: path)?.fail(error) }.get()
            }
        }
        for handshake in handshakes { try await handshake.get() }
    }

    /// Closes one path's connection, as a failing interconnect would, and keeps the path down
    /// (not dialed again) until `restorePath(_:)`.
    package func failPath(_ path: Int) async {
        try? await loop.submit { self.holdPathDown(path) }.get()
    }

    /// Brings a failed path back: dials it now (and again every `redialDelay` until it is up),
    /// authenticates it, and lets it take streams again.
    package func restorePath(_ path: Int) async {
        try? await loop.submit { self.restorePathNow(path) }.get()
    }

    /// Every time a path came back after it went down, with the entries it carried since.
    public func pathComebacks() async -> [MirrorPathComeback] {
        (try? await loop.submit { self.closedComebacks() }.get()) ?? []
    }

    /// Simulates a power loss: records `crash`, flushes the recorder, drops every path.
    public func crash() async {
        try? await loop.submit { self.crashNow() }.get()
    }

    /// Closes every path without a crash (the end of a clean run). With `farewell`, first tells
    /// the secondary on every path that the run ends cleanly, so that it does not take over.
    public func shutdown(farewell: Bool = false) async {
        try? await loop.submit {
            self.stopDialing()
            if farewell { self.paths.sayFarewell() }
            self.paths.closeAll()
        }.get()
    }

    /// The core's counters.
    public func stats() async -> MirrorPrimary.Stats? {
        try? await loop.submit { self.core.stats }.get()
    }

    /// The `x-` notes recorded (also written to the trace).
    package func recordedNotes() async -> [MirrorNote] {
        (try? await loop.submit { self.notes }.get()) ?? []
    }

    /// Crashes on the loop.
    func crashNow() {
        stopDialing()
        perform(core.handle(.crash))
        recorder.flush()
        paths.closeAll()
        log("crashed")
        finishWorkload()
    }

    // MARK: PathEndpoint (on the loop)

    func pathAuthenticated(_ path: Int, channel: Channel) -> Bool {
        guard !stopped, !heldDown.contains(path), paths.add(path, channel) else { return false }
        dialing.remove(path)
        let isComeback = !everUp.insert(path).inserted
        perform(core.handle(.pathUp(path)))
        if isComeback, core.mode == .running { cameBack(path) }
        paths.flush()
        connecting.removeValue(forKey: path)?.succeed(())
        return true
    }

    func pathReceived(_ path: Int, _ message: MirrorMessage) {
        perform(core.handle(.arrived(path: path, message)))
    }

    /// A secondary says no farewell; the path handler refuses one before this is reached.
    func pathFarewell(_ path: Int) {}

    func pathReadComplete() {
        pump()
        paths.flush()
    }

    func pathClosed(_ path: Int, wasOpen: Bool, channel: Channel, reason: String?) {
        if !wasOpen {
            if let promise = connecting.removeValue(forKey: path) {
                promise.fail(MirrorLiveError.handshakeFailed(path: path, reason: reason
                    ?? "the secondary closed the connection (a wrong key, or more paths than it expects: its log says which)"))
            } else {
                redialFailed(path, reason: reason ?? "connection closed")
            }
            return
        }
        guard paths.remove(path, channel) else { return }
        if core.mode == .running { log("path \(path) down" + (reason.map { ": \($0)" } ?? "")) }
        perform(core.handle(.pathDown(path)))
        wentDown(path)
        paths.flush()
        if configuration.redialsLostPaths { scheduleRedial(path) }
        pump()
    }

    func log(_ line: String) { logger("primary: \(line)") }

    /// The primary dials its own connections: each may start its handshake.
    func handshakeBegan() -> Bool { true }

    /// Nothing to count.
    func handshakeEnded() {}

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
                // Not at a clean end, where closing every path is the point.
                if !stopped { log(isDegraded ? "degraded: every path is down, clients are not acknowledged" : "no longer degraded") }
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
