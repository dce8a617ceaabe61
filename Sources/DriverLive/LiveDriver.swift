import Driver
import Foundation
import Trace

/// The driver on a real device: carries out a `DriverCore`'s actions and feeds it what happens,
/// recording its trace with the recorder it was given. What `plumb record driver` runs and what
/// a user would embed.
///
/// One I/O thread (a dedicated `Thread`) executes the core's device operations one at a time, in
/// the order the core issued them (`BlockDevice.perform`, as every runtime of the core does),
/// and feeds the completions back in batches; when nothing is queued it feeds `.idle`, so that a
/// partly filled staging region gets sealed. Callers talk to the core directly: `write` returns
/// when the request is staged (its `complete`), suspending while staging is full; `sync` when
/// the interface's earlier writes are durable; `read` with the device's bytes under the staged
/// ones. Power cuts and halts land while writes sit in the device's volatile cache (see
/// `powerCut`).
///
/// Thread-safe: every method may be called from any task or thread at once. The core and every
/// waiter sit behind one lock, which also keeps the recorded order of events equal to their seq
/// order; the lock is never held during device I/O, and continuations are resumed after it is
/// released. Calls are not cancellable: each one ends with the driver's answer.
///
/// Errors: a refused submit, sync or read throws the core's `RequestRefusal`; a `BlockDeviceError`
/// on the I/O thread is fatal (every waiting call throws it, and so does every later call);
/// `LiveDriverError` covers the rest (a failed mount, power lost while waiting, after shutdown).
public final class LiveDriver: Sendable {
    let runtime: DriverRuntime

    /// Where things live on the image (fixed from format or mount on).
    public let layout: DeviceLayout

    private init(runtime: DriverRuntime, layout: DeviceLayout) {
        self.runtime = runtime
        self.layout = layout
    }

    deinit {
        // Dropped without a shutdown: the I/O thread stops, as if the process died.
        runtime.abandon()
    }

    /// Formats a new image on `device` (its geometry decides the layout), then serves it.
    ///
    /// `nonce` anchors the image's journal chain, so that segments of an earlier image on the
    /// same device are never replayed; by default a random one. Nothing is recorded: the trace
    /// starts with the first request. Throws `LiveDriverError.image` when the device cannot hold
    /// the layout, or the `BlockDeviceError` of a failed write.
    public static func format(
        device: any BlockDevice, staging: StagingConfig = StagingConfig(), recorder: any TraceRecorder,
        nonce: UInt32 = UInt32.random(in: 0 ... .max)
    ) async throws -> LiveDriver {
        let input = DriverCore.Input.format(
            blockSize: device.blockSize, blockCount: device.blockCount, staging: staging, nonce: nonce)
        let (driver, _) = try await start(device: device, recorder: recorder, input: input)
        return driver
    }

    /// Mounts the image on `device`: recovers what its journal holds (quietly: an earlier run's
    /// requests are not in this trace), then serves it. Returns the driver and what recovery found.
    ///
    /// A device that is not a driver image, or whose superblocks or ledger are damaged, throws
    /// `LiveDriverError.image` naming the device, and is left as it was: the core only reads
    /// before it fails, and no device operation runs after the failure.
    public static func mount(
        device: any BlockDevice, recorder: any TraceRecorder
    ) async throws -> (LiveDriver, RecoverySummary) {
        try await start(
            device: device, recorder: recorder,
            input: .mount(blockSize: device.blockSize, blockCount: device.blockCount))
    }

    /// Restarts the driver after a power loss that ended an earlier `LiveDriver` of the same
    /// trace (the whole controller lost power; see `halt()`): records `crash`, recovers the
    /// journal (`recovered` ... `online`, seq numbers going on from `lastSeq`), then serves.
    /// Throws as `mount` does.
    public static func recover(
        device: any BlockDevice, recorder: any TraceRecorder, lastSeq: Int
    ) async throws -> LiveDriver {
        let input = DriverCore.Input.recover(blockSize: device.blockSize, blockCount: device.blockCount)
        return try await start(device: device, recorder: recorder, input: input, lastSeq: lastSeq).0
    }

    /// The power fails for the whole controller, this driver's process with it. It lands as a
    /// cut does (see `powerCut`): flushes are held from now on while the cache holds unflushed
    /// writes (all of them, on a device that is no `VolatileCacheDevice`), and once the I/O
    /// thread has carried out everything else and fed the core until nothing but held flushes
    /// is left, the driver stops: waiting calls throw `LiveDriverError.powerLost`, and nothing more is
    /// recorded. Returns the last seq recorded, for the `recover` that takes the trace over.
    /// The device's cache is the caller's to cut: it holds every write since the last flush
    /// that completed.
    package func halt() -> Int {
        runtime.halt()
    }

    /// Holds the device's flushes from now on, as a disk that is slow to finish a flush: every
    /// other device operation goes on, but a flush over unflushed cached writes waits (until the
    /// next power cut or halt, which drops it), so whatever is written from now on is still in
    /// the volatile cache when the power goes. While a caller waits on a flush (a
    /// write for room in staging, a sync, a shutdown) they go ahead, and are held again once
    /// none does, so a hold never keeps a caller waiting. For tests and `plumb record`, to cut
    /// the power with writes in flight whatever the timing: nothing the driver was told durable
    /// is at risk.
    package func holdFlushes() {
        runtime.holdFlushes()
    }

    private static func start(
        device: any BlockDevice, recorder: any TraceRecorder, input: DriverCore.Input, lastSeq: Int = 0
    ) async throws -> (LiveDriver, RecoverySummary) {
        let runtime = DriverRuntime(device: device, recorder: recorder, lastSeq: lastSeq)
        runtime.startThread()
        let summary = try await withCheckedThrowingContinuation { continuation in
            runtime.begin(input, continuation)
        }
        return (LiveDriver(runtime: runtime, layout: runtime.currentLayout()!), summary)
    }

    /// Submits a write; returns once it is staged (its completion), suspending while staging is
    /// full. Staged is not durable: `sync` makes it so.
    ///
    /// Throws the core's `RequestRefusal` (out of range, too large, a duplicate id, an unknown
    /// dep, not online), `LiveDriverError.powerLost` when power is cut before it is staged,
    /// or the driver's fatal error.
    public func write(_ request: WriteRequest) async throws {
        switch runtime.submit(request) {
        case .staged:
            return
        case let .failed(error):
            throw error
        case .waiting:
            try await withCheckedThrowingContinuation { continuation in
                runtime.park(id: request.id, continuation)
            }
        }
    }

    /// Returns once everything submitted on `iface` before this call is durable. Syncs of one
    /// interface finish in the order they were made.
    ///
    /// Throws a `RequestRefusal`, `LiveDriverError.powerLost` when power is cut first, or the
    /// driver's fatal error.
    public func sync(iface: Int) async throws {
        try await withCheckedThrowingContinuation { continuation in
            runtime.sync(iface: iface, continuation)
        }
    }

    /// The `length` bytes at `offset` of the data area, as a caller sees them: the device's bytes
    /// with every staged write laid over them, newest last.
    ///
    /// Throws a `RequestRefusal` (out of range, not online), `LiveDriverError.powerLost`, or the
    /// driver's fatal error.
    public func read(offset: Int, length: Int) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { continuation in
            runtime.read(offset: offset, length: length, continuation)
        }
    }

    /// Makes everything durable, checkpoints it and stops; returns at the core's `stopped`.
    /// Later calls throw `LiveDriverError.stopped`. The device stays open (its owner closes it).
    public func shutdown() async throws {
        try await withCheckedThrowingContinuation { continuation in
            runtime.shutdown(continuation)
        }
    }

    /// Cuts the power, for tests and `plumb record`: only on a `VolatileCacheDevice`.
    ///
    /// The cut lands while writes sit in the cache: from this call on, calls are refused with
    /// `LiveDriverError.powerLost` and a flush is held (not carried out, as a disk that had not
    /// finished it) whenever the cache holds unflushed writes; the I/O thread carries out every
    /// other operation and feeds the core their completions (and `idle`) until nothing but held
    /// flushes is left (or nothing at all), so the cache holds every write since the last flush
    /// that completed. Then the held
    /// flushes are dropped and the cache's `cut(seed:tornFraction:)` decides which unflushed
    /// writes survive (one of several sectors is torn with probability `tornFraction`); the core
    /// records `crash` and recovers (`recovered` ... `online`). Every call waiting on a write,
    /// sync or read throws `LiveDriverError.powerLost`; calls made until the core is online
    /// again are refused. Returns what the cut did once the core is online; throws when
    /// recovery fails (`LiveDriverError.failed`) or the device does (`BlockDeviceError`).
    package func powerCut(seed: UInt64, tornFraction: Double = 0.25) async throws -> CutReport {
        try await withCheckedThrowingContinuation { continuation in
            runtime.requestCut(seed: seed, tornFraction: tornFraction, continuation)
        }
    }

    /// What the last format, mount or recovery found.
    public var lastRecovery: RecoverySummary? { runtime.withState { $0.lastRecovery } }

    /// Counts of the device operations carried out so far.
    package var statistics: LiveDriverStatistics { runtime.withState { $0.statistics } }

    /// The largest request (in bytes) with `deps` dependencies that one staging region takes.
    public func maxRequestBytes(deps: Int = 0) -> Int {
        layout.maxRequestBytes(deps: deps)
    }
}
