import Trace

/// The executable specification of the `driver` system (TRACE-FORMAT.md, "System `driver`").
///
/// It replays the one `driver` node's events in seq order and judges the five `driver.*`
/// invariants. An epoch runs from the start of the trace, or from an `online` that ends a
/// recovery, to the next `crash`; the events between a crash and the next `online` are that
/// epoch's recovery. A request is durable from its `durable` or its `recovered` event on.
///
/// Memory: per interface a few integers and stamps plus the requests of the current epoch beyond
/// the durable prefix (the in-flight window). A request of the current epoch that is staged,
/// completed, durable and inside its interface's durable prefix keeps only a compact record
/// (interface, arrival, the stamp of its durability): `driver.no-loss` and
/// `driver.recovered-prefix` still need it at the next crash. At the end of a recovery the epoch
/// is forgotten except for the ids it lost and its survivors that still miss a step (a `stage`,
/// `complete` or `durable` may come after the `online`).
///
/// All events are on one node, so happens-before is its seq order, which is the replay order. The
/// "X before Y" relations are still made obligations with `SpecSink.require`, once both events are
/// observed; an X not observed yet when Y is cannot be before it: either a direct violation, or,
/// for `driver.order` (which forgives an earlier arrival that is later lost, but not a dep), a
/// pending record per request that becomes a (failing) obligation when the request does become
/// durable, is dropped when it is lost (reported when a `durable` waited for it as a dep), and is
/// reported at the end of the trace otherwise. A lost request has no `driver.order` obligations
/// at all, so a `driver.order` violation among requests of the current epoch is held until the
/// epoch's crash decides which are lost (`heldOrder`).
///
/// Readings: the format page's section "Settled readings" decides where two readers could
/// differ; the further choices this spec makes are in `Specs/README.md`, "`driver`".
package struct DriverSpec: Spec {
    /// The system whose events this spec replays: `driver`.
    package static var system: TraceSystem { .driver }

    /// Whether the device serves requests or recovers from a crash.
    var phase: Phase = .running
    /// The crash that ended the current epoch, while it recovers.
    var epochCrash: EventStamp?
    /// The crash that started the current recovery.
    var recoveryStart: EventStamp?
    /// The first event other than `recovered`, `online`, `crash` in the current recovery.
    var outOfPlace: OutOfPlace?
    /// The current epoch's requests that are still open (see `settleIfDone`).
    var requests: [Int: Request] = [:]
    /// The current epoch's requests that are done and in their interface's durable prefix, by
    /// id. All of them are kept until the epoch's crash (`driver.no-loss` then needs each one
    /// recovered), so this grows with the requests between crashes: a sorted array, since ids
    /// settle mostly in increasing order, takes a third of the memory of a dictionary.
    private(set) var settled = SortedMap<Int, Settled>()
    /// The sum of each settled request's digest, kept by `settle(_:_:)` and `clearSettled()`:
    /// the fingerprint hashes this instead of every settled request, which grow with the trace.
    private(set) var settledDigest: UInt64 = 0
    /// Per interface: arrival order, durable prefix, syncs.
    var ifaces: [Int: Iface] = [:]
    /// Every id submitted so far.
    var submitted = IntKeySet()
    /// Every id lost at a crash (not recovered after its epoch's crash).
    var lost = IntKeySet()
    /// The ids each crash lost, for messages (only crashes that lost any).
    var lostAt: [LostEpoch] = []
    /// Requests of earlier epochs recovered after their crash that still miss a `stage`,
    /// `complete` or `durable` (they may come after the `online`).
    var survivors: [Int: Survivor] = [:]
    /// `durable(r)` events whose dep was not submitted by then, per dep id.
    var unsubmittedDeps: [Int: [Waiter]] = [:]
    /// `driver.order` violations that a loss at the epoch's crash would still void, in the
    /// order they were found (see `DriverSpec+HeldOrder.swift`).
    var heldOrder: [HeldOrder] = []
    /// The node that records the events (`driver`), to rebuild stamps from compact marks.
    var node = "driver"

    /// Starts before any event: the first epoch runs, nothing submitted.
    package init() {}

    /// Replays one event of a `driver` trace.
    package mutating func observe(_ event: TraceEvent, sink: SpecSink) {
        let stamp = EventStamp(event)
        node = event.node
        if phase == .recovering {
            switch event.kind {
            case .recovered, .online, .crash: break
            default:
                if outOfPlace == nil { outOfPlace = OutOfPlace(first: stamp) } else { outOfPlace!.count += 1 }
            }
        }
        switch event.kind {
        case let .submit(iface, id, _, _, deps):
            submit(id, iface: iface, deps: deps, at: stamp, sink: sink)
        case let .stage(id, _):
            stage(id, at: stamp, sink: sink)
        case let .complete(id):
            complete(id, at: stamp, sink: sink)
        case let .durable(id):
            durable(id, at: stamp, sink: sink)
        case let .sync(iface):
            sync(iface, at: stamp)
        case let .syncDone(iface):
            syncDone(iface, at: stamp, sink: sink)
        case .crash:
            crash(at: stamp, sink: sink)
        case let .recovered(id):
            recovered(id, at: stamp, sink: sink)
        case .online:
            online(at: stamp, sink: sink)
        default:
            // Other systems' events do not occur in a driver trace.
            break
        }
    }

    /// What `finish` would report, leaving the state as it is. In a running epoch with no
    /// request waited for and no dep unsubmitted (what the explorer asks about after most
    /// steps) that is nothing, found without the copy of the state and the sorted copy of the
    /// requests that `finish` makes.
    package func reportEnd(sink: SpecSink) {
        if phase != .recovering, unsubmittedDeps.isEmpty, heldOrder.isEmpty, !requests.values.contains(where: { $0.waiter != nil }) {
            return
        }
        var ending = self
        ending.finish(sink: sink)
    }

    /// Judges what only the end of the trace decides: a recovery still open is judged as it
    /// stands; in a running epoch, requests that a `durable` waited for and never became durable,
    /// and the held `driver.order` violations (nothing of the epoch is lost).
    package mutating func finish(sink: SpecSink) {
        defer { reportUnsubmittedDeps(sink: sink) }
        if phase == .recovering {
            closeOutOfPlace(end: nil, sink: sink)
            endRecovery(end: nil, sink: sink)
            return
        }
        releaseHeldOrder(lost: IntKeySet(), sink: sink)
        for (id, request) in requests.sorted(by: { $0.key < $1.key }) {
            guard let waiter = request.waiter else { continue }
            sink.report(Violation(
                .driverOrder,
                "request \(waiter.id) became durable at \(waiter.stamp.id), but request \(id) "
                    + "(\(waiter.becauseDep ? "its dep" : "submitted before it on iface \(request.iface)")) "
                    + "never became durable",
                events: [waiter.stamp, request.submit]))
        }
    }

    // MARK: Lifecycle

    /// The `durable(r)` events whose dep was never submitted, at the end of the trace.
    mutating func reportUnsubmittedDeps(sink: SpecSink) {
        for (dep, waiters) in unsubmittedDeps.sorted(by: { $0.key < $1.key }) {
            for waiter in waiters {
                sink.report(Violation(
                    .driverOrder,
                    "request \(waiter.id) became durable at \(waiter.stamp.id), but its dep \(dep) was never submitted",
                    events: [waiter.stamp]))
            }
        }
        unsubmittedDeps = [:]
    }

    /// `submit`: introduces the id as the interface's next arrival in this epoch.
    mutating func submit(_ id: Int, iface: Int, deps: [Int], at stamp: EventStamp, sink: SpecSink) {
        // A lost id counts as never submitted: submitting it again starts a new request.
        let lostBefore = lost.remove(id)
        guard submitted.insert(id) || lostBefore else {
            // The first submit, while the spec holds it (until the request settles).
            let first = requests[id]?.submit ?? survivors[id]?.submit
            lifecycle("request \(id) is submitted a second time at \(stamp.id) (on iface \(iface))"
                      + (first.map { ", first at \($0.id)" } ?? ""), [stamp] + (first.map { [$0] } ?? []), sink)
            return
        }
        if let waiters = unsubmittedDeps.removeValue(forKey: id) {
            for waiter in waiters {
                holdOrder(.report(Violation(
                    .driverOrder,
                    "request \(waiter.id) became durable at \(waiter.stamp.id), but its dep \(id) was not "
                        + "submitted by then (it was submitted only after, at \(stamp.id)), so it was not durable before it",
                    events: [waiter.stamp, stamp])), ids: [waiter.id], sink: sink)
            }
        }
        var state = ifaces[iface] ?? Iface()
        state.count += 1
        state.tail.append(id)
        ifaces[iface] = state
        requests[id] = Request(iface: iface, arrival: state.count, submit: stamp, deps: deps)
    }

    /// `stage`: after the submit, once.
    mutating func stage(_ id: Int, at stamp: EventStamp, sink: SpecSink) {
        guard var request = requests[id] else {
            if var survivor = survivors[id] {
                if survivor.staged {
                    lifecycle("request \(id) is staged a second time at \(stamp.id)", [stamp, survivor.submit], sink)
                } else {
                    survivor.staged = true
                    keep(survivor, id)
                }
                return
            }
            return unknown(id, "staged", at: stamp, sink: sink)
        }
        guard !request.staged else {
            return lifecycle("request \(id) is staged a second time at \(stamp.id)", [stamp, request.submit], sink)
        }
        request.staged = true
        requests[id] = request
        settleIfDone(id)
    }

    /// `complete`: after the stage, once.
    mutating func complete(_ id: Int, at stamp: EventStamp, sink: SpecSink) {
        guard var request = requests[id] else {
            if var survivor = survivors[id] {
                if survivor.completed {
                    lifecycle("request \(id) is completed a second time at \(stamp.id)", [stamp, survivor.submit], sink)
                } else {
                    if !survivor.staged {
                        lifecycle("request \(id) is completed at \(stamp.id) before it was staged",
                                  [stamp, survivor.submit], sink)
                    }
                    survivor.completed = true
                    keep(survivor, id)
                }
                return
            }
            return unknown(id, "completed", at: stamp, sink: sink)
        }
        guard !request.completed else {
            return lifecycle("request \(id) is completed a second time at \(stamp.id)", [stamp, request.submit], sink)
        }
        if !request.staged {
            lifecycle("request \(id) is completed at \(stamp.id) before it was staged", [stamp, request.submit], sink)
        }
        request.completed = true
        requests[id] = request
        settleIfDone(id)
    }

    /// Keeps a survivor's record while it still misses a step of its lifecycle.
    mutating func keep(_ survivor: Survivor, _ id: Int) {
        survivors[id] = survivor.staged && survivor.completed && survivor.durable != nil ? nil : survivor
    }

    /// A `stage`, `complete` or `durable` of an id that is neither an open request of this epoch
    /// nor a survivor still missing a step.
    mutating func unknown(_ id: Int, _ verb: String, at stamp: EventStamp, sink: SpecSink) {
        if let done = settled[id] {
            lifecycle("request \(id) is \(verb) again at \(stamp.id); it was already staged, completed "
                + "and made durable", [stamp, done.since.stamp(node: node)], sink)
        } else if lost.contains(id) {
            lifecycle("request \(id) is \(verb) at \(stamp.id), but it was lost at an earlier crash "
                + "(not recovered after its epoch's crash)", [stamp], sink)
        } else if submitted.contains(id) {
            // A request of an earlier epoch that survived its crash and had done every step.
            lifecycle("request \(id) is \(verb) again at \(stamp.id); it was already staged, completed "
                + "and made durable (it was submitted in an earlier epoch)", [stamp], sink)
        } else {
            lifecycle("request \(id) is \(verb) at \(stamp.id) without a submit", [stamp], sink)
        }
    }

    /// Reports a `driver.lifecycle` violation.
    func lifecycle(_ message: String, _ events: [EventStamp], _ sink: SpecSink) {
        sink.report(Violation(.driverLifecycle, message, events: events))
    }

    /// Moves a request to the compact record once only the next crash can need it: staged,
    /// completed, durable in its epoch with its deps durable first, nothing waiting on it, and
    /// inside its interface's durable prefix.
    mutating func settleIfDone(_ id: Int) {
        guard phase == .running, let request = requests[id], request.staged, request.completed,
              request.durable != nil, request.sinceInEpoch, request.recovered == nil, let since = request.since,
              request.waiter == nil, request.depWaiter == nil, request.depsDurable,
              request.arrival <= ifaces[request.iface]?.frontier ?? 0
        else { return }
        settle(id, Settled(iface: request.iface, arrival: request.arrival, since: Mark(since)))
        requests[id] = nil
    }

    /// Records `done` as the settled state of `id`, keeping `settledDigest` the sum of the
    /// settled requests' digests (the id and `Settled.hash`).
    mutating func settle(_ id: Int, _ done: Settled) {
        func digest(_ value: Settled) -> UInt64 {
            var h = StableHasher()
            h.combine(id)
            value.hash(into: &h)
            return h.value
        }
        if let old = settled[id] { settledDigest &-= digest(old) }
        settled.set(done, forKey: id)
        settledDigest &+= digest(done)
    }

    /// Forgets every settled request (a new epoch begins).
    mutating func clearSettled() {
        settled.removeAll()
        settledDigest = 0
    }
}

// MARK: - State

extension DriverSpec {
    /// Whether the device serves requests or recovers from a crash.
    enum Phase: Sendable {
        /// In an epoch.
        case running
        /// Between a crash and the next `online`.
        case recovering
    }

    /// The first event of a recovery that does not belong there, and how many more followed.
    struct OutOfPlace: Sendable {
        /// The first one.
        var first: EventStamp
        /// How many there are in all.
        var count = 1
    }

    /// The ids one crash lost.
    struct LostEpoch: Sendable {
        /// The crash that ended their epoch.
        var crash: EventStamp
        /// The ids it lost.
        var ids: IntKeySet
    }

    /// A request of an earlier epoch, recovered after its crash, that still misses a `stage`,
    /// `complete` or `durable` event: those may come after the `online`.
    struct Survivor: Sendable {
        /// Its `submit`.
        var submit: EventStamp
        /// Ids that must be durable before its `durable`.
        var deps: [Int]
        /// Whether it was staged.
        var staged: Bool
        /// Whether it was completed.
        var completed: Bool
        /// Its `durable` event.
        var durable: EventStamp?
    }

    /// A `durable(b)` that needed a request durable first, while it was not.
    struct Waiter: Sendable {
        /// The `durable` event.
        var stamp: EventStamp
        /// Its request.
        var id: Int
        /// Whether the request waited for is a dep of `id` (else an earlier arrival on its iface).
        var becauseDep: Bool
    }

    /// An open request of the current epoch.
    struct Request: Sendable {
        /// Its interface.
        var iface: Int
        /// Its position in the interface's arrival order in this epoch, from 1.
        var arrival: Int
        /// Its `submit`.
        var submit: EventStamp
        /// Ids that must be durable before it.
        var deps: [Int]
        /// Whether it was staged.
        var staged = false
        /// Whether it was completed.
        var completed = false
        /// Its `durable` event.
        var durable: EventStamp?
        /// The event from which it is durable: its first `durable` or `recovered`.
        var since: EventStamp?
        /// Whether it became durable during the epoch (not during its recovery).
        var sinceInEpoch = false
        /// Its first `recovered` after the epoch's crash.
        var recovered: EventStamp?
        /// Whether its deps were all durable at its `durable`.
        var depsDurable = true
        /// The earliest `durable` of another request that needed this one durable first.
        var waiter: Waiter?
        /// The earliest `durable` of a request that has this one among its deps, while this one
        /// was not durable: if this one is lost, that `durable` had a dep that is never durable.
        var depWaiter: Waiter?

        /// Makes a request just submitted.
        init(iface: Int, arrival: Int, submit: EventStamp, deps: [Int]) {
            self.iface = iface
            self.arrival = arrival
            self.submit = submit
            self.deps = deps
        }
    }

    /// An event stamp of the driver node kept in 24 bytes: seq, location and which event.
    struct Mark: Sendable {
        /// The event's seq.
        var seq: Int
        /// Its line.
        var line: Int
        /// Its file index.
        var file: Int32
        /// Whether it is a `recovered` (else a `durable`).
        var recovered: Bool

        /// Keeps `stamp`, a `durable` or `recovered` event.
        init(_ stamp: EventStamp) {
            seq = stamp.id.seq
            line = stamp.location.line
            file = Int32(clamping: stamp.location.file)
            recovered = stamp.name == "recovered"
        }

        /// The stamp again, for the events of `node`.
        func stamp(node: String) -> EventStamp {
            EventStamp(
                id: EventID(node: node, seq: seq), name: recovered ? "recovered" : "durable",
                location: SourceLocation(file: Int(file), line: line))
        }
    }

    /// A done request of the current epoch inside its interface's durable prefix.
    struct Settled: Sendable {
        /// Its interface.
        var iface: Int
        /// Its arrival on the interface.
        var arrival: Int
        /// Its `durable` event.
        var since: Mark
        /// Its first `recovered` after the epoch's crash.
        var recovered: Mark?
    }

    /// A `sync` not finished yet.
    struct PendingSync: Sendable {
        /// The `sync` event.
        var stamp: EventStamp
        /// It covers the interface's arrivals 1...bound of the epoch.
        var bound: Int
        /// The durability that made all of them durable (the latest of theirs), once it came.
        var covered: EventStamp?
    }

    /// Per interface, for the current epoch (`survivor` outlives it).
    struct Iface: Sendable {
        /// Arrivals so far in this epoch.
        var count = 0
        /// Arrivals 1...frontier are all durable.
        var frontier = 0
        /// The durability stamp of the request at arrival `frontier`.
        var frontierStamp: EventStamp?
        /// The durability event at which the frontier last advanced.
        var lastAdvance: EventStamp?
        /// Ids of arrivals frontier+1...count, from `tailHead` on.
        var tail: [Int] = []
        /// Where the live part of `tail` starts.
        var tailHead = 0
        /// Undurable arrivals up to this one already have a waiter.
        var flagged = 0
        /// The durability stamp of the latest arrival of earlier epochs that was not lost.
        var survivor: EventStamp?
        /// Unfinished syncs, earliest first, from `syncHead` on.
        var syncs: [PendingSync] = []
        /// Where the unfinished part of `syncs` starts.
        var syncHead = 0

        /// The id of arrival `arrival`, which must be in frontier+1...count.
        func id(at arrival: Int) -> Int { tail[tailHead + arrival - frontier - 1] }

        /// Starts the next epoch: everything but `survivor` restarts.
        mutating func restart() {
            self = Iface(survivor: survivor)
        }

        /// Makes an empty interface state, or one that remembers a survivor.
        init(survivor: EventStamp? = nil) { self.survivor = survivor }
    }
}
