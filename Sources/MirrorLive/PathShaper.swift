import NIOCore

/// Limits the bytes a path's connection writes to a rate, as a slower interconnect would: an
/// outbound handler next to the socket that holds flushed frames in order and lets them out as
/// a `TokenBucket` allows.
///
/// Not thread-safe (a channel handler): used only on its channel's event loop, whose clock
/// (`EventLoop.now`) drives the bucket. While the bucket is in debt the held frames wait
/// for a timer, at least `minimumWait` long so that each wakeup lets out a batch, not one frame.
/// Closing the channel fails the writes still held, as a dead connection loses them.
final class PathShaper: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The burst a path may send at once after being idle: 64 KiB.
    static let burst = 64 << 10
    /// The shortest timer to wait for credit: 1 ms.
    static let minimumWait = 1_000_000

    private var bucket: TokenBucket?
    private let bytesPerSecond: Int
    /// Writes held back, oldest first; the first `flushed` of them were flushed.
    private var held = CircularBuffer<(ByteBuffer, EventLoopPromise<Void>?)>()
    private var flushed = 0
    private var wakeup: Scheduled<Void>?

    /// A shaper letting out `bytesPerSecond` at most.
    init(bytesPerSecond: Int) {
        self.bytesPerSecond = bytesPerSecond
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        held.append((unwrapOutboundIn(data), promise))
    }

    func flush(context: ChannelHandlerContext) {
        flushed = held.count
        release(context)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode != .input { dropHeld() }
        context.close(mode: mode, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        dropHeld()
    }

    /// Lets out the flushed writes the bucket allows now; sets a timer for the rest.
    private func release(_ context: ChannelHandlerContext) {
        guard wakeup == nil, flushed > 0 else { return }
        let now = Int(truncatingIfNeeded: context.eventLoop.now.uptimeNanoseconds)
        var bucket = self.bucket ?? TokenBucket(bytesPerSecond: bytesPerSecond, burst: Self.burst, now: now)
        defer { self.bucket = bucket }
        var wrote = false
        while flushed > 0 {
            let wait = bucket.spend(held.first!.0.readableBytes, at: now)
            if wait > 0 {
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                wakeup = context.eventLoop.scheduleTask(in: .nanoseconds(Int64(max(wait, Self.minimumWait)))) {
                    let (shaper, context) = bound.value
                    shaper.wakeup = nil
                    shaper.release(context)
                }
                break
            }
            let (buffer, promise) = held.removeFirst()
            flushed -= 1
            context.write(wrapOutboundOut(buffer), promise: promise)
            wrote = true
        }
        if wrote { context.flush() }
    }

    /// Cancels the timer and fails every held write.
    private func dropHeld() {
        wakeup?.cancel()
        wakeup = nil
        flushed = 0
        while let (_, promise) = held.popFirst() { promise?.fail(ChannelError.ioOnClosedChannel) }
    }
}
