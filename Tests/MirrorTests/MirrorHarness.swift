import Mirror
import Specs
import Trace

/// Connects a primary and a secondary core through in-memory paths whose delivery the test
/// controls message by message; keeps every recorded event, note and effect.
struct MirrorHarness {
    var primary: MirrorPrimary
    var secondary = MirrorSecondary()
    /// Every trace event, in the order recorded (a valid line order).
    var events: [TraceEvent] = []
    var notes: [MirrorNote] = []
    /// Messages in flight, per path: primary to secondary, and back.
    var toSecondary: [Int: [MirrorMessage]] = [:]
    var toPrimary: [Int: [MirrorMessage]] = [:]
    var commits: [Int] = []
    var degraded: [Bool] = []
    var persisted: [MirrorRecord] = []
    var fencedAt: Int?

    init(streams: Int, paths: Int) {
        primary = MirrorPrimary(streams: streams, paths: paths)
    }

    /// Feeds the primary and carries out its actions; returns them.
    @discardableResult
    mutating func p(_ input: MirrorPrimary.Input) -> [MirrorPrimary.Action] {
        let actions = primary.handle(input)
        for action in actions {
            switch action {
            case .record(let event): events.append(event)
            case .note(let note): notes.append(note)
            case let .send(path, message): toSecondary[path, default: []].append(message)
            case .commit(let lsn): commits.append(lsn)
            case .degraded(let flag): degraded.append(flag)
            case .rejected: break
            case .fenced(let epoch): fencedAt = epoch
            }
        }
        return actions
    }

    /// Feeds the secondary and carries out its actions; returns them.
    @discardableResult
    mutating func s(_ input: MirrorSecondary.Input) -> [MirrorSecondary.Action] {
        let actions = secondary.handle(input)
        for action in actions {
            switch action {
            case .record(let event): events.append(event)
            case .note(let note): notes.append(note)
            case let .send(path, message): toPrimary[path, default: []].append(message)
            case .persist(let record): persisted.append(record)
            case .tookOver: break
            }
        }
        return actions
    }

    /// Both ends see the path up.
    mutating func up(_ path: Int) {
        p(.pathUp(path))
        s(.pathUp(path))
    }

    /// Both ends see the path down; what was in flight on it is lost.
    mutating func down(_ path: Int) {
        toSecondary[path] = []
        toPrimary[path] = []
        p(.pathDown(path))
        s(.pathDown(path))
    }

    /// A client write; returns its lsn.
    @discardableResult
    mutating func write(key: UInt64, deps: [Int] = []) -> Int {
        p(.write(.init(key: key, payload: Array("v\(key)".utf8), deps: deps)))
        return primary.lastLSN
    }

    /// Delivers the message at `index` of the path's queue to the secondary.
    @discardableResult
    mutating func deliver(path: Int, index: Int = 0) -> [MirrorSecondary.Action] {
        let message = toSecondary[path]!.remove(at: index)
        return s(.arrived(path: path, message))
    }

    /// Delivers everything queued on the path to the secondary, in order.
    mutating func deliverAll(path: Int) {
        while !(toSecondary[path] ?? []).isEmpty { deliver(path: path) }
    }

    /// Delivers everything queued back to the primary, path by path.
    mutating func returnAll() {
        for path in toPrimary.keys.sorted() {
            while !(toPrimary[path] ?? []).isEmpty {
                let message = toPrimary[path]!.removeFirst()
                p(.arrived(path: path, message))
            }
        }
    }

    /// Delivers everything both ways until nothing is in flight.
    mutating func settle() {
        while toSecondary.values.contains(where: { !$0.isEmpty }) || toPrimary.values.contains(where: { !$0.isEmpty }) {
            for path in toSecondary.keys.sorted() { deliverAll(path: path) }
            returnAll()
        }
    }

    /// The events of kind `name` recorded by `node`.
    func kinds(_ name: String, on node: String? = nil) -> [EventKind] {
        events.filter { $0.kind.name == name && (node == nil || $0.node == node) }.map(\.kind)
    }

    /// Replays the recorded trace through the mirror spec.
    func violations() throws -> [Violation] {
        try SpecRunner.run(MirrorSpec.self, events: events).violations
    }
}

/// Shorthand for a stream entry.
func entry(_ stream: Int, _ sn: Int) -> StreamEntry { StreamEntry(stream: stream, sn: sn) }
