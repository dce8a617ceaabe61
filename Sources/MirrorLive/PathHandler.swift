import Mirror
import NIOCore

/// What a path handler reports to its node. Every call happens on the node's event loop (the
/// node's channels all live on it).
protocol PathEndpoint: AnyObject, Sendable {
    /// The shared-key proofs.
    var authenticator: PathAuthenticator { get }
    /// How many paths there are (a connector naming another path is refused).
    var pathCount: Int { get }
    /// The handshake of `path` succeeded on `channel`; false refuses it (e.g. a second
    /// connection for a path that is up).
    func pathAuthenticated(_ path: Int, channel: Channel) -> Bool
    /// A mirror message arrived on an open path.
    func pathReceived(_ path: Int, _ message: MirrorMessage)
    /// The peer said on `path` that it ends its run cleanly (`WireMessage.farewell`).
    func pathFarewell(_ path: Int)
    /// A batch of reads ended: time to flush what the node wrote meanwhile.
    func pathReadComplete()
    /// The connection of `path` closed (-1: a listener's connection that never said its path);
    /// `wasOpen` tells whether its handshake had succeeded.
    func pathClosed(_ path: Int, wasOpen: Bool, channel: Channel, reason: String?)
    /// A line for the operator's log.
    func log(_ line: String)
    /// A connection starts its handshake; false refuses it (too many handshakes under way).
    func handshakeBegan() -> Bool
    /// A connection that `handshakeBegan` finished its handshake, or closed before.
    func handshakeEnded()
}

/// One path's connection: the challenge-response handshake, then mirror messages both ways.
///
/// Not thread-safe (a channel handler): used only on its channel's event loop. A frame that is
/// corrupt, cut off or fails authentication, a body that is not a message, or a failed handshake
/// closes the channel and is logged once with the peer's address and the reason; the node then
/// counts the path as failed (never as data). Once the handshake succeeds, `PathSealHandler`
/// authenticates every frame with keys derived from both nonces, and frames up to
/// `FrameCodec.maxBody` are accepted (`FrameLimit`; handshake-sized before).
final class PathHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Which end of the connection this is.
    enum Role {
        /// The secondary's end: sends the challenge, checks the response.
        case listener
        /// The primary's end, connecting for `path`.
        case connector(path: Int)
    }

    private enum State {
        case awaitingResponse(listenerNonce: [UInt8])
        case awaitingChallenge(path: Int)
        case awaitingAccept(path: Int, listenerNonce: [UInt8], connectorNonce: [UInt8])
        case open(path: Int)
        /// Refused after the handshake; the node still counts the path up until it is inactive.
        case closing(path: Int)
        case closed
    }

    /// How long a handshake may take before the connection is dropped.
    static let handshakeTimeout = TimeAmount.seconds(5)

    private let endpoint: PathEndpoint
    private let role: Role
    private let seal: PathSealHandler
    private let limit: FrameLimit
    private var state: State
    private var reason: String?
    /// Whether this connection counts among the endpoint's pending handshakes.
    private var countedAsPending = false

    init(role: Role, endpoint: PathEndpoint, seal: PathSealHandler, limit: FrameLimit) {
        self.role = role
        self.endpoint = endpoint
        self.seal = seal
        self.limit = limit
        switch role {
        case .listener: state = .closed
        case .connector(let path): state = .awaitingChallenge(path: path)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        if case .listener = role {
            guard endpoint.handshakeBegan() else {
                let peer = context.channel.remoteAddress.map { "\($0)" } ?? "unknown peer"
                endpoint.log("refused connection from \(peer): too many connections in their handshake")
                context.close(promise: nil)
                return context.fireChannelActive()
            }
            countedAsPending = true
            let nonce = PathAuthenticator.nonce()
            state = .awaitingResponse(listenerNonce: nonce)
            write(.challenge(nonce: nonce), context)
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: Self.handshakeTimeout) {
            let (handler, context) = bound.value
            switch handler.state {
            case .open, .closing, .closed: break
            default: handler.refuse("handshake timed out", context)
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .closing, .closed: return
        default: break
        }
        let message: WireMessage
        do {
            message = try WireMessage.decode(unwrapInboundIn(data))
        } catch {
            return refuse("malformed message: \(error)", context)
        }
        switch (state, message) {
        case let (.open(path), .mirror(mirror)):
            endpoint.pathReceived(path, mirror)
        case let (.open(path), .farewell):
            if case .listener = role { endpoint.pathFarewell(path) } else { refuse("unexpected farewell", context) }
        case let (.awaitingResponse(listenerNonce), .response(path, connectorNonce, mac)):
            let auth = endpoint.authenticator
            guard (0..<endpoint.pathCount).contains(path),
                  auth.checkConnector(mac, listenerNonce: listenerNonce, connectorNonce: connectorNonce, path: path)
            else {
                return refuse("authentication failed (wrong key or bad path \(path))", context)
            }
            // The accept goes out as it is; every frame after it is authenticated.
            write(.accept(mac: auth.listenerProof(
                listenerNonce: listenerNonce, connectorNonce: connectorNonce, path: path)), context)
            let keys = auth.frameKeys(listenerNonce: listenerNonce, connectorNonce: connectorNonce, path: path)
            seal.start(sendKey: keys.listenerToConnector, receiveKey: keys.connectorToListener)
            guard endpoint.pathAuthenticated(path, channel: context.channel) else {
                return refuse("path \(path) is already connected", context)
            }
            opened(path)
        case let (.awaitingChallenge(path), .challenge(listenerNonce)):
            let connectorNonce = PathAuthenticator.nonce()
            state = .awaitingAccept(path: path, listenerNonce: listenerNonce, connectorNonce: connectorNonce)
            let proof = endpoint.authenticator.connectorProof(
                listenerNonce: listenerNonce, connectorNonce: connectorNonce, path: path)
            write(.response(path: path, nonce: connectorNonce, mac: proof), context)
        case let (.awaitingAccept(path, listenerNonce, connectorNonce), .accept(mac)):
            guard endpoint.authenticator.checkListener(
                mac, listenerNonce: listenerNonce, connectorNonce: connectorNonce, path: path)
            else {
                return refuse("the listener failed authentication (wrong key)", context)
            }
            let keys = endpoint.authenticator.frameKeys(
                listenerNonce: listenerNonce, connectorNonce: connectorNonce, path: path)
            seal.start(sendKey: keys.connectorToListener, receiveKey: keys.listenerToConnector)
            guard endpoint.pathAuthenticated(path, channel: context.channel) else {
                return refuse("path \(path) is already connected", context)
            }
            opened(path)
        default:
            refuse("unexpected \(Self.name(message)) during the handshake", context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        endpoint.pathReadComplete()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        refuse("\(error)", context)
    }

    /// The handshake of `path` succeeded: full-sized frames from now on.
    private func opened(_ path: Int) {
        state = .open(path: path)
        limit.maxBody = FrameCodec.maxBody
        endHandshake()
    }

    /// Gives back this connection's place among the pending handshakes, once.
    private func endHandshake() {
        guard countedAsPending else { return }
        countedAsPending = false
        endpoint.handshakeEnded()
    }

    func channelInactive(context: ChannelHandlerContext) {
        var path = -1, wasOpen = false
        switch (state, role) {
        case (.open(let p), _), (.closing(let p), _): (path, wasOpen) = (p, true)
        case (_, .connector(let p)): path = p
        default: break
        }
        state = .closed
        endHandshake()
        endpoint.pathClosed(path, wasOpen: wasOpen, channel: context.channel, reason: reason)
        context.fireChannelInactive()
    }

    /// Logs why the connection is dropped (once, with the peer's address and the path if
    /// known), and drops it.
    private func refuse(_ why: String, _ context: ChannelHandlerContext) {
        let peer = context.channel.remoteAddress.map { "\($0)" } ?? "unknown peer"
        switch state {
        case .open(let path):
            endpoint.log("closed path \(path) from \(peer): \(why)")
            // Kept open until `channelInactive` reports it, so that the node counts the path down.
            reason = why
            state = .closing(path: path)
        case .closing, .closed:
            return
        default:
            endpoint.log("refused connection from \(peer): \(why)")
            reason = why
            state = .closed
        }
        endHandshake()
        context.close(promise: nil)
    }

    private func write(_ message: WireMessage, _ context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 80)
        message.encode(into: &buffer)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private static func name(_ message: WireMessage) -> String {
        switch message {
        case .challenge: "challenge"
        case .response: "response"
        case .accept: "accept"
        case .mirror: "mirror message"
        case .farewell: "farewell"
        }
    }
}
