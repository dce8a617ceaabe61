import Foundation
import Specs
import Trace

/// Shrinks a failing trace to a small one that still fails the same way (`plumb check
/// --minimize`), by delta debugging over its events.
///
/// The trace is read once, in full, into memory (its events in a linearization of
/// happens-before, and their lines as written). A candidate is a subset of the events that is
/// closed under `cause`: an event is kept only with every event its causes name, so the
/// candidate is a valid trace with the same seqs and causes (seqs may have gaps, which the format
/// allows), and no event is renumbered or rewritten. A candidate *still fails* when the graph
/// engine, replaying it through the system's spec in memory, finds a violation of the same
/// invariant citing the same events as the one being minimized: the same broken obligation,
/// not merely the same invariant broken elsewhere (a `commit` alone, of an lsn never appended,
/// breaks `mirror.commit-after-mirror` too, but tells nothing about the trace).
///
/// The search starts from the smallest of three sets that still fails: the violation's events
/// and the events their causes reach; those and every event that happens before them; the whole
/// trace. It then removes chunks of events (and whatever names them as a cause), halving the chunk
/// size when no chunk can go, down to single events: the result is 1-minimal, no single event
/// (with its dependents) can be removed. `confirm` then checks the written result once with Z3.
///
/// Memory grows with the trace (its lines are kept): meant for captures up to a few million
/// events. Not thread-safe; one minimization at a time.
package struct TraceMinimizer {
    /// Why a trace could not be minimized.
    package enum Failure: Error, CustomStringConvertible {
        /// The input is not a valid trace.
        case input(TraceInputError)
        /// The trace breaks no invariant: there is nothing to keep failing.
        case passes
        /// The trace breaks other invariants than the one asked for.
        case notBroken(Invariant, broken: [Invariant])

        /// The reason, for a person.
        package var description: String {
            switch self {
            case .input(let error): "not a valid trace: \(error)"
            case .passes: "the trace breaks no invariant, so there is nothing to minimize"
            case .notBroken(let invariant, let broken):
                "the trace does not break \(invariant) (it breaks \(broken.map(\.rawValue).joined(separator: ", ")))"
            }
        }
    }

    /// What a minimization produced.
    package struct Result: Sendable {
        /// The invariant the result still breaks.
        package var invariant: Invariant
        /// The violation kept: the same invariant, citing the same events, as in the original.
        package var violation: Violation
        /// Events of the original trace (`x-` events not counted).
        package var originalEvents: Int
        /// Events of the minimized trace.
        package var keptEvents: Int
        /// Candidate traces replayed to get there.
        package var candidatesTried: Int
        /// Whether the search ran to its end (the result is 1-minimal), rather than stopping
        /// at `timeLimit` with a result that still fails but may not be the smallest.
        package var complete: Bool
        /// The minimized trace file: the first file's header line, the `x-` lines its causes
        /// name, then its events' lines as written, in happens-before order.
        package var bytes: [UInt8]
    }

    /// One event of the trace, with its line as written.
    struct Entry {
        var event: TraceEvent
        var line: [UInt8]
        /// Every `(node, seq)` its `cause` names as written, `x-` events and cut-off tails included.
        var namedCauses: [EventID]
    }

    /// The files of the trace.
    package let files: [String]
    /// Whether the trace is a capture cut short (`--truncated`).
    package let allowTruncated: Bool
    /// How long the search may take: past it, the smallest failing trace found so far is the
    /// result (marked not `complete`). Ten minutes unless set.
    package var timeLimit: Duration = .seconds(600)
    /// The system the trace is of.
    let system: TraceSystem
    /// The events in a linearization of happens-before.
    var entries: [Entry] = []
    /// The header line of the first file, as written.
    var headerLine: [UInt8] = []
    /// The lines of `x-` events, by the `(node, seq)` they carry.
    var extensionLines: [EventID: [UInt8]] = [:]
    /// Per event index: the indices of the events whose causes name it.
    var dependents: [[Int]] = []
    /// Per event index: the indices of the events its causes name.
    var causeIndices: [[Int]] = []

    /// Reads the whole trace (every check of `plumb check` applies: an invalid trace is an input
    /// error).
    package init(files: [String], allowTruncated: Bool = false) throws(Failure) {
        self.files = files
        self.allowTruncated = allowTruncated
        var order: CausalOrder
        do {
            order = try Self.openOrder(files, allowTruncated: allowTruncated, prescan: false)
            system = order.system
            var events: [TraceEvent] = []
            do {
                while let event = try order.next() { events.append(event) }
            } catch .needsPrescan {
                order = try Self.openOrder(files, allowTruncated: allowTruncated, prescan: true)
                events = []
                while let event = try order.next() { events.append(event) }
            }
            try load(events)
        } catch .input(let error) {
            throw .input(error)
        } catch {
            throw .input(TraceInputError(file: files.first ?? "", line: 0, message: "the trace could not be ordered"))
        }
    }

    private static func openOrder(_ files: [String], allowTruncated: Bool, prescan: Bool) throws(CausalOrder.Failure) -> CausalOrder {
        try CausalOrder(paths: files, allowTruncated: allowTruncated, prescan: prescan)
    }

    /// Reads the files' lines, to write kept events as they were written, and indexes causes.
    private mutating func load(_ events: [TraceEvent]) throws(CausalOrder.Failure) {
        var lines: [[[UInt8]]] = []
        var named: [SourceLocation: [EventID]] = [:]
        for (index, path) in files.enumerated() {
            var fileLines: [[UInt8]] = []
            do {
                let source = try LineSource(path: path, acceptsCutGzip: allowTruncated)
                while let line = try source.nextLine() { fileLines.append(Array(line)) }
                var reader = try TraceFileReader(path: path, fileIndex: index, allowTruncated: allowTruncated)
                if index == 0 { headerLine = fileLines[reader.headerLine - 1] }
                while let item = try reader.next() {
                    switch item {
                    case .event(let event):
                        named[event.location] = event.causes
                    case .extensionEvent(let id?):
                        extensionLines[id] = fileLines[reader.lineNumber - 1]
                    case .extensionEvent(nil):
                        break
                    }
                }
            } catch {
                throw .input(error)
            }
            lines.append(fileLines)
        }
        var indexOf: [EventID: Int] = [:]
        for (i, event) in events.enumerated() { indexOf[event.id] = i }
        entries.reserveCapacity(events.count)
        dependents = Array(repeating: [], count: events.count)
        causeIndices = Array(repeating: [], count: events.count)
        for (i, event) in events.enumerated() {
            let location = event.location
            let line = location.file >= 0 && location.file < lines.count && location.line >= 1
                && location.line <= lines[location.file].count ? lines[location.file][location.line - 1] : TraceEncoder.encode(event)
            entries.append(Entry(event: event, line: line, namedCauses: named[location] ?? event.causes))
            for cause in event.causes {
                guard let c = indexOf[cause] else { continue }
                causeIndices[i].append(c)
                dependents[c].append(i)
            }
        }
    }

    /// The number of events read.
    package var eventCount: Int { entries.count }

    /// `minimize(invariant:)` by the invariant's name (`mirror.commit-after-mirror`).
    package func minimize(invariantNamed name: String) throws(Failure) -> Result {
        try minimize(invariant: Invariant(rawValue: name))
    }

    /// Minimizes the trace while it keeps breaking `invariant` with the same events (the
    /// first violation of it the graph engine finds); with no invariant, the first violation's.
    package func minimize(invariant: Invariant? = nil) throws(Failure) -> Result {
        var tries = 0
        let all = Array(entries.indices)
        let found = replay(all)
        tries += 1
        guard let first = found.first else { throw .passes }
        let target: Violation
        if let invariant {
            guard let match = found.first(where: { $0.invariant == invariant }) else {
                throw .notBroken(invariant, broken: found.map(\.invariant).uniqued())
            }
            target = match
        } else {
            target = first
        }
        let targetIDs = Set(target.events.map(\.id))
        let protected = Set(entries.indices.filter { targetIDs.contains(entries[$0].event.id) })

        func stillFails(_ candidate: [Int]) -> Bool {
            tries += 1
            return replay(candidate).contains { $0.invariant == target.invariant && Set($0.events.map(\.id)) == targetIDs }
        }

        // The smallest start that still fails.
        var current = all
        for start in [closure(of: protected, programOrder: false), closure(of: protected, programOrder: true)]
        where start.count < current.count {
            if stillFails(start) { current = start; break }
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeLimit)
        var complete = true
        current = reduce(current, protected: protected) { candidate in
            guard clock.now < deadline else { complete = false; return nil }
            return stillFails(candidate)
        }

        var bytes = headerLine + [0x0A]
        let kept = Set(current)
        var extensions = Set<EventID>()
        for i in current {
            for cause in entries[i].namedCauses where extensionLines[cause] != nil && extensions.insert(cause).inserted {
                bytes += extensionLines[cause]! + [0x0A]
            }
        }
        for i in entries.indices where kept.contains(i) { bytes += entries[i].line + [0x0A] }
        let final = replay(current).first { $0.invariant == target.invariant && Set($0.events.map(\.id)) == targetIDs } ?? target
        return Result(
            invariant: target.invariant, violation: final, originalEvents: entries.count, keptEvents: current.count,
            candidatesTried: tries, complete: complete, bytes: bytes)
    }

    /// The events `seeds` and every event they reach backwards through causes (and, with
    /// `programOrder`, through their nodes' earlier events), in replay order.
    func closure(of seeds: Set<Int>, programOrder: Bool) -> [Int] {
        var inSet = Array(repeating: false, count: entries.count)
        var stack = Array(seeds)
        for s in seeds { inSet[s] = true }
        // Per node, the highest seq whose earlier events are all in (program order only).
        var previous: [Int] = []
        if programOrder {
            previous = Array(repeating: -1, count: entries.count)
            var last: [ExactName: Int] = [:]
            for (i, entry) in entries.enumerated() {
                let key = ExactName(entry.event.node)
                previous[i] = last[key] ?? -1
                last[key] = i
            }
        }
        while let i = stack.popLast() {
            var next = causeIndices[i]
            if programOrder && previous[i] >= 0 { next.append(previous[i]) }
            for c in next where !inSet[c] {
                inSet[c] = true
                stack.append(c)
            }
        }
        return entries.indices.filter { inSet[$0] }
    }

    /// Delta debugging by complements: tries removing each chunk of `current` (with every
    /// event that names a removed one as a cause), keeps each removal after which the trace
    /// still fails, and halves the chunk size after each pass, down to single events, until a
    /// pass of single events removes nothing, or `stillFails` answers nil (stop now).
    func reduce(_ start: [Int], protected: Set<Int>, stillFails: ([Int]) -> Bool?) -> [Int] {
        var current = start
        var size = max(1, current.count / 2)
        var inCurrent = Array(repeating: false, count: entries.count)
        for i in current { inCurrent[i] = true }
        while true {
            var removedAny = false
            var position = 0
            while position < current.count {
                let chunk = current[position..<min(position + size, current.count)]
                // The chunk and, transitively, the events that name one of its events as a cause.
                var removal = Set<Int>()
                var stack = Array(chunk)
                var blocked = false
                while let i = stack.popLast() {
                    guard removal.insert(i).inserted else { continue }
                    if protected.contains(i) { blocked = true; break }
                    for d in dependents[i] where inCurrent[d] && !removal.contains(d) { stack.append(d) }
                }
                if !blocked {
                    let candidate = current.filter { !removal.contains($0) }
                    guard let fails = candidate.isEmpty ? false : stillFails(candidate) else { return current }
                    if fails {
                        for i in removal { inCurrent[i] = false }
                        current = candidate
                        removedAny = true
                        continue  // the next chunk now starts at `position`
                    }
                }
                position += size
            }
            if size == 1 && !removedAny { return current }
            size = max(1, size / 2)
            if size > current.count { size = max(1, current.count / 2) }
        }
    }
}
