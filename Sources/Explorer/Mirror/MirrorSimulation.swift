import Mirror
import Specs
import Trace

/// The mirror under the simulated runtime: the real `MirrorPrimary` and `MirrorSecondary`
/// cores, connected by simulated paths, with every nondeterministic step a `Choice` the
/// explorer makes. A value type: copying it branches the whole system.
///
/// The runtime does what the live one (`MirrorLive`) does, without sockets or timers:
/// - Each path is one connection: a FIFO queue in each direction (TCP). Delivering the head of
///   a queue feeds the receiving core `.arrived`; the core's `.send` actions append to the
///   queue of their path, or are lost if its connection is broken.
/// - At the start every path is connected: for each path the secondary, then the primary, gets
///   `.pathUp` (the listener authenticates first, as in `PathHandler`).
/// - A path failure breaks the connection (both queues are lost: delivering a message first is
///   another schedule); each node then sees it closed at its own time (`.pathDown`). While the
///   primary runs, a path it has seen down may come back: the secondary, then the primary, gets
///   `.pathUp` (and the secondary first `.pathDown`, if it still held the old connection).
/// - A crash feeds the node `.crash` and breaks every path; the survivor sees each one close.
///   A fenced primary closes every path, as `MirrorPrimaryNode` does.
/// - The secondary takes over (`.takeover`) once it has seen every path down, as
///   `MirrorSecondaryNode` does after its grace period.
/// - The client writes `records` records, one choice each, whenever the primary runs (also
///   while it is degraded: the core logs them).
///
/// Events and notes are kept in the order recorded; the verdict is the mirror spec's on the
/// events so far (see `MirrorSimulation+Verdict.swift`).
package struct MirrorSimulation: Explorable {
    /// The system name replay tokens carry.
    package static let system = "mirror"

    /// One path's connection and what each node believes about it.
    struct Path: Sendable {
        /// Whether the connection is alive (messages sent on it are queued, not lost).
        var connected = true
        /// Whether the primary believes the path is up (it has not seen it close yet).
        var primarySeesUp = true
        /// Whether the secondary believes the path is up.
        var secondarySeesUp = true
        /// Messages in flight to the secondary, oldest first.
        var toSecondary: [MirrorMessage] = []
        /// Messages in flight to the primary, oldest first.
        var toPrimary: [MirrorMessage] = []
    }

    /// The bounds and the workload.
    package let configuration: Configuration
    /// The primary's core.
    package internal(set) var primary: MirrorPrimary
    /// The secondary's core.
    package internal(set) var secondary: MirrorSecondary
    /// Every trace event, in the order recorded: a valid trace for `plumb check` (empty when
    /// the trace is not kept, see `withoutTrace()`).
    package internal(set) var events: [TraceEvent] = []
    /// Whether `events` and `notes` are kept (replays) or only judged (searches).
    var keepsTrace = true
    /// Every `x-` note, in the order recorded (a trace file may carry them; checkers drop them).
    package internal(set) var notes: [MirrorNote] = []
    /// For each of `notes`, how many events were recorded before it (to interleave them).
    var notePositions: [Int] = []
    /// The lsns the primary committed to the client, in order.
    package internal(set) var commits: [Int] = []
    /// The secondary's copy of the log: every record it persisted, in order.
    package internal(set) var persisted: [MirrorRecord] = []
    /// How many of `persisted` the secondary held when it took over (nil: it has not).
    package internal(set) var persistedAtTakeover: Int?
    /// The fingerprint's running digest of `commits`, a multiset (see `MirrorSimulation+Fingerprint.swift`).
    var commitsDigest: UInt64 = 0
    /// The running digest of `persisted` up to the takeover, a multiset.
    var persistedDigest: UInt64 = 0
    /// The digest of the configuration, computed once.
    let configurationDigest: UInt64
    /// The primary's hash as the fingerprint takes it, kept up to date by `feedPrimary` (most
    /// steps feed one core, so the other's hash carries over unchanged).
    var primaryDigest: UInt64 = 0
    /// The secondary's hash as the fingerprint takes it, kept up to date by `feedSecondary`.
    var secondaryDigest: UInt64 = 0

    var paths: [Path]
    /// Records written so far.
    var written = 0
    /// Path failures so far.
    var failures = 0
    /// Crashes so far.
    var crashes = 0
    /// The mirror spec run along with `events` (see `MirrorSimulation+Verdict.swift`).
    var monitor = SpecMonitor<MirrorSpec>()
    /// The verdict on `events`, kept up to date by `apply`.
    var verdict: ExplorationViolation?

    /// The start state of `configuration`: every path connected, nothing written.
    package init(_ configuration: Configuration) {
        precondition(configuration.isValid, "invalid mirror configuration \(configuration)")
        self.configuration = configuration
        configurationDigest = Self.digest(of: configuration)
        primary = MirrorPrimary(streams: configuration.streams, paths: configuration.paths)
        primary.faults = configuration.primaryFaults
        secondary = MirrorSecondary()
        secondary.faults = configuration.secondaryFaults
        paths = Array(repeating: Path(), count: configuration.paths)
        for path in 0..<configuration.paths {
            feedSecondary(.pathUp(path))
            feedPrimary(.pathUp(path))
        }
        verdict = judge()
    }

    /// The start state of the configuration `text` (the `Configuration` description form);
    /// nil when it does not parse.
    package init?(parsing text: String) {
        guard let configuration = Configuration(parsing: text) else { return nil }
        self.init(configuration)
    }

    // MARK: Explorable

    /// The enabled steps, in a fixed order: deliveries to the secondary and to the primary (by
    /// path), the client's write, the nodes noticing failed paths, failures, comebacks, the
    /// takeover, crashes.
    package func choices() -> [Choice] {
        var result: [Choice] = []
        let primaryRuns = primary.mode == .running
        let secondaryAlive = secondary.mode != .crashed
        for (p, path) in paths.enumerated() {
            if let head = path.toSecondary.first { result.append(.deliverToSecondary(path: p, Self.summary(head))) }
        }
        for (p, path) in paths.enumerated() {
            if let head = path.toPrimary.first { result.append(.deliverToPrimary(path: p, Self.summary(head))) }
        }
        if primaryRuns, written < configuration.records { result.append(.write(lsn: written + 1)) }
        for (p, path) in paths.enumerated() where !path.connected {
            if path.primarySeesUp, primary.mode != .crashed { result.append(.primaryNoticesDown(path: p)) }
            if path.secondarySeesUp, secondaryAlive { result.append(.secondaryNoticesDown(path: p)) }
        }
        if failures < configuration.pathFailures {
            for (p, path) in paths.enumerated() where path.connected { result.append(.fail(path: p)) }
        }
        if primaryRuns, secondaryAlive {
            for (p, path) in paths.enumerated() where !path.connected && !path.primarySeesUp {
                result.append(.comeBack(path: p))
            }
        }
        if secondary.mode == .mirroring, paths.allSatisfy({ !$0.secondarySeesUp }) { result.append(.takeover) }
        if crashes < configuration.crashes {
            if primaryRuns { result.append(.crashPrimary) }
            if secondaryAlive { result.append(.crashSecondary) }
        }
        return result
    }

    /// Takes one enabled step, then judges the events if it recorded any.
    package mutating func apply(_ choice: Choice) {
        let recorded = monitor.observed
        switch choice {
        case .deliverToSecondary(let p, _):
            let message = paths[p].toSecondary.removeFirst()
            feedSecondary(.arrived(path: p, message))
        case .deliverToPrimary(let p, _):
            let message = paths[p].toPrimary.removeFirst()
            feedPrimary(.arrived(path: p, message))
        case .write(let lsn):
            written += 1
            feedPrimary(.write(Self.write(lsn: lsn, configuration: configuration)))
        case .primaryNoticesDown(let p):
            paths[p].primarySeesUp = false
            feedPrimary(.pathDown(p))
        case .secondaryNoticesDown(let p):
            paths[p].secondarySeesUp = false
            feedSecondary(.pathDown(p))
        case .fail(let p):
            failures += 1
            breakConnection(p)
        case .comeBack(let p):
            if paths[p].secondarySeesUp { feedSecondary(.pathDown(p)) }
            paths[p].connected = true
            paths[p].secondarySeesUp = true
            feedSecondary(.pathUp(p))
            paths[p].primarySeesUp = true
            feedPrimary(.pathUp(p))
        case .takeover:
            feedSecondary(.takeover)
        case .crashPrimary:
            crashes += 1
            feedPrimary(.crash)
            for p in paths.indices {
                breakConnection(p)
                paths[p].primarySeesUp = false
            }
        case .crashSecondary:
            crashes += 1
            feedSecondary(.crash)
            for p in paths.indices {
                breakConnection(p)
                paths[p].secondarySeesUp = false
            }
        }
        if monitor.observed != recorded || choice == .takeover { verdict = judge() }
    }

    /// The verdict on the execution so far (computed by `apply`).
    package func violation() -> ExplorationViolation? { verdict }

    /// PCT lanes: each path's direction is a lane (to the secondary: `p`; to the primary:
    /// `paths + p`), the client is one, and failures, crashes and the takeover are another.
    package func lane(of choice: Choice) -> Int {
        let count = configuration.paths
        switch choice {
        case .deliverToSecondary(let p, _): return p
        case .deliverToPrimary(let p, _): return count + p
        case .write: return 2 * count
        default: return 2 * count + 1
        }
    }

    // MARK: The workload

    /// The client's write of record `lsn`: key `lsn`, payload `[lsn]`, and a barrier on the
    /// previous record where the configuration puts one.
    static func write(lsn: Int, configuration: Configuration) -> MirrorPrimary.Write {
        MirrorPrimary.Write(key: UInt64(lsn), payload: payload(lsn: lsn),
                            deps: deps(lsn: lsn, configuration: configuration))
    }

    /// The deps of record `lsn`: the previous record where the configuration puts a barrier.
    static func deps(lsn: Int, configuration: Configuration) -> [Int] {
        let index = lsn - 1
        let barrier = configuration.barrierEvery > 0 && index % configuration.barrierEvery == 0 && index > 0
        return barrier ? [lsn - 1] : []
    }

    /// The data the client writes in record `lsn`.
    static func payload(lsn: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: lsn)] }

    /// How a delivery choice names a message.
    static func summary(_ message: MirrorMessage) -> Message {
        switch message {
        case .entry(let entry): .entry(entry.entry)
        case let .ack(_, stream, sn, _): .ack(StreamEntry(stream: stream, sn: sn))
        case .fenced: .fenced
        }
    }
}
