import Mirror
import NIOCore
import NIOPosix

/// The secondary's group commit: what was appended to its log file, what is fsynced, and the
/// messages waiting for the fsync.
///
/// Records of every path are appended on the node's loop; one thread of `pool` writes and
/// fsyncs them a batch at a time. While a batch is being synced the next one grows (from any
/// path), and it goes out in one fsync as soon as the first is done: fsyncs are grouped across
/// paths, never one per path in turn. A message the core sends after a record (an ack) waits
/// until that record is fsynced; messages keep their order.
///
/// Not thread-safe: a value owned by the node, changed only on its loop.
struct GroupCommit {
    /// The thread that writes and fsyncs the log; nil without a log file.
    var pool: NIOThreadPool?
    /// Frames appended to the log so far (records and the takeover).
    var appended = 0
    /// Frames known to be fsynced.
    var durable = 0
    /// The `appended` count the batch being synced now brings `durable` to, if one is.
    var inFlight: Int?
    /// Messages waiting for the fsync of every frame appended before them, in send order.
    var held = CircularBuffer<(upTo: Int, path: Int, message: MirrorMessage)>()
    /// Promises waiting for frames to be fsynced.
    var waiters: [(upTo: Int, promise: EventLoopPromise<Void>)] = []
    /// A write or fsync failed: nothing more is acknowledged.
    var failed = false
}

extension MirrorSecondaryNode {
    /// Sends `message` on `path` now if every frame appended is fsynced (or there is no log
    /// file), else once they are.
    func sendAfterCommit(_ message: MirrorMessage, on path: Int) {
        guard logFile != nil, commit.durable < commit.appended || !commit.held.isEmpty else {
            return paths.send(message, on: path)
        }
        guard !commit.failed else { return }
        commit.held.append((commit.appended, path, message))
    }

    /// Hands the batch appended so far to the sync thread, unless a batch is being synced (the
    /// new one goes when that one is done).
    func startSync() {
        guard commit.inFlight == nil, !commit.failed, let logFile, let pool = commit.pool,
              let batch = logFile.takeBatch()
        else { return }
        let upTo = commit.appended, descriptor = logFile.descriptor, path = logFile.path
        commit.inFlight = upTo
        pool.runIfActive(eventLoop: loop) {
            try MirrorLogFile.write(batch, to: descriptor, path: path)
        }.whenComplete { result in
            self.commit.inFlight = nil
            switch result {
            case .success: self.synced(upTo: upTo)
            case .failure(let error): self.commitFailed(error)
            }
        }
    }

    /// Frames up to `upTo` are fsynced: sends what waited for them, then syncs the next batch.
    private func synced(upTo: Int) {
        commit.durable = max(commit.durable, upTo)
        while let first = commit.held.first, first.upTo <= commit.durable {
            commit.held.removeFirst()
            paths.send(first.message, on: first.path)
        }
        paths.flush()
        let durable = commit.durable
        let ready = commit.waiters.filter { $0.upTo <= durable }
        commit.waiters.removeAll { $0.upTo <= durable }
        for waiter in ready { waiter.promise.succeed(()) }
        startSync()
    }

    /// The log cannot be written: the node stops acknowledging and drops its paths (it must not
    /// acknowledge what it could not keep).
    private func commitFailed(_ error: Error) {
        log("\(error): stopping, nothing more is acknowledged")
        commit.failed = true
        commit.held.removeAll()
        stopping = true
        paths.closeAll()
        for waiter in commit.waiters { waiter.promise.fail(error) }
        commit.waiters.removeAll()
        settleTakeover(nil)
    }

    /// Completes once every frame up to `upTo` is fsynced (fails if the log cannot be written).
    func whenDurable(_ upTo: Int) -> EventLoopFuture<Void> {
        if upTo <= commit.durable { return loop.makeSucceededVoidFuture() }
        if commit.failed { return loop.makeFailedFuture(MirrorLiveError.notRunning("the log file cannot be written")) }
        let promise = loop.makePromise(of: Void.self)
        commit.waiters.append((upTo, promise))
        return promise.futureResult
    }

    /// Writes the takeover into the log and settles `tookOver` once it (and every record before
    /// it) is fsynced.
    func takeOver(epoch: Int, records: Int) {
        guard let logFile else {
            log("took over at epoch \(epoch) with \(records) records")
            return settleTakeover(epoch)
        }
        logFile.appendTakeover(epoch: epoch)
        commit.appended += 1
        let upTo = commit.appended
        startSync()
        whenDurable(upTo).whenComplete { result in
            switch result {
            case .success:
                self.log("took over at epoch \(epoch) with \(records) records, fsynced in \(logFile.path)")
                self.settleTakeover(epoch)
            case .failure:
                self.settleTakeover(nil)
            }
        }
    }

    /// Closes the log file: first writes and fsyncs everything appended (`keepingBatch`), or
    /// drops what was not handed to the sync thread yet (a crash) and waits for the batch in
    /// flight; then stops the sync thread.
    func closeLog(keepingBatch: Bool) async {
        _ = try? await loop.flatSubmit { () -> EventLoopFuture<Void> in
            guard let logFile = self.logFile else { return self.loop.makeSucceededVoidFuture() }
            if keepingBatch {
                self.startSync()
                return self.whenDurable(self.commit.appended)
            }
            _ = logFile.takeBatch()
            return self.whenDurable(self.commit.inFlight ?? self.commit.durable)
        }.get()
        let pool = try? await loop.submit { () -> NIOThreadPool? in
            try? self.logFile?.close()
            self.logFile = nil
            defer { self.commit.pool = nil }
            return self.commit.pool
        }.get()
        if let pool = pool ?? nil { try? await pool.shutdownGracefully() }
    }
}
