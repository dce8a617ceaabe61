import Mirror
import NIOCore

/// A client workload for the live primary: how many writes, how they are keyed, and when to
/// fail a path, bring it back, and crash.
public struct MirrorWorkload: Sendable {
    /// Writes to submit.
    public var records: Int
    /// Writes outstanding (submitted, not committed) at most.
    public var window = 1024
    /// Payload bytes per write.
    public var payloadSize = 64
    /// Distinct keys; write `i` uses key `i % keys`.
    public var keys = 64
    /// Every `barrierEvery`-th write depends on the write before it (0: no barriers).
    public var barrierEvery = 16
    /// Close this path's connection once `afterRecords` writes were submitted.
    package var failPath: (path: Int, afterRecords: Int)?
    /// Dial this path again once `afterRecords` writes were submitted (after `failPath` took it
    /// down): it passes the handshake again and takes streams again once it is up.
    package var restorePath: (path: Int, afterRecords: Int)?
    /// Crash the primary once this many writes were submitted.
    package var crashAfter: Int?
    /// Paces the client: write `i` (from 0) is submitted no earlier than `i / writesPerSecond`
    /// seconds after the run starts (and only while the window has room); nil submits as fast
    /// as the window allows.
    public var writesPerSecond: Int?
    /// Whether to time each write from its submission to its commit, on the primary's loop
    /// clock (`MirrorWorkloadResult.commitLatencies`).
    public var measuresCommitLatency = false

    /// Makes a workload of `records` writes.
    public init(records: Int) { self.records = records }

    /// The payload of write `index` (from 0), which a fresh primary logs as lsn `index + 1`:
    /// derived from the index, so a copy of the log can be checked byte for byte.
    package static func payload(index: Int, size: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: size) { bytes, count in
            let base = index &* 31
            for i in 0..<size { bytes[i] = UInt8(truncatingIfNeeded: base &+ i) }
            count = size
        }
    }
}

/// What a workload run did.
public struct MirrorWorkloadResult: Sendable {
    /// Writes submitted.
    public var submitted: Int
    /// Writes committed (acknowledged to the client).
    public var committed: Int
    /// The lsns committed, in the order their clients were acknowledged.
    public var committedLSNs: [Int]
    /// Whether the primary crashed.
    public var crashed: Bool
    /// The core's counters: sends per path, resends.
    public var stats: MirrorPrimary.Stats
    /// From submission to commit, per committed write in commit order; empty unless the
    /// workload `measuresCommitLatency`.
    public var commitLatencies: [Duration] = []
    /// Every time a path came back after it went down, with the entries it carried since.
    public var comebacks: [MirrorPathComeback] = []
}

/// The workload's progress, on the primary's loop.
struct WorkloadState {
    var plan: MirrorWorkload
    var promise: EventLoopPromise<MirrorWorkloadResult>
    var submitted = 0
    var outstanding = 0
    var failed = false
    var restored = false
    /// The path restored, until it is back (or `comebackWait` passed): no write goes out meanwhile.
    var awaitingComeback: Int?
    /// Ends the wait for the comeback.
    var comebackTimer: Scheduled<Void>?
    var committedLSNs: [Int] = []
    /// When the run started (the pace counts from it).
    var startedAt = NIODeadline.now()
    /// The timer that submits the next paced write.
    var paceTimer: Scheduled<Void>?
    /// Submission times (uptime nanoseconds) of uncommitted writes by lsn, when measuring.
    var submittedAt: [Int: UInt64] = [:]
    var commitLatencies: [Duration] = []

    /// Notes the commit of `lsn`: its latency, if it was timed.
    mutating func committed(_ lsn: Int) {
        guard let start = submittedAt.removeValue(forKey: lsn) else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        commitLatencies.append(.nanoseconds(Int64(truncatingIfNeeded: now &- start)))
    }
}

extension MirrorPrimaryNode {
    /// Runs `workload` to its end: every write committed, or the crash it asks for.
    ///
    /// Throws `MirrorLiveError.degraded` if every path goes down while writes are outstanding.
    public func run(_ workload: MirrorWorkload) async throws -> MirrorWorkloadResult {
        let future = try await loop.submit {
            guard self.workload == nil, self.core.mode == .running else {
                let error = MirrorLiveError.notRunning("a workload needs a fresh running primary")
                return self.loop.makeFailedFuture(error) as EventLoopFuture<MirrorWorkloadResult>
            }
            let promise = self.loop.makePromise(of: MirrorWorkloadResult.self)
            self.workload = WorkloadState(plan: workload, promise: promise)
            self.pump()
            return promise.futureResult
        }.get()
        return try await future.get()
    }

    /// Submits writes until the window is full; fails the path and crashes when the plan says.
    ///
    /// Works on `workload` in place: closing a path or performing actions can call back into
    /// the node (a path reported down), which may call `pump` again; that nested call returns
    /// at once and this one carries on with the current state.
    func pump() {
        guard !pumping, workload != nil, core.mode == .running else { return }
        pumping = true
        defer { pumping = false }
        while let plan = workload?.plan {
            let submitted = workload!.submitted
            if let fail = plan.failPath, !workload!.failed, submitted >= fail.afterRecords {
                workload!.failed = true
                log("failing path \(fail.path) after \(submitted) records")
                holdPathDown(fail.path)
                continue
            }
            if let restore = plan.restorePath, !workload!.restored, submitted >= restore.afterRecords {
                workload!.restored = true
                log("restoring path \(restore.path) after \(submitted) records")
                restorePathNow(restore.path)
                // The writes after M wait for the comeback (a dial and a handshake), or a short
                // run would end before it and the path would come back after the workload.
                workload!.awaitingComeback = restore.path
                workload!.comebackTimer = loop.scheduleTask(in: Self.comebackWait) {
                    guard let path = self.workload?.awaitingComeback else { return }
                    self.log("path \(path) did not come back within \(Self.comebackWait.nanoseconds / 1_000_000_000) s: "
                             + "the workload goes on without it")
                    self.workload?.awaitingComeback = nil
                    self.pump()
                }
                continue
            }
            if workload!.awaitingComeback != nil { break }
            if let crash = plan.crashAfter, submitted >= crash {
                log("crashing after \(submitted) records")
                crashNow()
                return
            }
            guard submitted < plan.records, workload!.outstanding < plan.window else { break }
            if let rate = plan.writesPerSecond, !paced(submitted, rate: rate) { break }
            let deps = plan.barrierEvery > 0 && submitted % plan.barrierEvery == 0 && core.lastLSN > 0 ? [core.lastLSN] : []
            let payload = MirrorWorkload.payload(index: submitted, size: plan.payloadSize)
            workload!.submitted += 1
            workload!.outstanding += 1
            let key = UInt64(submitted % max(plan.keys, 1))
            if plan.measuresCommitLatency {
                workload!.submittedAt[core.lastLSN + 1] = NIODeadline.now().uptimeNanoseconds
            }
            perform(core.handle(.write(.init(key: key, payload: payload, deps: deps))))
        }
        paths.flush()
        if let state = workload, state.submitted == state.plan.records, state.outstanding == 0,
           state.awaitingComeback == nil { finishWorkload() }
    }

    /// Whether paced write `index` is due; if not, sets a timer (one at a time) to pump then.
    private func paced(_ index: Int, rate: Int) -> Bool {
        let start = workload!.startedAt.uptimeNanoseconds
        let due = start + UInt64(Double(index) * 1e9 / Double(max(rate, 1)))
        guard NIODeadline.now().uptimeNanoseconds < due else { return true }
        if workload!.paceTimer == nil {
            workload!.paceTimer = loop.scheduleTask(deadline: .uptimeNanoseconds(due)) {
                self.workload?.paceTimer = nil
                self.pump()
            }
        }
        return false
    }

    /// How long the writes after `--restore-path`'s M wait for the path to be back.
    static let comebackWait = TimeAmount.seconds(5)

    /// Completes the workload with what it did.
    func finishWorkload() {
        guard let state = workload else { return }
        workload = nil
        state.paceTimer?.cancel()
        state.comebackTimer?.cancel()
        state.promise.succeed(MirrorWorkloadResult(
            submitted: state.submitted, committed: core.stats.committed, committedLSNs: state.committedLSNs,
            crashed: core.mode == .crashed, stats: core.stats, commitLatencies: state.commitLatencies,
            comebacks: closedComebacks()))
    }

    /// Fails the workload.
    func failWorkload(_ error: Error) {
        guard let state = workload else { return }
        workload = nil
        state.paceTimer?.cancel()
        state.comebackTimer?.cancel()
        state.promise.fail(error)
    }
}
