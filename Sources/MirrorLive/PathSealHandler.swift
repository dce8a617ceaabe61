import Crypto
import Foundation
import NIOCore

/// Why a frame after the handshake was refused.
package enum FrameAuthenticationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The frame's tag does not match: forged, altered, replayed, reordered or dropped on the way.
    case badTag(frame: UInt64)
    /// The frame is too short to hold a tag.
    case tooShort(frame: UInt64, length: Int)
    /// The frame's tag is right but its messages do not add up (a peer that is not ours).
    case malformedBatch(frame: UInt64)

    /// A sentence for the operator's log.
    package var description: String {
        switch self {
        case .badTag(let frame): "frame \(frame) failed authentication (forged, altered or replayed)"
        case let .tooShort(frame, length): "frame \(frame) failed authentication (\(length) bytes, shorter than its tag)"
        case .malformedBatch(let frame): "frame \(frame) is authenticated but its messages do not add up"
        }
    }
}

/// Authenticates one direction of a path's frames after the handshake: AES-GCM used as a MAC
/// (GMAC) over the whole frame body, with a key for this direction (`PathAuthenticator.frameKeys`)
/// and the frame's number in this direction as the nonce. The 16-byte tag follows the body.
///
/// The number is never sent: each end counts, so a frame recorded and sent again, dropped, or
/// moved carries a tag for another number and fails, as does any altered byte. Bodies are
/// authenticated, not encrypted (the mirror's threat is forgery on the interconnect).
///
/// Not thread-safe: a value owned by one channel handler.
struct FrameSealer {
    /// Bytes of the tag after each body.
    static let tagSize = 16

    private let key: SymmetricKey
    /// The number of the next frame in this direction.
    private(set) var counter: UInt64 = 0

    /// A sealer with this direction's key.
    init(key: SymmetricKey) { self.key = key }

    /// The nonce of frame `counter`: four zero bytes, then the number (big-endian).
    private func nonce() -> AES.GCM.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        withUnsafeBytes(of: counter.bigEndian) { bytes.replaceSubrange(4..<12, with: $0) }
        return try! AES.GCM.Nonce(data: bytes)
    }

    /// Appends the tag of the next frame to `body`.
    mutating func seal(_ body: inout ByteBuffer) {
        let nonce = nonce()
        counter += 1
        let box = body.withUnsafeReadableBytes { bytes in
            try! AES.GCM.seal([UInt8](), using: key, nonce: nonce, authenticating: bytes)
        }
        body.writeBytes(box.tag)
    }

    /// Checks the tag of the next frame and strips it from `frame`.
    mutating func open(_ frame: inout ByteBuffer) throws(FrameAuthenticationError) {
        let number = counter
        guard frame.readableBytes >= Self.tagSize else { throw .tooShort(frame: number, length: frame.readableBytes) }
        let nonce = nonce()
        counter += 1
        let bodyLength = frame.readableBytes - Self.tagSize
        let tag = frame.getBytes(at: frame.readerIndex + bodyLength, length: Self.tagSize)!
        let valid: Bool = frame.withUnsafeReadableBytes { bytes in
            guard let box = try? AES.GCM.SealedBox(nonce: nonce, ciphertext: [UInt8](), tag: tag) else { return false }
            return (try? AES.GCM.open(box, using: key, authenticating: UnsafeRawBufferPointer(rebasing: bytes[..<bodyLength]))) != nil
        }
        guard valid else { throw .badTag(frame: number) }
        frame.moveWriterIndex(to: frame.readerIndex + bodyLength)
    }
}

/// Seals every frame a path writes and opens every frame it reads once the handshake is done
/// (`start`); before that, frames pass as they are. Sits between the framing and the
/// `PathHandler`. A frame that fails is reported as an error (the path handler logs it with the
/// peer and closes the connection) and everything after it is dropped.
///
/// After `start`, the messages written between two flushes go out as one sealed frame (up to
/// `batchLimit` bytes, then another): `[UInt32 count]`, then each message as `[UInt32 length]
/// [body]`, then the tag (`FrameSealer`). One tag per batch instead of one per message keeps the
/// cost of authentication (a fixed cost per AES-GCM call, more than the hashing itself) off
/// each record, and every message is still covered by exactly one tag and one frame number.
///
/// Not thread-safe (a channel handler): used only on its channel's event loop.
final class PathSealHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Bytes a batch may grow to before it is sealed without waiting for the flush: 64 KiB
    /// (a path shaper's burst).
    static let batchLimit = 64 << 10

    private var sending: FrameSealer?
    private var receiving: FrameSealer?
    private var broken = false
    /// The batch being built: a count placeholder, then length-prefixed messages.
    private var batch: ByteBuffer?
    private var batchCount = 0
    private var batchPromises: [EventLoopPromise<Void>] = []

    /// Seals what is written from now on with `sendKey`; opens what is read from now on with
    /// `receiveKey`.
    func start(sendKey: SymmetricKey, receiveKey: SymmetricKey) {
        sending = FrameSealer(key: sendKey)
        receiving = FrameSealer(key: receiveKey)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !broken else { return }
        guard receiving != nil else { return context.fireChannelRead(data) }
        var frame = unwrapInboundIn(data)
        let number = receiving!.counter
        do {
            try receiving!.open(&frame)
        } catch {
            broken = true
            return context.fireErrorCaught(error)
        }
        // An authenticated batch: split it into its messages.
        guard let count = frame.readInteger(as: UInt32.self), Int(count) <= frame.readableBytes / 4 + 1 else {
            broken = true
            return context.fireErrorCaught(FrameAuthenticationError.malformedBatch(frame: number))
        }
        for _ in 0..<count {
            guard let length = frame.readInteger(as: UInt32.self), let message = frame.readSlice(length: Int(length)) else {
                broken = true
                return context.fireErrorCaught(FrameAuthenticationError.malformedBatch(frame: number))
            }
            context.fireChannelRead(wrapInboundOut(message))
            if broken { return }
        }
        if frame.readableBytes > 0 {
            broken = true
            context.fireErrorCaught(FrameAuthenticationError.malformedBatch(frame: number))
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard sending != nil else { return context.write(data, promise: promise) }
        let message = unwrapOutboundIn(data)
        if batch == nil {
            batch = context.channel.allocator.buffer(capacity: min(Self.batchLimit, message.readableBytes * 16) + 64)
            batch!.writeInteger(UInt32(0))
        }
        batch!.writeInteger(UInt32(message.readableBytes))
        batch!.writeImmutableBuffer(message)
        batchCount += 1
        if let promise { batchPromises.append(promise) }
        if batch!.readableBytes >= Self.batchLimit { emit(context) }
    }

    func flush(context: ChannelHandlerContext) {
        emit(context)
        context.flush()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode != .input {
            batch = nil
            batchCount = 0
            let promises = batchPromises
            batchPromises = []
            for waiting in promises { waiting.fail(ChannelError.ioOnClosedChannel) }
        }
        context.close(mode: mode, promise: promise)
    }

    /// Seals the batch built so far and passes it on as one frame.
    private func emit(_ context: ChannelHandlerContext) {
        guard var sealed = batch else { return }
        sealed.setInteger(UInt32(batchCount), at: sealed.readerIndex)
        sending!.seal(&sealed)
        let promises = batchPromises
        batch = nil
        batchCount = 0
        batchPromises = []
        var promise: EventLoopPromise<Void>?
        if !promises.isEmpty {
            promise = context.eventLoop.makePromise()
            promise!.futureResult.whenComplete { result in
                for waiting in promises { waiting.completeWith(result) }
            }
        }
        context.write(wrapOutboundOut(sealed), promise: promise)
    }
}
