import Driver
import Trace

/// What the data area must hold, byte for byte, as the driver's trace tells it (the model of
/// `DriverCrashTests`): the data area as of the last recovery, and the requests of the current
/// epoch in arrival order.
///
/// After a recovery, the data area must be the old one with exactly the recovered requests of
/// the crashed epoch written over it in arrival order: a durable write lost, a torn or stale
/// one shown, or two overlapping writes landing in the wrong order all make it differ. After a
/// shutdown, every request of the epoch must be there.
struct DriverContentsModel: Sendable {
    /// The data area as of the last `online` (as the format found it, at first).
    private(set) var base: [UInt8]
    /// A stable hash of `base`, for fingerprints.
    private(set) var baseDigest: UInt64
    /// The current epoch's requests, in arrival (submit) order.
    private(set) var arrivals: [Int] = []
    /// Whether a crash ended the epoch and its recovery has not reached `online` yet.
    private(set) var recovering = false
    /// The ids recovered since the epoch's crash, in every pass of its recovery (a pass cut by
    /// another power loss may have replayed and checkpointed them already).
    private(set) var recovered: Set<Int> = []
    /// The ids recovered by the current (or last) recovery pass: what the core knows as deps in
    /// the next epoch.
    private(set) var recoveredThisPass: [Int] = []

    /// A model of a freshly formatted data area holding `base`.
    init(base: [UInt8]) {
        self.base = base
        baseDigest = Self.digest(base)
    }

    private static func digest(_ bytes: [UInt8]) -> UInt64 {
        var hash = StableHasher()
        hash.combine(bytes: bytes)
        return hash.value
    }

    /// Adds everything the model holds to `hash`.
    func hash(into hash: inout StableHasher) {
        hash.combine(baseDigest)
        hash.combine(recovering)
        for list in [arrivals, recovered.sorted(), recoveredThisPass] { hash.combine(list) }
    }

    /// Takes one event of the trace, in order.
    mutating func observe(_ event: TraceEvent, workload: DriverSimulation.Workload) {
        switch event.kind {
        case let .submit(_, id, _, _, _):
            arrivals.append(id)
        case .crash:
            recovering = true
            recoveredThisPass = []
        case let .recovered(id):
            recovered.insert(id)
            recoveredThisPass.append(id)
        case .online:
            guard recovering else { return }
            for id in arrivals where recovered.contains(id) { write(workload.request(id: id)) }
            baseDigest = Self.digest(base)
            arrivals = []
            recovered = []
            recovering = false
        default:
            break
        }
    }

    /// The data area with every request of the epoch written: what a shutdown must leave.
    func everything(_ workload: DriverSimulation.Workload) -> [UInt8] {
        var model = self
        for id in arrivals { model.write(workload.request(id: id)) }
        return model.base
    }

    /// Writes `request` over `base`.
    private mutating func write(_ request: WriteRequest) {
        base.replaceSubrange(request.offset..<request.offset + request.bytes.count, with: request.bytes)
    }

    /// The first offset where `actual` differs from `expected` and how many bytes differ, for
    /// messages; nil when they are equal.
    static func difference(_ actual: [UInt8], _ expected: [UInt8]) -> (first: Int, count: Int)? {
        guard actual != expected else { return nil }
        let differing = (0..<min(actual.count, expected.count)).filter { actual[$0] != expected[$0] }
        return (differing.first ?? min(actual.count, expected.count), differing.count)
    }
}
