import Driver
import Foundation
import Trace

/// The state behind a `LiveDriver`: the core, the queue of device operations, the waiting
/// callers. One `NSCondition` is both the lock and what the I/O thread sleeps on.
///
/// Thread-safe (`@unchecked Sendable`): every field is read and written with `condition` held,
/// except `device`, which only the I/O thread calls, and the constants.
final class DriverRuntime: @unchecked Sendable {
    /// A write waiting for its `complete`.
    enum WriteSlot {
        /// Submitted by a caller that has not parked yet.
        case pending
        /// Finished before its caller parked: nil when staged, else the error.
        case finished((any Error)?)
        /// Its caller is suspended here.
        case parked(CheckedContinuation<Void, any Error>)
    }

    /// What a submit did before its caller had to wait.
    enum SubmitOutcome {
        case staged
        case waiting
        case failed(any Error)
    }

    /// The state behind `condition`.
    struct State {
        var core = DriverCore()
        /// Jobs not yet started, oldest at `head`.
        var queue: [IOJob] = []
        var head = 0
        var writes: [Int: WriteSlot] = [:]
        /// Per interface, the syncs waiting, oldest first.
        var syncs: [Int: [CheckedContinuation<Void, any Error>]] = [:]
        var reads: [Int: CheckedContinuation<[UInt8], any Error>] = [:]
        var nextRead = 0
        /// The format or mount waiting for `online`.
        var start: CheckedContinuation<RecoverySummary, any Error>?
        /// A power cut asked for, not yet carried out by the I/O thread.
        var cut: CutRequest?
        /// The power fails for good (`halt`) once the I/O thread has nothing left but flushes.
        var halting = false
        /// `holdFlushes` was called (see `flushesHeld`).
        var holdingFlushes = false
        /// The flushes taken off the queue while held, oldest first: done once the hold lifts,
        /// dropped with the power.
        var heldFlushes: [IOTicket] = []
        /// A power cut carried out, waiting for recovery to reach `online`.
        var recovering: (report: CutReport, continuation: CheckedContinuation<CutReport, any Error>)?
        var shutdown: CheckedContinuation<Void, any Error>?
        /// Why the driver serves no more: a fatal error, or `LiveDriverError.stopped`.
        var closed: (any Error)?
        /// The I/O thread should end once the queue is empty.
        var exit = false
        /// The I/O thread sleeps on `condition`; `signaled` once woken and not yet running.
        var ioWaiting = false
        var signaled = false
        /// The I/O thread should feed `.idle` once nothing else is queued.
        var idleDue = false
        var lastRecovery: RecoverySummary?
        var statistics = LiveDriverStatistics()
        /// The I/O thread has returned.
        var threadFinished = false

        /// Whether a device operation waits to be started.
        var hasQueued: Bool { head < queue.count }

        /// Whether a caller waits on a flush: a write for room in staging (room is freed only
        /// after one), a sync, or a shutdown.
        var callerWaitsOnFlush: Bool {
            shutdown != nil || syncs.values.contains { !$0.isEmpty }
                || writes.values.contains { if case .finished = $0 { false } else { true } }
        }

        /// Whether flushes are to be held: while a power failure is on its way (it ends every
        /// waiter), and after `holdFlushes` while no caller waits on a flush (then they go
        /// ahead, so a hold never keeps a caller waiting). See `DriverRuntime.holdsFlush`.
        var flushesHeld: Bool { cut != nil || halting || (holdingFlushes && !callerWaitsOnFlush) }
    }

    /// A power cut for the I/O thread to carry out.
    struct CutRequest {
        var seed: UInt64
        var tornFraction: Double
        var cache: VolatileCacheDevice
        var continuation: CheckedContinuation<CutReport, any Error>
    }

    let condition = NSCondition()
    var state = State()
    /// Only the I/O thread calls it.
    let device: any BlockDevice
    /// `device` as a volatile cache, if it is one: whether it holds unflushed writes decides
    /// whether a flush is held (only the I/O thread calls it).
    let cache: VolatileCacheDevice?
    let deviceName: String
    let recorder: any TraceRecorder
    let clock = ContinuousClock()
    let epoch: ContinuousClock.Instant

    init(device: any BlockDevice, recorder: any TraceRecorder, lastSeq: Int = 0) {
        state.core = DriverCore(lastSeq: lastSeq)
        self.device = device
        cache = device as? VolatileCacheDevice
        self.recorder = recorder
        deviceName = (device as? CustomStringConvertible)?.description ?? String(describing: type(of: device))
        epoch = clock.now
    }

    /// Runs `body` with the state, holding the lock.
    func withState<R>(_ body: (inout State) -> R) -> R {
        condition.lock()
        defer { condition.unlock() }
        return body(&state)
    }

    /// The core's layout, once formatted or mounted.
    func currentLayout() -> DeviceLayout? { withState { $0.core.layout } }

    /// Starts the I/O thread.
    func startThread() {
        let thread = Thread { [self] in ioLoop() }
        thread.name = "plumb-driver-io"
        thread.start()
    }

    // MARK: - Callers

    /// Feeds `.format` or `.mount`; `continuation` gets the summary at `online`.
    func begin(_ input: DriverCore.Input, _ continuation: CheckedContinuation<RecoverySummary, any Error>) {
        var wake = Wakeups()
        condition.lock()
        state.start = continuation
        var refusal: RequestRefusal?
        carryOut(state.core.handle(input), refusal: &refusal, &wake)
        if let refusal {
            // Not reachable for a new core; if it were, the thread would have nothing to serve.
            close(with: refusal, &wake)
        }
        condition.unlock()
        wake.run()
    }

    /// Submits a write; staged at once, waiting for room, or refused.
    func submit(_ request: WriteRequest) -> SubmitOutcome {
        var wake = Wakeups()
        condition.lock()
        let outcome = submitLocked(request, &wake)
        condition.unlock()
        wake.run()
        return outcome
    }

    private func submitLocked(_ request: WriteRequest, _ wake: inout Wakeups) -> SubmitOutcome {
        if let error = unavailable() { return .failed(error) }
        // An id still in flight is a duplicate whatever the core knows (it may be of a lost epoch).
        guard state.writes[request.id] == nil else { return .failed(RequestRefusal.duplicateID(request.id)) }
        state.writes[request.id] = .pending
        var refusal: RequestRefusal?
        carryOut(state.core.handle(.submit(request)), refusal: &refusal, &wake)
        if let refusal {
            state.writes[request.id] = nil
            return .failed(refusal)
        }
        state.idleDue = true
        wakeIOThread()
        if case let .finished(error) = state.writes[request.id] {
            state.writes[request.id] = nil
            return error.map { .failed($0) } ?? .staged
        }
        return .waiting
    }

    /// Suspends the caller of a submitted write until its `complete` (or an error).
    func park(id: Int, _ continuation: CheckedContinuation<Void, any Error>) {
        condition.lock()
        switch state.writes[id] {
        case .pending:
            state.writes[id] = .parked(continuation)
            condition.unlock()
        case let .finished(error):
            state.writes[id] = nil
            condition.unlock()
            if let error { continuation.resume(throwing: error) } else { continuation.resume() }
        case .parked, nil:
            // Not reachable: only the submitting caller parks its id, once.
            condition.unlock()
            continuation.resume(throwing: LiveDriverError.stopped)
        }
    }

    /// Feeds a sync; `continuation` resumes at its `syncDone`.
    func sync(iface: Int, _ continuation: CheckedContinuation<Void, any Error>) {
        var wake = Wakeups()
        condition.lock()
        if let error = unavailable() {
            wake.voids.append((continuation, error))
        } else {
            state.syncs[iface, default: []].append(continuation)
            var refusal: RequestRefusal?
            carryOut(state.core.handle(.sync(iface: iface)), refusal: &refusal, &wake)
            if let refusal, let mine = state.syncs[iface]?.popLast() {
                if state.syncs[iface]?.isEmpty == true { state.syncs[iface] = nil }
                wake.voids.append((mine, refusal))
            }
            // A waiting sync lifts a hold of flushes: the I/O thread lets the held ones go.
            wakeIOThread(force: !state.heldFlushes.isEmpty)
        }
        condition.unlock()
        wake.run()
    }

    /// Feeds a read; `continuation` gets the bytes once the I/O thread served it.
    func read(offset: Int, length: Int, _ continuation: CheckedContinuation<[UInt8], any Error>) {
        var wake = Wakeups()
        condition.lock()
        if let error = unavailable() {
            wake.reads.append((continuation, .failure(error)))
        } else {
            state.nextRead += 1
            let ticket = state.nextRead
            state.reads[ticket] = continuation
            var refusal: RequestRefusal?
            carryOut(state.core.handle(.read(ReadTicket(ticket), offset: offset, length: length)), refusal: &refusal, &wake)
            if let refusal, let mine = state.reads.removeValue(forKey: ticket) {
                wake.reads.append((mine, .failure(refusal)))
            }
        }
        condition.unlock()
        wake.run()
    }

    /// Feeds `.shutdown`; `continuation` resumes at `stopped`.
    func shutdown(_ continuation: CheckedContinuation<Void, any Error>) {
        var wake = Wakeups()
        condition.lock()
        if let error = unavailable() {
            wake.voids.append((continuation, error))
        } else if state.shutdown != nil {
            wake.voids.append((continuation, RequestRefusal.notOnline))
        } else {
            state.shutdown = continuation
            var refusal: RequestRefusal?
            carryOut(state.core.handle(.shutdown), refusal: &refusal, &wake)
            if let refusal, let mine = state.shutdown {
                state.shutdown = nil
                wake.voids.append((mine, refusal))
            }
            wakeIOThread(force: !state.heldFlushes.isEmpty)
        }
        condition.unlock()
        wake.run()
    }

    /// Asks the I/O thread to cut the power.
    func requestCut(seed: UInt64, tornFraction: Double, _ continuation: CheckedContinuation<CutReport, any Error>) {
        var failure: (any Error)?
        condition.lock()
        if let closed = state.closed {
            failure = closed
        } else if state.cut != nil {
            failure = LiveDriverError.cutInProgress
        } else if state.halting {
            failure = LiveDriverError.powerLost
        } else if let cache = device as? VolatileCacheDevice {
            state.cut = CutRequest(seed: seed, tornFraction: tornFraction, cache: cache, continuation: continuation)
            wakeIOThread(force: true)
        } else {
            failure = LiveDriverError.noVolatileCache(device: deviceName)
        }
        condition.unlock()
        if let failure { continuation.resume(throwing: failure) }
    }

    /// Holds the device's flushes from now on (see `LiveDriver.holdFlushes()`).
    func holdFlushes() {
        withState { $0.holdingFlushes = true }
    }

    /// The power fails for good: flushes are held, the I/O thread runs everything else it has
    /// and then closes the driver with `powerLost` (see `LiveDriver.halt()`). Waits for the I/O
    /// thread to return (so that no operation touches the device afterwards); returns the last
    /// seq recorded.
    func halt() -> Int {
        condition.lock()
        if state.closed == nil, !state.halting {
            state.halting = true
            wakeIOThread(force: true)
        }
        while !state.threadFinished { condition.wait() }
        let seq = state.core.lastSeq
        condition.unlock()
        return seq
    }

    /// The facade was dropped: the I/O thread ends without carrying out what is queued.
    func abandon() {
        var wake = Wakeups()
        condition.lock()
        if !state.exit { close(with: LiveDriverError.stopped, &wake) }
        condition.unlock()
        wake.run()
    }

    /// Why a new call cannot be taken now, if it cannot (lock held).
    private func unavailable() -> (any Error)? {
        if let closed = state.closed { return closed }
        if state.cut != nil || state.halting { return LiveDriverError.powerLost }
        return nil
    }

    /// Wakes the I/O thread if it sleeps (lock held). Without `force`, only when it has
    /// something to do.
    func wakeIOThread(force: Bool = false) {
        guard state.ioWaiting, !state.signaled, force || state.hasQueued || state.idleDue else { return }
        state.signaled = true
        condition.signal()
    }
}

