import NIOCore

extension MirrorSecondaryNode {
    /// Waits for the takeover and returns the new epoch; throws
    /// `MirrorLiveError.takeoverTimedOut` after `seconds`, or `stoppedWithoutTakeover`.
    public func waitForTakeover(seconds: Int) async throws -> Int {
        let loop = tookOver.eventLoop
        let future = try await loop.submit { () -> EventLoopFuture<Int> in
            let winner = loop.makePromise(of: Int.self)
            let settled = NIOLoopBoundBox(false, eventLoop: loop)
            let timeout = loop.scheduleTask(in: .seconds(Int64(seconds))) {
                guard !settled.value else { return }
                settled.value = true
                winner.fail(MirrorLiveError.takeoverTimedOut(seconds: seconds))
            }
            self.tookOver.whenComplete { result in
                guard !settled.value else { return }
                settled.value = true
                timeout.cancel()
                winner.completeWith(result)
            }
            return winner.futureResult
        }.get()
        return try await future.get()
    }
}
