import Driver
import Trace

/// `plumb explore driver --from TRACE`: the workload of a captured driver trace, replayed
/// through the real `DriverCore` in the simulated runtime (`DriverSimulation`).
///
/// The workload: every `submit` (interface, offset, length, deps) and `sync`, in the trace's
/// order (the driver node's seq order, which is each interface's arrival order and one global
/// order across them), and each `crash` at its place among them. The other events are the
/// driver's own answers and are not taken. The bytes a request writes are derived from its id
/// in the trace (`bytes(id:length:)`); the device has 512-byte blocks and is sized so that its
/// data area holds the largest `off + len` (or `size=` bytes) and its ledger of checkpointed
/// ids twice the requests of the longest epoch (so a long trace gets a larger device, and a
/// larger data area, than its offsets ask for), with two staging regions (or
/// `regions=`) each holding the largest request with its deps, and 4 KiB chunks. A trace that
/// reaches past 256 MiB, and is given no size, is explored on the chunks it writes, laid side
/// by side (`OffsetCompaction`): its offsets move, its overlaps and its places within chunks do
/// not.
///
/// Inside the simulation requests are numbered in the trace's order of submits, from 1, so a
/// trace whose ids count up from 1 as they arrive keeps them (messages then name the trace's
/// ids; other traces' messages name these numbers, which `traceIDs` maps back), and ids stay
/// consecutive in the order the driver persists them, as its ledger of checkpointed ids wants. A trace id submitted again after a crash lost it is then two
/// requests, and a dep names the latest submit of its id before it. `traceIDs` maps back.
///
/// The recorded schedule, at each state: the oldest outstanding I/O completes (with every
/// content an undecided read may return, all free); else the trace's next step (the earliest
/// submit or sync not yet taken, or its crash); once the trace is done, `idle`, then the
/// shutdown. Completing another I/O first, or taking another interface's step, strays.
package struct DriverPlan: RecordedPlan {
    package typealias System = DriverSimulation

    /// One step of the trace's schedule.
    enum Item: Sendable, Hashable {
        /// Step `position` of interface `iface`'s program.
        case step(iface: Int, position: Int)
        /// The trace's `ordinal`-th crash (from 0).
        case crash(ordinal: Int)
    }

    /// Where a state is: the first schedule item not yet taken, and the trace's crashes taken.
    package struct Progress: Sendable, Hashable {
        var next = 0
        var crashesTaken = 0
    }

    /// The most interfaces a trace may use.
    static let maxIfaces = 64
    /// The longest request the explorer simulates: 16 MiB (one of 200 MiB took 24 GB).
    static let largestRequest = 16 << 20

    /// 1: requests numbered in the trace's order of submits, and the device sized for the
    /// ledger (before, tokens named executions of other ids on a smaller device).
    package static var planRevision: UInt32 { 1 }

    let schedule: [Item]
    /// The trace's id of each internal id (`traceIDs[id - 1]`).
    package let traceIDs: [Int]
    package let start: DriverSimulation
    package var startProgress: Progress { Progress() }
    package let settingsText: String
    package let recordedCrashes: Int
    package private(set) var summary: String
    package let movedOffsets: [OffsetCompaction.Move]

    package init(trace: RecordedTrace, crashes: Int, settings: [(key: String, value: String)]) throws(TraceInputError) {
        var torn = true, states = DriverSimulation.Configuration.CrashStates.lazy, size: Int?, regions = 2
        var configuration = DriverSimulation.Configuration()
        for (key, value) in settings {
            switch (key, value) {
            case ("torn", "1"): torn = true
            case ("torn", "0"): torn = false
            case ("states", _) where DriverSimulation.Configuration.CrashStates(rawValue: value) != nil:
                states = DriverSimulation.Configuration.CrashStates(rawValue: value)!
            case ("size", _) where Int(value).map { $0 > 0 } == true: size = Int(value)!
            case ("regions", _) where Int(value).map { (2...16).contains($0) } == true: regions = Int(value)!
            case ("faults", _):
                for name in value.split(separator: "+") where !configuration.turnOn(String(name)) {
                    throw trace.refusal("unknown seeded driver bug \(name)")
                }
            default: throw trace.refusal("unknown driver setting \(key)=\(value)")
            }
        }
        try trace.expect(.driver)
        // The trace's steps, each interface's program, and each submit's place.
        struct Submit { var iface: Int, position: Int, traceID: Int, offset: Int, length: Int, deps: [Int] }
        var submits: [Submit] = []
        var programs: [[DriverSimulation.Workload.Step]] = []
        var items: [Item] = []
        var latest: [Int: Int] = [:]  // trace id -> index in submits
        var crashCount = 0, syncs = 0, maxEnd = 0, largest = 0, maxDeps = 0, inEpoch = 0, mostInEpoch = 0
        var farthest: TraceEvent?  // the submit that writes up to `maxEnd`
        func program(_ iface: Int, _ event: TraceEvent) throws(TraceInputError) {
            guard iface < Self.maxIfaces else {
                throw trace.refusal(event, "interface \(iface): the explorer replays at most \(Self.maxIfaces) interfaces (0...\(Self.maxIfaces - 1))")
            }
            while programs.count <= iface { programs.append([]) }
        }
        for event in trace.events {
            switch event.kind {
            case let .submit(iface, id, off, len, deps):
                try program(iface, event)
                guard len > 0 else { throw trace.refusal(event, "request \(id) writes no bytes: the driver cannot replay it") }
                guard len <= Self.largestRequest else {
                    throw trace.refusal(event, "request \(id) writes \(len) bytes, more than the \(Self.largestRequest) the "
                                        + "explorer simulates in one request (its staging regions hold the largest request, "
                                        + "and an explored state may keep copies of it)")
                }
                guard off <= Int.max - len else {
                    throw trace.refusal(event, "request \(id) writes \(len) bytes at \(off), past the last byte a device can "
                                        + "have (2^63 - 1)")
                }
                var internalDeps: [Int] = []
                for dep in deps {
                    guard let index = latest[dep] else {
                        throw trace.refusal(event, "request \(id) depends on request \(dep), which is not submitted before it: "
                                            + "the explorer cannot reproduce this workload")
                    }
                    internalDeps.append(index)
                }
                latest[id] = submits.count
                items.append(.step(iface: iface, position: programs[iface].count))
                programs[iface].append(.submit(index: -1 - submits.count))  // fixed below
                submits.append(Submit(iface: iface, position: programs[iface].count - 1, traceID: id, offset: off,
                                      length: len, deps: internalDeps))
                if off + len > maxEnd { (maxEnd, farthest) = (off + len, event) }
                largest = max(largest, len)
                inEpoch += 1
                mostInEpoch = max(mostInEpoch, inEpoch)
                maxDeps = max(maxDeps, deps.count)
            case let .sync(iface):
                try program(iface, event)
                items.append(.step(iface: iface, position: programs[iface].count))
                programs[iface].append(.sync)
                syncs += 1
            case .crash:
                items.append(.crash(ordinal: crashCount))
                crashCount += 1
                inEpoch = 0
            default:
                continue
            }
        }
        guard !submits.isEmpty else { throw trace.refusal("the trace holds no submit: there is no workload to explore") }
        // A trace that writes far apart is explored on its written chunks laid side by side.
        let reach = maxEnd
        var compaction: OffsetCompaction?
        if let size, size > OffsetCompaction.mostSimulated {
            throw trace.refusal("size=\(size) (--size) is more than the \(OffsetCompaction.mostSimulated) bytes of data area the explorer "
                                + "simulates (in memory); \(OffsetCompaction.withoutSize)")
        } else if size == nil, maxEnd > OffsetCompaction.largestAsGiven {
            let compacted = OffsetCompaction(ranges: submits.map { ($0.offset, $0.length) })
            guard compacted.bytes <= OffsetCompaction.mostSimulated else {
                throw trace.refusal("the trace writes \(compacted.chunks) chunks of 4 KiB, \(compacted.bytes) bytes, more than "
                                    + "the \(OffsetCompaction.mostSimulated) bytes of data area the explorer simulates")
            }
            for i in submits.indices { submits[i].offset = compacted.map(submits[i].offset) }
            maxEnd = compacted.bytes
            compaction = compacted
        }
        let ifaces = programs.count
        // Internal ids: the submits in the trace's order, from 1 (see the type's doc).
        var requests: [WriteRequest] = []
        var traceIDs: [Int] = []
        for (index, s) in submits.enumerated() {
            requests.append(WriteRequest(iface: s.iface, id: index + 1, offset: s.offset,
                                         bytes: Self.bytes(id: s.traceID, length: s.length), deps: s.deps.map { $0 + 1 }))
            traceIDs.append(s.traceID)
            programs[s.iface][s.position] = .submit(index: index)
        }
        // The geometry: regions that take the largest request with the most deps.
        var regionBytes = max(DriverSimulation.blockSize, (largest + 64 + 8 * maxDeps + 511) / 512 * 512)
        func staging() -> StagingConfig {
            StagingConfig(stagingBytes: regionBytes * regions, regionBytes: regionBytes, chunkBytes: OffsetCompaction.chunkBytes)
        }
        while let layout = DeviceLayout.make(blockSize: DriverSimulation.blockSize, blockCount: 1 << 20, staging: staging()),
              layout.maxRequestBytes(deps: maxDeps) < largest {
            regionBytes += 512
        }
        if let size, size < maxEnd, let farthest {
            throw trace.refusal(farthest, "a data area of \(size) bytes (size=, --size) does not hold this request, which "
                                + "writes up to byte \(maxEnd)"
                                + (maxEnd > OffsetCompaction.largestAsGiven ? " (\(OffsetCompaction.withoutSize))" : ""))
        }
        let dataBytes = max(size ?? maxEnd, regionBytes)
        guard var blocks = DriverSimulation.blockCount(holding: dataBytes, staging: staging()) else {
            throw trace.refusal("no simulated device holds \(dataBytes) bytes of data")
        }
        // Each checkpoint adds a run of ids to its epoch's ledger, which grows with the device
        // (a 64th of its blocks): a ledger with room for every request of the trace's longest
        // epoch as a run of its own, twice over (strays may bring later requests into an
        // epoch), never fills, as the captured device's did not. (A device sized for the data
        // alone reported a full ledger on a long clean trace.)
        let ledgerRuns = 2 * mostInEpoch + 16
        while let layout = DeviceLayout.make(blockSize: DriverSimulation.blockSize, blockCount: blocks, staging: staging()),
              layout.ledgerCapacity < ledgerRuns {
            blocks += max(64, 2 * (ledgerRuns - layout.ledgerCapacity))
        }
        if let layout = DeviceLayout.make(blockSize: DriverSimulation.blockSize, blockCount: blocks, staging: staging()),
           layout.dataBytes > OffsetCompaction.mostSimulated {
            throw trace.refusal("an epoch of \(mostInEpoch) requests needs a device whose ledger of checkpointed ids holds "
                                + "\(ledgerRuns) runs, and its data area, \(layout.dataBytes) bytes, is more than the "
                                + "\(OffsetCompaction.mostSimulated) the explorer simulates: cut the trace at a crash")
        }
        configuration.ifaces = ifaces
        configuration.requests = submits.count
        configuration.crashes = crashCount + crashes
        configuration.torn = torn
        configuration.crashStates = states
        configuration.regions = regions
        let workload = DriverSimulation.Workload(requests: requests, programs: programs)
        guard let start = DriverSimulation(configuration: configuration, workload: workload, blockCount: blocks,
                                           staging: staging()) else {
            throw trace.refusal("the simulated device of \(blocks) blocks could not be formatted for this workload")
        }
        self.start = start
        movedOffsets = compaction?.moves ?? []
        schedule = items
        self.traceIDs = traceIDs
        recordedCrashes = crashCount
        var text = "torn=\(torn ? 1 : 0) states=\(states.rawValue)"
        if let size { text += " size=\(size)" }
        if regions != 2 { text += " regions=\(regions)" }
        let faults = configuration.faultsOn
        if !faults.isEmpty { text += " faults=" + faults.joined(separator: "+") }
        settingsText = text
        summary = "\(submits.count) submits on \(ifaces) interface\(ifaces == 1 ? "" : "s"), \(syncs) sync\(syncs == 1 ? "" : "s"), "
            + "\(crashCount) crash\(crashCount == 1 ? "" : "es"); device \(blocks) blocks of \(DriverSimulation.blockSize) B, "
            + "staging \(regions) x \(regionBytes) B"
        if let compaction {
            summary += "; the trace reaches byte \(reach), so its \(compaction.chunks) written 4 KiB chunks are laid side by "
                + "side (\(compaction.runs.count) runs, offsets moved)"
        }
    }

    /// The bytes request `id` (the trace's id) writes: a seeded stream per id, so that
    /// overlapping requests differ wherever they overlap.
    static func bytes(id: Int, length: Int) -> [UInt8] {
        var random = SplitMix64(seed: UInt64(truncatingIfNeeded: id) &* 0x9E37_79B9_7F4A_7C15 &+ 0xD1B5_4A32_D192_ED03)
        var out: [UInt8] = []
        out.reserveCapacity(length + 8)
        while out.count < length {
            var word = random.next()
            for _ in 0..<8 {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        out.removeLast(out.count - length)
        return out
    }

    /// Whether schedule item `item` was taken in `state` with `progress`.
    func taken(_ item: Item, in state: DriverSimulation, _ progress: Progress) -> Bool {
        switch item {
        case let .step(iface, position): state.cursors[iface] > position
        case let .crash(ordinal): progress.crashesTaken > ordinal
        }
    }

    package func roles(of choices: [DriverSimulation.Choice], in state: DriverSimulation, progress: Progress) -> [RecordedRole] {
        if state.fates != nil { return Array(repeating: .free, count: choices.count) }
        var roles = [RecordedRole](repeating: .stray, count: choices.count)
        var recorded: Int?
        for (i, choice) in choices.enumerated() {
            switch choice {
            case .powerLoss: roles[i] = .crash
            case .fate: roles[i] = .free
            default: break
            }
        }
        if let oldest = state.outstanding.first?.ticket.raw {
            for (i, choice) in choices.enumerated() {
                switch choice {
                case let .complete(io, _, _) where io == oldest: recorded = i
                case let .completeReading(io, _, _, _) where io == oldest:
                    if recorded == nil { recorded = i } else { roles[i] = .free }
                default: break
                }
            }
        } else if progress.next < schedule.count {
            switch schedule[progress.next] {
            case let .step(iface, _):
                recorded = choices.firstIndex {
                    switch $0 {
                    case let .submit(_, i), let .sync(i): i == iface
                    default: false
                    }
                }
            case .crash:
                if let i = choices.firstIndex(of: .powerLoss) {
                    roles[i] = .recordedCrash
                    return roles
                }
            }
        }
        if recorded == nil { recorded = choices.firstIndex(of: .idle) ?? choices.firstIndex(of: .shutdown) }
        if recorded == nil { recorded = roles.firstIndex(of: .stray) }
        if let recorded { roles[recorded] = .recorded }
        return roles
    }

    package func advance(_ progress: inout Progress, taking choice: DriverSimulation.Choice, role: RecordedRole,
                        after state: DriverSimulation) {
        if role == .recordedCrash { progress.crashesTaken += 1 }
        while progress.next < schedule.count, taken(schedule[progress.next], in: state, progress) { progress.next += 1 }
    }

    package func hash(_ progress: Progress, into hasher: inout StableHasher) {
        hasher.combine(progress.next)
        hasher.combine(progress.crashesTaken)
    }
}

extension Recorded where Plan == DriverPlan {
    /// The same state tallying its power losses and recoveries into `statistics` (the
    /// `crash_states` section of the report).
    package func collecting(_ statistics: CrashStatistics) -> Self {
        var copy = self
        copy.base = base.collecting(statistics)
        return copy
    }
}
