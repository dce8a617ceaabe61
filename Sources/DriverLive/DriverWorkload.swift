import Driver
import Foundation
import Trace

/// The random workload of `plumb record driver`: concurrent writers on several interfaces, a
/// power cut at a chosen request, and a byte-for-byte check of what survived.
///
/// `requests` writes go through `ifaces` interfaces at once (one task each, each submitting its
/// share in order; ids 1...`requests` come from one global counter). Each request's offset and
/// length are a function of the seed and its id: mostly 512 B...8 KiB at any offset, some
/// (`largePercent`) up to 256 KiB, never above what a staging region takes. About `depPercent`
/// of the requests name 1...3 deps among the ids the driver knows in the epoch; each interface
/// syncs every `syncEvery` requests and at its end. Bytes are `DriverModel.payload`.
///
/// With `crashAt`, the last `cacheWindow` requests up to it go out with the device's flushes
/// held and without periodic syncs, and once request `crashAt` was staged the power is cut
/// (`LiveDriver.powerCut`, which lands while writes sit in the volatile cache, so the cache holds
/// the window's writes since the last flush that went ahead): requests past it wait while the
/// driver recovers, the other interfaces' calls in flight finish (or fail with the power), and
/// the data area is verified against the model before the workload goes on. At the end the
/// driver is shut down, the device mounted again, and verified once more.
package struct DriverWorkload: Sendable {
    /// Writes in all.
    package var requests: Int
    /// Interfaces (concurrent writers).
    package var ifaces: Int
    /// Cut the power once this request (1...`requests`) was submitted.
    package var crashAt: Int?
    /// Names the workload: sizes, offsets, payloads, deps, the cut's outcome.
    package var seed: UInt64
    /// Each interface syncs after this many of its requests.
    package var syncEvery = 200
    /// Percent of requests with deps.
    package var depPercent = 5
    /// Percent of requests larger than 8 KiB.
    package var largePercent = 3
    /// The largest request (before the region limit).
    package var largeMax = 256 << 10
    /// The requests up to `crashAt` that go out with the device's flushes held
    /// (`LiveDriver.holdFlushes`) and without the interfaces' periodic syncs: a disk slow to
    /// flush before the power goes, so that the cut finds their writes in its cache.
    package var cacheWindow = 1000
    /// How likely the cut tears a cached write of several sectors (`LiveDriver.powerCut`).
    package var tornFraction = 0.5

    /// What the data area held before the workload.
    package enum InitialContent: Sendable {
        /// Zeros: a freshly formatted image.
        case zeros
        /// Whatever the image holds: the touched ranges are read through the driver first.
        case readFromDevice
    }

    /// The power cut and what came of it.
    package struct Crash: Sendable {
        /// The request after which the power was cut.
        package var afterRequest: Int
        /// What the volatile cache lost, kept and tore.
        package var cut: CutReport
        /// What recovery found.
        package var recovery: RecoverySummary
        /// Requests of the crashed epoch recovery named, and those it did not (lost).
        package var recovered: Int
        /// Requests of the crashed epoch that were lost.
        package var lost: Int
        /// The data area against the model, right after recovery.
        package var verification: DriverVerification
    }

    /// What a run did.
    package struct Report: Sendable {
        /// Writes attempted.
        package var requests = 0
        /// Writes that completed (staged).
        package var staged = 0
        /// Writes that failed because the power was cut while they waited.
        package var lostInFlight = 0
        /// Bytes of the completed writes.
        package var bytes = 0
        /// Writes that named deps.
        package var withDeps = 0
        /// Syncs that finished, and those the power cut ended.
        package var syncs = 0
        /// Syncs that failed because the power was cut.
        package var syncsLost = 0
        /// Wall time of the writes and syncs, from the first submit to the end of the shutdown,
        /// without the verification after the crash.
        package var elapsed: Duration = .zero
        /// The power cut, if there was one.
        package var crash: Crash?
        /// What the mount after the shutdown found.
        package var remount: RecoverySummary?
        /// The data area against the model after shutdown and mount.
        package var finalVerification: DriverVerification?
        /// Driver events seen in the trace.
        package var events = DriverTraceCounts()

        /// Whether every verification passed.
        package var passed: Bool {
            (crash?.verification.passed ?? true) && (finalVerification?.passed ?? false)
        }
    }

    /// A workload; see each property.
    package init(requests: Int, ifaces: Int, crashAt: Int? = nil, seed: UInt64 = 1) {
        self.requests = requests
        self.ifaces = ifaces
        self.crashAt = crashAt
        self.seed = seed
    }

    /// Where request `id` writes and how much: a function of the seed and the id, within a data
    /// area of `dataBytes`, at most `maxBytes`.
    package func geometry(id: Int, dataBytes: Int, maxBytes: Int) -> (offset: Int, length: Int) {
        var random = SplitMix64(seed: seed &+ UInt64(truncatingIfNeeded: id) &* 0x9E37_79B9_7F4A_7C15)
        func uniform(_ range: ClosedRange<Int>) -> Int {
            range.lowerBound + Int(random.next() % UInt64(range.count))
        }
        var length = random.next() % 100 < UInt64(max(largePercent, 0)) && largeMax > 8192
            ? uniform(8193 ... largeMax) : uniform(512 ... 8192)
        length = max(1, min(length, maxBytes, dataBytes))
        return (uniform(0 ... dataBytes - length), length)
    }

    /// Every range requests 1...`requests` write: what an image's initial content must cover.
    package func touchedRanges(dataBytes: Int, maxBytes: Int) -> [Range<Int>] {
        DriverModel.merged((1 ... max(requests, 1)).map { id in
            let g = geometry(id: id, dataBytes: dataBytes, maxBytes: maxBytes)
            return g.offset ..< g.offset + g.length
        })
    }

    /// Runs the workload on `driver` (over `device`), whose recorder is `model`; shuts the
    /// driver down, mounts `device` again and verifies it.
    ///
    /// Throws a driver error that the workload did not expect (one before the power cut, or
    /// other than a lost power or a refusal while recovering); mismatches are in the report.
    package func run(
        driver: LiveDriver, device: any BlockDevice, model: DriverModel, initial: InitialContent = .zeros
    ) async throws -> Report {
        let maxBytes = driver.maxRequestBytes(deps: 3)
        let dataBytes = driver.layout.dataBytes
        if case .readFromDevice = initial {
            try await model.captureInitial(through: driver, ranges: touchedRanges(dataBytes: dataBytes, maxBytes: maxBytes))
        }
        let gate = WorkloadGate(crashAt: crashAt, tasks: ifaces)
        let clock = ContinuousClock()
        let started = clock.now
        var report = Report()
        try await withThrowingTaskGroup(of: Report.self) { group in
            for iface in 0 ..< ifaces {
                let share = requests / ifaces + (iface < requests % ifaces ? 1 : 0)
                group.addTask {
                    do {
                        let tally = try await submit(share, iface: iface, driver, model, gate, dataBytes, maxBytes)
                        gate.finish()
                        return tally
                    } catch {
                        throw gate.abort(error)
                    }
                }
            }
            for try await tally in group {
                report.requests += tally.requests
                report.staged += tally.staged
                report.lostInFlight += tally.lostInFlight
                report.bytes += tally.bytes
                report.withDeps += tally.withDeps
                report.syncs += tally.syncs
                report.syncsLost += tally.syncsLost
            }
        }
        try await driver.shutdown()
        report.crash = gate.crash
        report.elapsed = started.duration(to: clock.now) - gate.pausedFor
        report.events = model.counts
        let (mounted, summary) = try await LiveDriver.mount(device: device, recorder: DiscardingRecorder())
        report.remount = summary
        report.finalVerification = try await model.verify(through: mounted, label: "after shutdown and mount")
        try await mounted.shutdown()
        return report
    }

    /// One interface's share of the requests, in order; the request `crashAt` cuts the power.
    private func submit(
        _ share: Int, iface: Int, _ driver: LiveDriver, _ model: DriverModel, _ gate: WorkloadGate,
        _ dataBytes: Int, _ maxBytes: Int
    ) async throws -> Report {
        var tally = Report()
        var random = SplitMix64(seed: seed ^ 0xDE95_0000 &+ UInt64(iface))
        let window = crashAt.map { max(1, $0 - max(cacheWindow, 0) + 1) ... $0 }
        for n in 1 ... max(share, 1) where share > 0 {
            guard let id = await gate.nextID() else { throw gate.failure }
            let inWindow = window?.contains(id) ?? false
            if id == window?.lowerBound, cacheWindow > 0 { driver.holdFlushes() }
            let (offset, length) = geometry(id: id, dataBytes: dataBytes, maxBytes: maxBytes)
            var deps: [Int] = []
            if random.next() % 100 < UInt64(max(depPercent, 0)) {
                deps = model.knownIDs(1 + Int(random.next() % 3), using: &random)
            }
            let request = WriteRequest(
                iface: iface, id: id, offset: offset, bytes: model.payload(id: id, length: length), deps: deps)
            tally.requests += 1
            if !deps.isEmpty { tally.withDeps += 1 }
            do {
                try await driver.write(request)
                tally.staged += 1
                tally.bytes += length
            } catch where gate.crashStarted && Self.isPowerCutError(error) {
                tally.lostInFlight += 1
            }
            if id == crashAt { try await cutPower(after: id, driver, model, gate) }
            if (n % max(syncEvery, 1) == 0 && !inWindow) || n == share {
                do {
                    try await driver.sync(iface: iface)
                    tally.syncs += 1
                } catch where gate.crashStarted && Self.isPowerCutError(error) {
                    tally.syncsLost += 1
                }
            }
        }
        return tally
    }

    /// Cuts the power, waits for recovery and for the other interfaces to stop, verifies the
    /// data area, and lets the others go on.
    private func cutPower(after id: Int, _ driver: LiveDriver, _ model: DriverModel, _ gate: WorkloadGate) async throws {
        gate.startCrash()
        // The cut lands once the I/O thread has nothing left but flushes (see `powerCut`): the
        // cache then holds every write since the last flush that went ahead, most of the
        // window's (its flushes were held).
        var random = SplitMix64(seed: seed ^ 0xC0_7C07)
        let cut = try await driver.powerCut(seed: random.next(), tornFraction: tornFraction)
        guard await gate.quiesce() else { throw gate.failure }
        let clock = ContinuousClock()
        let paused = clock.now
        let fates = model.crashFates()
        let verification = try await model.verify(through: driver, label: "after the power cut and recovery")
        gate.crash = Crash(
            afterRequest: id, cut: cut, recovery: driver.lastRecovery!, recovered: fates.recovered,
            lost: fates.lost, verification: verification)
        gate.release(pausedFor: paused.duration(to: clock.now))
    }

    /// Whether `error` is what a call gets for the power cut: it waited when the power went, or
    /// came while the driver recovered, or named a dep the crash made unknown.
    static func isPowerCutError(_ error: any Error) -> Bool {
        if let error = error as? LiveDriverError { return error == .powerLost }
        if let refusal = error as? RequestRefusal {
            switch refusal {
            case .notOnline, .unknownDependency: return true
            default: return false
            }
        }
        return false
    }
}

/// Hands out request ids and holds the interfaces back while the power is cut and the data
/// area verified. Thread-safe: one lock.
final class WorkloadGate: @unchecked Sendable {
    private let lock = Locked(())
    private let crashAt: Int?
    private var next = 1
    /// Tasks neither parked nor finished.
    private var active: Int
    private var parked: [CheckedContinuation<Bool, Never>] = []
    private var quiet: CheckedContinuation<Bool, Never>?
    private var released = false
    private var aborted = false
    private var firstError: (any Error)?
    private var started = false
    private var paused: Duration = .zero
    private var outcome: DriverWorkload.Crash?

    init(crashAt: Int?, tasks: Int) {
        self.crashAt = crashAt
        active = tasks
    }

    /// Whether the power cut has begun: from then on, calls may fail with it.
    var crashStarted: Bool { lock.withLock { _ in started } }
    /// Time the workload stood still for the verification after the crash.
    var pausedFor: Duration { lock.withLock { _ in paused } }
    /// The crash, once verified.
    var crash: DriverWorkload.Crash? {
        get { lock.withLock { _ in outcome } }
        set { lock.withLock { _ in outcome = newValue } }
    }

    /// The next id; past the crash point, only once the crash was verified. Nil if aborted.
    func nextID() async -> Int? {
        let (id, mustPark): (Int, Bool) = lock.withLock { _ in
            defer { next += 1 }
            return (next, crashAt.map { next > $0 && !released } ?? false)
        }
        if mustPark {
            let go = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let wake: [(CheckedContinuation<Bool, Never>, Bool)] = lock.withLock { _ in
                    if released || aborted { return [(continuation, !aborted)] }
                    parked.append(continuation)
                    active -= 1
                    return quietWakeup()
                }
                for (c, value) in wake { c.resume(returning: value) }
            }
            if !go { return nil }
        }
        return lock.withLock { _ in aborted } ? nil : id
    }

    /// A task finished its share.
    func finish() {
        let wake = lock.withLock { _ in
            active -= 1
            return quietWakeup()
        }
        for (c, value) in wake { c.resume(returning: value) }
    }

    /// The crash begins.
    func startCrash() { lock.withLock { _ in started = true } }

    /// Waits until every other task is parked or finished; false if aborted.
    func quiesce() async -> Bool {
        await withCheckedContinuation { continuation in
            let now: Bool? = lock.withLock { _ in
                if aborted { return false }
                if active <= 1 { return true }
                quiet = continuation
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// Lets the parked tasks go on.
    func release(pausedFor: Duration) {
        let waiting = lock.withLock { _ in
            released = true
            paused = pausedFor
            active += parked.count
            defer { parked = [] }
            return parked
        }
        for c in waiting { c.resume(returning: true) }
    }

    /// The error that stopped the workload (the first task's to fail).
    var failure: any Error { lock.withLock { _ in firstError ?? CancellationError() } }

    /// A task failed with `error`: every waiter goes on, and stops. Returns the first error.
    func abort(_ error: any Error) -> any Error {
        let (waiting, first): ([CheckedContinuation<Bool, Never>], any Error) = lock.withLock { _ in
            if firstError == nil { firstError = error }
            aborted = true
            var all = parked
            parked = []
            if let quiet { all.append(quiet) }
            quiet = nil
            return (all, firstError!)
        }
        for c in waiting { c.resume(returning: false) }
        return first
    }

    /// The crash task's wakeup once it is the only active one (lock held).
    private func quietWakeup() -> [(CheckedContinuation<Bool, Never>, Bool)] {
        guard active <= 1, let q = quiet else { return [] }
        quiet = nil
        return [(q, true)]
    }
}
