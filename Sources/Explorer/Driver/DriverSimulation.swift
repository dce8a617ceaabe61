import Driver
import Specs
import Trace

/// The driver under the simulated runtime: the real `DriverCore` over a simulated disk with a
/// volatile cache, with every nondeterministic step a `Choice` the explorer makes. A value
/// type: copying it branches the whole system (the disk is copied on write).
///
/// The runtime does what the live one (`DriverLive`) does, without threads or files:
/// - The core's I/O (`write`, `patch`, `flush`, `read` actions) waits in `outstanding`; any
///   outstanding I/O may be done next (a real disk completes out of order): the device carries
///   it out (`BlockDevice.patch` for a patch, as live) and the core gets `.completed` at once.
/// - Each interface's caller runs its program of the `Workload` (submits, interface 0 a sync),
///   one choice per step, while the driver is online. A dep the driver no longer knows (lost at
///   a crash) is left out, as a caller that saw the loss would.
/// - `.idle` is offered when no I/O is outstanding and the core would act on it.
/// - Once every caller is done, the controller may shut the driver down.
/// - While crashes remain, power may fail at any step (also during a recovery): outstanding I/O
///   is dropped and the pending cached writes meet their fates, then the core gets `.powerLoss`
///   and recovers. With eager crash states each write's fate is a choice at once (lost,
///   durable, or with `torn`, cut after each of its sectors) and `VolatileCacheDevice.cut(_:)`
///   applies them. With lazy ones (the default) `cutUndecided(into:torn:)` leaves them
///   undecided on the `LazyCrashMedium`; an I/O that reads undecided sectors (a recovery read,
///   a patch's read-modify-write) is offered once per distinct content it can return
///   (`Choice.completeReading`), and taking one decides only what that content depends on.
///
/// The device is tiny so that states stay few: 42 blocks of 512 bytes (one sector each), two
/// staging regions of 512 bytes, so a 12-block journal ring and a data area of 6 one-block
/// chunks (10 blocks with the spares that out-of-place writes go to). It is a
/// reused device: an earlier image's journal segments and data are still on it, so recovery
/// must tell that image's segments from the explored one's (the format's nonce anchors the
/// chain for that).
///
/// The verdict (see `DriverSimulation+Verdict.swift`) is the driver spec's on the events so far,
/// and after each recovery and at the shutdown, the data area checked against
/// `DriverContentsModel` (`driver.contents`): byte for byte, and where undecided writes may
/// still show, for every fate assignment the reads so far allow, by Z3
/// (`DriverSimulation+Contents.swift`).
package struct DriverSimulation: Explorable {
    /// The system name replay tokens carry.
    package static let system = "driver"
    /// Bytes per block of the simulated device (one sector).
    package static let blockSize = 512
    /// Blocks of the simulated device.
    package static let blockCount = 42
    /// The staging the device is formatted for: two regions of one block, and one-block chunks
    /// (so a request of a whole aligned block is written out of place).
    package static let staging = StagingConfig(stagingBytes: 1024, regionBytes: 512, chunkBytes: 512)
    /// Blocks of the simulated device with `regions` staging regions: 42 for two, 6 more a
    /// region (4 of journal ring, 2 spare chunks), so the data area stays 6 chunks.
    package static func blockCount(regions: Int) -> Int { 30 + 6 * regions }
    /// The staging of the simulated device with `regions` regions of one block.
    package static func staging(regions: Int) -> StagingConfig {
        StagingConfig(stagingBytes: 512 * regions, regionBytes: 512, chunkBytes: 512)
    }
    /// The format's nonce (the live runtime draws one; the simulation fixes it).
    static let nonce: UInt32 = 0x504C_4D42
    /// More recovery I/O than a recovery of this device can need: reading both superblocks,
    /// the ledger, and every segment of the ring (12 blocks with two regions), each followed
    /// by its patch, then a flush, a superblock write and a flush, with room to spare (64 with
    /// two regions).
    var recoveryStepLimit: Int { 40 + 2 * (4 * configuration.regions + 4) }

    /// One I/O the core asked for and the device has not done yet.
    struct IO: Sendable {
        /// The core's name for it.
        var ticket: IOTicket
        /// What to do (`BlockDevice.perform(_:)` does it).
        let operation: DeviceOperation
        /// A write's bytes hashed once, when the core asks for it, for the fingerprints of
        /// every state it is outstanding in (0 for other I/O).
        let bytesDigest: UInt64

        /// The I/O `ticket`, doing `operation`.
        init(ticket: IOTicket, operation: DeviceOperation) {
            self.ticket = ticket
            self.operation = operation
            if case let .write(_, bytes) = operation {
                var hasher = StableHasher()
                hasher.combine(bytes: bytes)
                bytesDigest = hasher.value
            } else {
                bytesDigest = 0
            }
        }

        /// The first block a write goes to, or nil (for `DriverCore.account(of:block:)`).
        var block: Int? {
            if case let .write(block, _) = operation { return block }
            return nil
        }

        /// A short account, for choices.
        var summary: Choice.Operation {
            switch operation {
            case let .write(block, bytes): .write(block: block, blocks: bytes.count / DriverSimulation.blockSize)
            case let .patch(extents): .patch(extents: extents.count, bytes: extents.reduce(0) { $0 + $1.bytes.count })
            case .flush: .flush
            case let .read(block, count): .read(block: block, blocks: count)
            }
        }
    }

    /// The bounds.
    package internal(set) var configuration: Configuration
    /// What the callers do.
    package let workload: Workload
    /// The driver's core.
    package internal(set) var core: DriverCore
    /// Every trace event, in the order recorded: a valid `driver` trace for `plumb check`.
    package internal(set) var events: [TraceEvent] = []
    /// Whether `events` is kept (replays) or only judged (searches, see `withoutTrace()`).
    var keepsTrace = true

    /// The simulated disk (copied on write, see `mutableDisk()`).
    var disk: DriverDisk
    /// The I/O the core asked for and the device has not done, in issue order.
    var outstanding: [IO] = []
    /// Per interface, the index of its caller's next program step.
    var cursors: [Int]
    /// Whether the controller asked for the shutdown.
    var shutdownIssued = false
    /// Power losses still allowed.
    var crashesLeft: Int
    /// I/O completed since the last power loss while the core recovered: a recovery that
    /// takes more than `recoveryStepLimit` never ends (`driver.stuck`).
    var recoverySteps = 0
    /// During a power cut: the fates chosen so far for the pending writes, oldest first.
    var fates: [Choice.Fate]?
    /// What the data area must hold.
    var model: DriverContentsModel
    /// The verdict on the execution so far (nil: none broken), kept up to date by `apply`.
    var verdict: ExplorationViolation?
    /// A violation the runtime found during the current step (the data area check, a failed
    /// recovery, a device error), for `judge` to report unless the spec reports one too.
    var found: ExplorationViolation?
    /// How many events the spec judged last.
    var checkedEvents = 0
    /// The driver spec run along with `events`: the verdict, and its state for fingerprints.
    var monitor = SpecMonitor<DriverSpec>()
    /// A stable hash of the medium's bytes and undecided writes, updated whenever they change
    /// (flush, power cut, a read that decides).
    var mediumDigest: UInt64 = 0
    /// A hash of the cache's pending writes, updated whenever they change.
    var pendingDigest: UInt64 = 0
    /// A hash of the spec's state (see `fingerprint()`), updated after every step that records.
    var specDigest: UInt64 = 0
    /// Where power losses and recoveries are tallied (`collecting(_:)`); no part of the state.
    var statistics: CrashStatistics?
    /// The fingerprint of the state where power last failed, for `statistics` only (no part of
    /// the fingerprint).
    var crashPoint: UInt64 = 0
    /// The medium and the model as the start state had them, for the contents check to skip
    /// what neither changed since (`mediumMatchesBase`); the same in every state of one
    /// exploration, so no part of the fingerprint.
    var pristine: PristineDataArea?

    /// The start state of `configuration`: a device that held an earlier image (see
    /// `DriverDisk.holdPreviousImage`), formatted (its I/O done in order; a power loss before
    /// the first `online` makes no driver trace) and online, nothing submitted.
    package init(_ configuration: Configuration) {
        precondition(configuration.isValid, "invalid driver configuration \(configuration)")
        self.configuration = configuration
        workload = Workload(ifaces: configuration.ifaces, requests: configuration.requests, kind: configuration.workload)
        core = DriverCore()
        core.faults = configuration.faults
        let blockCount = Self.blockCount(regions: configuration.regions)
        let staging = Self.staging(regions: configuration.regions)
        disk = DriverDisk(blockSize: Self.blockSize, blockCount: blockCount)
        cursors = Array(repeating: 0, count: configuration.ifaces)
        crashesLeft = configuration.crashes
        model = DriverContentsModel(base: [])
        precondition(disk.holdPreviousImage(blockSize: Self.blockSize, blockCount: blockCount, staging: staging),
                     "the earlier image could not be made")
        perform(core.handle(.format(blockSize: Self.blockSize, blockCount: blockCount, staging: staging, nonce: Self.nonce)))
        while let first = outstanding.first { complete(first.ticket) }
        guard core.phase == .online, found == nil, let data = dataArea() else {
            preconditionFailure("the simulated device did not format: \(String(describing: found))")
        }
        model = DriverContentsModel(base: data)
        pristine = PristineDataArea(self, data: data)
        // Once no power loss can come, fingerprints take the data area's digest alone.
        if let layout = core.layout { disk.lazy.split(at: layout.dataStart) }
        pendingDigest = Self.digest(of: disk)
        specDigest = Self.digest(of: monitor.spec)
    }

    /// The start state of the configuration a replay token names; nil when it does not parse.
    package init?(parsing configuration: String) {
        guard let parsed = Configuration(parsing: configuration) else { return nil }
        self.init(parsed)
    }

    // MARK: Explorable

    /// The enabled choices: during an eager power cut, the fates of the next pending write;
    /// otherwise the outstanding I/O (oldest first; an I/O that reads undecided sectors once
    /// per distinct content it can read), the callers' next steps (by interface), `idle`, the
    /// shutdown, and a power loss while crashes remain.
    ///
    /// Loops rather than `flatMap` and the like: a method passed as a closure captures a copy
    /// of the whole simulation.
    package func choices() -> [Choice] {
        if verdict != nil { return [] }
        if let fates { return fateChoices(after: fates.count) }
        var result: [Choice] = []
        for io in outstanding { appendCompletions(of: io, to: &result) }
        if core.phase == .online {
            for iface in cursors.indices where cursors[iface] < workload.programs[iface].count {
                switch workload.programs[iface][cursors[iface]] {
                case let .submit(index):
                    if depsSubmitted(of: index) { result.append(.submit(id: workload.requests[index].id, iface: iface)) }
                case .sync:
                    result.append(.sync(iface: iface))
                }
            }
            if outstanding.isEmpty, idleWouldAct { result.append(.idle) }
            var done = true
            for iface in cursors.indices where cursors[iface] < workload.programs[iface].count { done = false }
            if !shutdownIssued, done { result.append(.shutdown) }
        }
        if crashesLeft > 0, core.phase == .online || core.phase == .recovering || core.phase == .stopping {
            result.append(.powerLoss)
        }
        return result
    }

    /// Takes one enabled choice, then brings the verdict up to date.
    package mutating func apply(_ choice: Choice) {
        let recorded = monitor.observed
        switch choice {
        case let .complete(io, _, _):
            complete(IOTicket(io))
        case let .completeReading(io, _, _, reading):
            complete(IOTicket(io), content: reading.content, worked: reading.worked)
        case let .submit(id, iface):
            cursors[iface] += 1
            var request = workload.request(id: id)
            var known: [Int] = []
            for dep in request.deps where isKnown(dep) { known.append(dep) }
            request.deps = known
            perform(core.handle(.submit(request)))
        case let .sync(iface):
            cursors[iface] += 1
            perform(core.handle(.sync(iface: iface)))
        case .idle:
            perform(core.handle(.idle))
        case .shutdown:
            shutdownIssued = true
            perform(core.handle(.shutdown))
        case .powerLoss:
            powerLoss()
        case let .fate(_, _, _, fate):
            decide(fate)
        }
        core.refreshDigests()
        if monitor.observed > recorded { specDigest = Self.digest(of: monitor.spec) }
        judge()
    }

    /// Whether `a` and `b` commute here: a completion of I/O beside a caller's step, and the
    /// steps of callers of different interfaces, are tried in both orders (`commuteByTrial`);
    /// two completions, power losses, fates, `idle` and the shutdown never commute.
    ///
    /// Most pairs do not commute: the core queues the I/O it sets off, and records its events,
    /// in the order of its inputs. Two completions are not tried: the I/O each sets off is
    /// queued in the order the core learns of them, and a flush's completion moves the durable
    /// mark that decides what the core writes next (no pair of completions commuted in any
    /// configuration tried, 196,248 pairs at 2 interfaces and 5 requests, when fingerprints
    /// still told completion indices apart; answering without the trial's four steps made that
    /// search 1.5x faster). Answering false is always sound.
    /// Pairs that do commute include a read or a patch completing beside a caller's submit
    /// that only stages, and a silent completion beside another interface's step. Since the
    /// fingerprint leaves out the seqs of the spec's stamps (see `fingerprint()`), a trial
    /// finds them.
    package func independent(_ a: Choice, _ b: Choice) -> Bool {
        switch (a, b) {
        case (.complete, .submit), (.submit, .complete), (.complete, .sync), (.sync, .complete),
             (.completeReading, .submit), (.submit, .completeReading),
             (.completeReading, .sync), (.sync, .completeReading):
            return commuteByTrial(a, b)
        case let (.submit(_, i), .submit(_, j)), let (.submit(_, i), .sync(j)),
             let (.sync(i), .submit(_, j)), let (.sync(i), .sync(j)):
            return i != j && commuteByTrial(a, b)
        default:
            return false
        }
    }

    /// False: most pairs `independent` is asked about are tried both ways (four steps each),
    /// which costs more than the steps sleep sets prune once states are cached (`--ifaces 1
    /// --requests 7 --crashes 1 --torn`: 8.2 CPU s reduced, 6.1 s not, the same states).
    package static var reductionPaysWithCaching: Bool { false }

    /// 1: a reading's contents come newest write first, and a cached write longer than 63
    /// sectors is one write (not independent pieces), so a reading choice's index names
    /// another content than before.
    package static var modelRevision: UInt32 { 1 }

    /// The verdict so far.
    package func violation() -> ExplorationViolation? { verdict }

    /// Interface `i`'s caller is lane `i`; the runtime's `idle` is lane `ifaces`; the
    /// controller's shutdown `ifaces + 1`; power (losses and fates) `ifaces + 2`; and each I/O
    /// is a lane of its own, `ifaces + 3 + ticket`, since a disk completes its queue in any
    /// order (with one lane for the device, PCT would only ever complete the oldest I/O).
    package func lane(of choice: Choice) -> Int {
        switch choice {
        case let .submit(_, iface), let .sync(iface): iface
        case .idle: configuration.ifaces
        case .shutdown: configuration.ifaces + 1
        case .powerLoss, .fate: configuration.ifaces + 2
        case let .complete(io, _, _), let .completeReading(io, _, _, _): configuration.ifaces + 3 + io
        }
    }

    // MARK: Helpers

    /// Whether the request with id `id` was submitted (in any epoch).
    func wasSubmitted(_ id: Int) -> Bool {
        let place = workload.places[id - 1]
        return place.iface >= 0 && cursors[place.iface] > place.step
    }

    /// Whether every dep of workload request `index` was submitted, so a caller may submit it.
    /// A loop, not `allSatisfy(wasSubmitted)`: a method passed as a closure copies the whole
    /// simulation.
    func depsSubmitted(of index: Int) -> Bool {
        for dep in workload.requests[index].deps where !wasSubmitted(dep) { return false }
        return true
    }

    /// Whether the core knows `id` as a possible dep: submitted in this epoch, or recovered by
    /// the last recovery.
    func isKnown(_ id: Int) -> Bool {
        model.arrivals.contains(id) || model.recoveredThisPass.contains(id)
    }

    /// Whether no choice is enabled: `choices().isEmpty`, answered without making the choices
    /// and, unless nothing else is enabled, without trying `.idle` on a copy of the core (the
    /// judge asks after every step that leaves no I/O outstanding).
    var hasNoChoices: Bool {
        if verdict != nil { return true }
        // Every pending write has two fates at least, and every outstanding I/O a completion.
        if fates != nil || !outstanding.isEmpty { return false }
        let phase = core.phase
        if crashesLeft > 0, phase == .online || phase == .recovering || phase == .stopping { return false }
        guard phase == .online else { return true }
        var done = true
        for iface in cursors.indices where cursors[iface] < workload.programs[iface].count {
            done = false
            switch workload.programs[iface][cursors[iface]] {
            case .sync:
                return false
            case let .submit(index):
                if depsSubmitted(of: index) { return false }
            }
        }
        if !shutdownIssued, done { return false }
        return !idleWouldAct
    }

    /// Whether `.idle` would make the core do something now.
    var idleWouldAct: Bool {
        var trial = core
        return !trial.handle(.idle).isEmpty
    }
}
