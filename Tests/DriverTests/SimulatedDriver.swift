import Driver
import Trace

/// Drives a `DriverCore` over a `VolatileCacheDevice` with a seeded scheduler: outstanding I/O
/// completes in random order, power fails when the test says, and what survives a cut is
/// random (lost, durable or torn writes). Not thread-safe; one test owns it.
final class SimulatedDriver {
    enum Op {
        case write(block: Int, bytes: [UInt8])
        case patch([ByteExtent])
        case flush
        case read(block: Int, count: Int)
    }

    let base: MemoryBlockDevice
    let device: VolatileCacheDevice
    var core = DriverCore()
    var rng: SplitMix64
    /// Every event recorded, in order.
    var events: [TraceEvent] = []
    var outstanding: [(IOTicket, Op)] = []
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
    }

    /// Feeds one input and takes its actions.
    func send(_ input: DriverCore.Input) {
        apply(core.handle(input))
    }

    func apply(_ actions: [DriverCore.Action]) {
        for action in actions {
            switch action {
            case let .record(event): events.append(event)
            case let .write(t, block, bytes): outstanding.append((t, .write(block: block, bytes: bytes)))
            case let .patch(t, extents): outstanding.append((t, .patch(extents)))
            case let .flush(t): outstanding.append((t, .flush))
            case let .read(t, block, count): outstanding.append((t, .read(block: block, count: count)))
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
        let (ticket, op) = outstanding.remove(at: i)
        var bytes: [UInt8]?
        switch op {
        case let .write(block, data): try! device.write(block: block, data, fua: false)
        case let .patch(extents): try! device.patch(extents)
        case .flush: try! device.flush()
        case let .read(block, count): bytes = try! device.read(block: block, count: count)
        }
        send(.completed(ticket, bytes: bytes))
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
