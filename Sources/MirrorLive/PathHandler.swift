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
    /// A batch of reads ended: time to flush what the node wrote meanwhile.
    func pathReadComplete()
    /// The connection of `path` closed (-1: a listener's connection that never said its path);
    /// `wasOpen` tells whether its handshake had succeeded.
    func pathClosed(_ path: Int, wasOpen: Bool, channel: Channel, reason: String?)
    /// A line for the operator's log.
    func log(_ line: String)
}

/// One path's connection: the challenge-response handshake, then mirror messages both ways.
///
/// Not thread-safe (a channel handler): used only on its channel's event loop. A frame that is
/// corrupt or cut off, a body that is not a message, or a failed handshake closes the channel;
/// the node then counts the path as failed (never as data).
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
        case closed
    }

    /// How long a handshake may take before the connection is dropped.
    static let handshakeTimeout = TimeAmount.seconds(5)

    private let endpoint: PathEndpoint
    private let role: Role
    private var state: State
    private var reason: String?

    init(role: Role, endpoint: PathEndpoint) {
        self.role = role
        self.endpoint = endpoint
        switch role {
        case .listener: state = .closed
        case .connector(let path): state = .awaitingChallenge(path: path)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        if case .listener = role {
            let nonce = PathAuthenticator.nonce()
            state = .awaitingResponse(listenerNonce: nonce)
            write(.challenge(nonce: nonce), context)
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: Self.handshakeTimeout) {
            let (handler, context) = bound.value
            switch handler.state {
            case .open, .closed: break
            default: handler.refuse("handshake timed out", context)
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message: WireMessage
        do {
            message = try WireMessage.decode(unwrapInboundIn(data))
        } catch {
            return refuse("malformed message: \(error)", context)
        }
        switch (state, message) {
        case let (.open(path), .mirror(mirror)):
            endpoint.pathReceived(path, mirror)
        case let (.awaitingResponse(listenerNonce), .response(path, connectorNonce, mac)):
            let auth = endpoint.authenticator
            guard (0..<endpoint.pathCount).contains(path),
                  auth.checkConnector(mac, listenerNonce: listenerNonce, connectorNonce: connectorNonce, path: path)
            else {
                return refuse("authentication failed (wrong key or bad path \(path))", context)
            }
            guard endpoint.pathAuthenticated(path, channel: context.channel) else {
                return refuse("path \(path) is already connected", context)
            }
            state = .open(path: path)
            write(.accept(mac: auth.listenerProof(
                listenerNonce: listenerNonce, connectorNonce: connectorNonce, path: path)), context)
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
            guard endpoint.pathAuthenticated(path, channel: context.channel) else {
                return refuse("path \(path) is already connected", context)
            }
            state = .open(path: path)
        default:
            refuse("unexpected \(Self.name(message)) during the handshake", context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        endpoint.pathReadComplete()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        reason = reason ?? "\(error)"
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        var path = -1, wasOpen = false
        switch (state, role) {
        case (.open(let p), _): (path, wasOpen) = (p, true)
        case (_, .connector(let p)): path = p
        default: break
        }
        state = .closed
        endpoint.pathClosed(path, wasOpen: wasOpen, channel: context.channel, reason: reason)
        context.fireChannelInactive()
    }

    /// Logs why the connection is dropped, and drops it.
    private func refuse(_ why: String, _ context: ChannelHandlerContext) {
        let peer = context.channel.remoteAddress.map { "\($0)" } ?? "unknown peer"
        endpoint.log("refused connection from \(peer): \(why)")
        reason = why
        state = .closed
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
        }
    }
}
