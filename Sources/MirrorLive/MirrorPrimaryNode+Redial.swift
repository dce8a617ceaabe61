import Mirror
import NIOCore
import NIOPosix

/// A path that came back after it went down, and what it carried since.
public struct MirrorPathComeback: Sendable, Equatable {
    /// The path.
    public var path: Int
    /// Client writes submitted when it came back (0 outside a workload).
    public var afterRecords: Int
    /// Entries sent on it from its comeback until it went down again or the run ended (first
    /// sends and resends).
    public var sent: Int

    /// Makes a comeback record.
    package init(path: Int, afterRecords: Int, sent: Int) {
        self.path = path
        self.afterRecords = afterRecords
        self.sent = sent
    }
}

// Redialing: a path that went down is dialed again, passes the same handshake, and once it is up
// the core gets `.pathUp` and spreads streams onto it again. The delay between attempts is the
// runtime's (the event loop's timers); the core never sees a clock. Everything here runs on the
// node's loop.
extension MirrorPrimaryNode {
    /// Opens a connection for `path` to `address` with the path's pipeline (shaper, framing,
    /// handshake); the handshake's outcome reaches the node through its `PathEndpoint` calls.
    func dial(_ path: Int, to address: SocketAddress) -> EventLoopFuture<Channel> {
        ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let rate = configuration.pathBytesPerSecond {
                        try channel.pipeline.syncOperations.addHandler(PathShaper(bytesPerSecond: rate))
                    }
                    let limit = FrameLimit()
                    let seal = PathSealHandler()
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(FrameDecoder(limit: limit)),
                        MessageToByteHandler(FrameEncoder()),
                        seal,
                        PathHandler(role: .connector(path: path), endpoint: self, seal: seal, limit: limit),
                    ])
                }
            }
            .connect(to: address)
    }

    /// Closes `path` and keeps it down until `restorePathNow(_:)`.
    func holdPathDown(_ path: Int) {
        heldDown.insert(path)
        redialTimers.removeValue(forKey: path)?.cancel()
        paths[path]?.close(promise: nil)
    }

    /// Lifts the hold on `path` and dials it now.
    func restorePathNow(_ path: Int) {
        heldDown.remove(path)
        redialTimers.removeValue(forKey: path)?.cancel()
        if paths[path] != nil { log("path \(path) is already up") }
        redial(path)
    }

    /// Whether `path` may be dialed now: the node runs, the path is down, not held down, and no
    /// dial of it is under way.
    private func mayDial(_ path: Int) -> Bool {
        !stopped && core.mode == .running && !addresses.isEmpty && (0..<pathCount).contains(path)
            && !heldDown.contains(path) && paths[path] == nil && !dialing.contains(path)
    }

    /// Dials `path` again after `redialDelay`, unless a dial is already waiting or under way.
    func scheduleRedial(_ path: Int) {
        guard mayDial(path), redialTimers[path] == nil else { return }
        redialTimers[path] = loop.scheduleTask(in: configuration.redialDelay) {
            self.redialTimers[path] = nil
            self.redial(path)
        }
    }

    /// Dials `path` now; a failed connect or handshake tries again after `redialDelay`.
    func redial(_ path: Int) {
        guard mayDial(path) else { return }
        dialing.insert(path)
        log("dialing path \(path) again")
        dial(path, to: addresses[path % addresses.count]).whenFailure { error in
            self.redialFailed(path, reason: "\(error)")
        }
    }

    /// A redial of `path` did not get through (connect or handshake): try again later.
    func redialFailed(_ path: Int, reason: String) {
        guard dialing.remove(path) != nil else { return }
        if !stopped, core.mode == .running { log("path \(path) did not come back: \(reason)") }
        scheduleRedial(path)
    }

    /// Stops every dial waiting for its delay; later closes dial nothing.
    func stopDialing() {
        stopped = true
        for timer in redialTimers.values { timer.cancel() }
        redialTimers.removeAll()
    }

    /// Notes that `path` is up again (the core has taken it).
    func cameBack(_ path: Int) {
        let submitted = workload?.submitted ?? 0
        log("path \(path) is back after \(submitted) records")
        comebackBase[path] = (comebacks.count, core.stats.sentPerPath[path])
        comebacks.append(MirrorPathComeback(path: path, afterRecords: submitted, sent: 0))
        if workload?.awaitingComeback == path {
            workload?.awaitingComeback = nil
            workload?.comebackTimer?.cancel()
            pump()
        }
    }

    /// Notes that `path` went down: closes the count of its comeback, if it had one.
    func wentDown(_ path: Int) {
        guard let base = comebackBase.removeValue(forKey: path) else { return }
        comebacks[base.index].sent = core.stats.sentPerPath[path] - base.sent
    }

    /// The comebacks, with the counts of paths still up taken now.
    func closedComebacks() -> [MirrorPathComeback] {
        var result = comebacks
        for (path, base) in comebackBase { result[base.index].sent = core.stats.sentPerPath[path] - base.sent }
        return result
    }
}
