import Trace

/// A captured trace as `plumb explore --from` reads it: the events of every file, each node's
/// in seq order, with where each came from, so that a trace the explorer cannot use is refused
/// naming file, line and reason (`RecordedTraceError`).
///
/// The files form one trace, as for `plumb check` (rotated files of one node, one file per
/// node, plain or gzip): what the format asks of each file is checked as it is read
/// (`TraceFileReader`), every header must name the same system, and a `(node, seq)` may occur
/// once; and, as `plumb check` asks, every cause names an event of the files (or an `x-` one)
/// and happens-before has no cycle (`CausalOrder` reads the files once more for that). The
/// explorers then take only what each node recorded in its own order (and the causes the
/// events carry).
package struct RecordedTrace: Sendable {
    /// The system every header names.
    package var system: TraceSystem
    /// The files, in the order given (events' `location.file` indexes it).
    package var files: [String]
    /// Every event, grouped by node (nodes in first-appearance order), each node's in seq order.
    package var events: [TraceEvent]
    /// The line of the first file's header (blank lines may come before it).
    package var headerLine = 1

    /// Reads `files` (already resolved: no directories) as one trace.
    package init(files: [String]) throws(TraceInputError) {
        guard !files.isEmpty else { throw TraceInputError(file: "", line: 0, message: "no trace files given") }
        self.files = files
        var system: TraceSystem?
        var byNode: [[TraceEvent]] = []
        var nodeIndex: [ExactName: Int] = [:]  // nodes are told apart byte for byte (TRACE-FORMAT.md)
        for (index, path) in files.enumerated() {
            var reader = try TraceFileReader(path: path, fileIndex: index)
            if let system, reader.header.system != system {
                throw TraceInputError(
                    file: path, line: reader.headerLine,
                    message: "the header names system \(reader.header.system.rawValue), but \(files[0]) names "
                        + "\(system.rawValue): the files given to one exploration must form one trace")
            }
            system = reader.header.system
            if index == 0 { headerLine = reader.headerLine }
            while let item = try reader.next() {
                guard case .event(let event) = item else { continue }
                let node: Int
                if let known = nodeIndex[ExactName(event.node)] {
                    node = known
                } else {
                    node = byNode.count
                    nodeIndex[ExactName(event.node)] = node
                    byNode.append([])
                }
                byNode[node].append(event)
            }
        }
        var all: [TraceEvent] = []
        for var node in byNode {
            // Rotated files of one node may be given in any order: seq orders them.
            if zip(node, node.dropFirst()).contains(where: { $0.seq >= $1.seq }) {
                node.sort { $0.seq < $1.seq }
                if let twice = zip(node, node.dropFirst()).first(where: { $0.seq == $1.seq }) {
                    throw TraceInputError(
                        file: files[twice.1.location.file], line: twice.1.location.line,
                        message: "duplicate event \(twice.1.id): also at \(files[twice.0.location.file]):"
                            + "\(twice.0.location.line)")
                }
            }
            all += node
        }
        self.system = system!
        events = all
        try Self.checkHappensBefore(files)
    }

    /// Refuses, with `plumb check`'s message, a trace whose causes name no event of the files
    /// or go round in a cycle.
    static func checkHappensBefore(_ files: [String]) throws(TraceInputError) {
        // A node's seqs interleaved across files need a prescan, as `plumb check` finds out.
        for prescan in [false, true] {
            do throws(CausalOrder.Failure) {
                var order = try CausalOrder(paths: files, prescan: prescan)
                while try order.next() != nil {}
                return
            } catch {
                switch error {
                case .input(let error): throw error
                case .needsPrescan: continue
                }
            }
        }
    }

    /// Makes a trace from events already in memory (tests); `files` names where they came from.
    package init(system: TraceSystem, events: [TraceEvent], files: [String] = ["<memory>"]) {
        self.system = system
        self.events = events
        self.files = files
    }

    /// The error that refuses `event`: its file and line, and why.
    package func refusal(_ event: TraceEvent, _ reason: String) -> TraceInputError {
        let file = files.indices.contains(event.location.file) ? files[event.location.file] : files.joined(separator: ", ")
        return TraceInputError(file: file, line: event.location.line, message: reason)
    }

    /// The error that refuses the whole trace (no one line is to blame).
    package func refusal(_ reason: String) -> TraceInputError {
        TraceInputError(file: files.joined(separator: ", "), line: 0, message: reason)
    }

    /// Refuses a trace of another system than `expected`.
    package func expect(_ expected: TraceSystem) throws(TraceInputError) {
        guard system == expected else {
            throw TraceInputError(
                file: files[0], line: headerLine,
                message: "the trace is of the \(system.rawValue), not the \(expected.rawValue): explore it with "
                    + "`plumb explore \(system.rawValue) --from`")
        }
    }

    /// A stable 64-bit digest of the events that decide a workload (`TraceEncoder`'s bytes of
    /// each), for replay tokens: a trace changed since the exploration is refused. Hashed word
    /// by word (`combineWordByWord`), never through the hasher's faster paths, which may change
    /// from build to build; a token's digest must not.
    package static func digest(_ events: [TraceEvent]) -> UInt64 {
        var hash = StableHasher()
        var bytes: [UInt8] = []
        for var event in events {
            event.t = nil
            event.location = .none
            bytes.removeAll(keepingCapacity: true)
            TraceEncoder.append(event, to: &bytes)
            bytes.withUnsafeBytes { hash.combineWordByWord($0) }
        }
        return hash.value
    }
}
