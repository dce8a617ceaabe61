import Driver
import Trace

/// Drives a `DriverCore` over a `VolatileCacheDevice` with a seeded scheduler: outstanding I/O
/// completes in random order (carried out with `BlockDevice.perform`, as every runtime does),
/// power fails when the test says, and what survives a cut is random (lost, durable or torn
/// writes). Its events feed the shared `DriverContentsModel`, so `expectedDataArea()` says what
/// the data area must hold. Not thread-safe; one test owns it.
final class SimulatedDriver {
    let base: MemoryBlockDevice
    let device: VolatileCacheDevice
    var core = DriverCore()
    var rng: SplitMix64
    /// Every event recorded, in order.
    var events: [TraceEvent] = []
    var outstanding: [(IOTicket, DeviceOperation)] = []
    /// What the data area must hold, learned from `events` (from the format on).
    var model = DriverContentsModel()
    /// Every request submitted, by id: the bytes the model asks for.
    var requests: [Int: WriteRequest] = [:]
    var completed: [Int] = []
    var syncsDone: [Int: Int] = [:]
    var refusals: [RequestRefusal] = []
    var readResults: [Int: [UInt8]] = [:]
    var summaries: [RecoverySummary] = []
    var failure: DriverImageError?
    var stopped = false
    /// How often completions come out of order (0: FIFO).
    var shuffle = true

    init(blockSize: Int = 4096, blockCount: Int, seed: UInt64) {
        base = MemoryBlockDevice(blockSize: blockSize, blockCount: blockCount, name: "sim")
        device = VolatileCacheDevice(base: base, name: "sim-cache")
        rng = SplitMix64(seed: seed)
    }

    /// Formats the device and runs until online.
    func format(staging: StagingConfig) {
        send(.format(blockSize: device.blockSize, blockCount: device.blockCount, staging: staging, nonce: UInt32(truncatingIfNeeded: rng.next())))
        drain()
        if core.layout != nil { model = DriverContentsModel(base: dataArea()) }
    }

    /// Feeds one input and takes its actions.
    func send(_ input: DriverCore.Input) {
        if case let .submit(request) = input, requests[request.id] == nil { requests[request.id] = request }
        apply(core.handle(input))
    }

    func apply(_ actions: [DriverCore.Action]) {
        for action in actions {
            if let io = action.deviceOperation {
                outstanding.append(io)
                continue
            }
            switch action {
            case let .record(event): record(event)
            case .write, .patch, .flush, .read: break // device I/O, queued above
            case let .complete(id): completed.append(id)
            case let .syncDone(iface): syncsDone[iface, default: 0] += 1
            case let .serveRead(ticket, pieces, overlay):
                readResults[ticket.raw] = try! device.readBytes(pieces: pieces, overlay: overlay)
            case let .refused(why): refusals.append(why)
            case let .online(summary): summaries.append(summary)
            case let .failed(error): failure = error
            case .stopped: stopped = true
            }
        }
    }

    /// Completes one outstanding I/O (a random one when shuffling); false when there is none.
    @discardableResult
    func step() -> Bool {
        guard !outstanding.isEmpty else { return false }
        let i = shuffle ? Int(rng.next() % UInt64(outstanding.count)) : 0
        let (ticket, operation) = outstanding.remove(at: i)
        send(.completed(ticket, bytes: try! device.perform(operation)))
        return true
    }

    /// Runs I/O (and `idle` whenever nothing is outstanding) until nothing is left to do.
    func drain() {
        while true {
            if !step() {
                send(.idle)
                if outstanding.isEmpty { return }
            }
        }
    }

    /// Cuts the power: outstanding I/O is dropped, the cache keeps a random subset (some torn).
    @discardableResult
    func powerCut(tornFraction: Double = 0.5) -> CutReport {
        outstanding = []
        let report = try! device.cut(seed: rng.next(), tornFraction: tornFraction)
        send(.powerLoss)
        return report
    }

    /// Takes a recorded event: the trace and the model; after the `online` that ends a recovery,
    /// the finished epoch is folded into the model's base.
    func record(_ event: TraceEvent) {
        events.append(event)
        let wasRecovering = model.recovering
        model.observe(event)
        if wasRecovering, case .online = event.kind, model.baseCount > 0 { model.fold(bytes: bytes(of:)) }
    }

    /// The bytes of a request the model names.
    func bytes(of request: DriverContentsModel.Request) -> [UInt8] { requests[request.id]!.bytes }

    /// What the data area must hold now, by the model: after a recovery, what it left; while
    /// serving, with every staged request written (what a read through the driver returns).
    func expectedDataArea() -> [UInt8] { model.expected(bytes: bytes(of:)) }

    /// The data area as the platter (plus cache) holds it now.
    func dataArea() -> [UInt8] {
        let layout = core.layout!
        return try! device.readBytes(pieces: core.dataRanges(offset: 0, length: layout.dataBytes), overlay: [])
    }

    /// Reads through the driver (staging over the device).
    func read(offset: Int, length: Int) -> [UInt8]? {
        let ticket = ReadTicket(readResults.count + 1_000_000)
        send(.read(ticket, offset: offset, length: length))
        return readResults.removeValue(forKey: ticket.raw)
    }
}
