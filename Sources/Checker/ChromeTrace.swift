import Trace

/// Converts a trace into the Chrome Trace Event Format (JSON Object Format), which Perfetto UI
/// and chrome://tracing open: one thread per node, each event a zero-length complete slice
/// (`"ph":"X"`, `"dur":0`) named by its event name with its fields, file and line as args, and
/// every `cause` link a flow arrow from the cause to the event.
///
/// **Streaming.** Events are written as `CausalOrder` hands them out; the converter keeps only
/// the nodes it has named (a few bytes each) and an output buffer. Because the events that name
/// a given event as their cause come later and are not known when it is written, every event
/// opens a flow (`"ph":"s"`) whose id is a 64-bit hash of its `(node, seq)`, and each cause link
/// ends that flow (`"ph":"f"`, `"bp":"e"`) at the event that names it. Perfetto draws one arrow
/// per link (a cause named twice gets two); flows that no event ends draw nothing. Flow events
/// are written right after their slice at the same timestamp, which is how both viewers bind
/// them to it.
///
/// **Time.** With `.rank`, an event's `ts` is its position in the linearization of
/// happens-before, one microsecond per event: a picture of the causal order, not of time. With
/// `.nodeClock`, it is the event's own `t` (nanoseconds, written in microseconds); an event
/// without `t` takes the previous `t` on its node (0 before any); the clocks of different nodes
/// are not synchronised, which `otherData` says.
package struct ChromeTraceConverter {
    /// What the `ts` of an event is.
    package enum TimeAxis: String, Sendable, CaseIterable {
        /// The event's position in the linearization of happens-before, in microseconds.
        case rank
        /// The node's own clock `t`, carried forward over events without one.
        case nodeClock = "t"
    }

    /// Why a conversion stopped.
    package enum Failure: Error {
        /// The input is not a valid trace: exit 2, naming the file and line.
        case input(TraceInputError)
        /// The output could not be written (what the sink threw).
        case output(any Error)
    }

    /// What a finished conversion wrote.
    package struct Summary: Sendable, Equatable {
        /// Events written as slices (`x-` events are not in the trace).
        package var events = 0
        /// Nodes, one track each.
        package var nodes = 0
        /// Cause links written as flow ends.
        package var causeLinks = 0
        /// Causes dropped because the capture was cut off (`--truncated`).
        package var droppedTruncatedCauses = 0
    }

    /// The flow events' name and category (Perfetto keys v1 flows by id, category and name).
    static let flowName = "cause", flowCategory = "happens-before"

    private let timeAxis: TimeAxis
    /// The trace's files, for each event's `file` arg.
    private let files: [String]
    private let write: ([UInt8]) throws -> Void
    private var out: [UInt8] = []
    private var nodeIDs: [String: Int] = [:]
    /// Per node (by track id - 1): the last `t` seen, for `.nodeClock`.
    private var lastT: [Int] = []
    private var rank = 0
    private var links = 0
    /// Bytes buffered before they are handed to `write`.
    private static let flushSize = 1 << 16

    /// A converter for the trace read from `files` that hands its output, in pieces, to
    /// `write` (which throws to stop it).
    package init(timeAxis: TimeAxis, files: [String], write: @escaping ([UInt8]) throws -> Void) {
        self.timeAxis = timeAxis
        self.files = files
        self.write = write
    }

    /// Reads the trace in `files` in happens-before order and writes it out whole. A trace of
    /// several files is scanned once first (`CausalOrder`'s prescan), so that nothing written
    /// has to be taken back. On an input error the output written so far is cut short.
    package static func convert(
        files: [String], timeAxis: TimeAxis, allowTruncated: Bool = false,
        maxPending: Int = CausalOrder.defaultMaxPending, write: @escaping ([UInt8]) throws -> Void
    ) throws(Failure) -> Summary {
        var order: CausalOrder
        do {
            order = try CausalOrder(
                paths: files, allowTruncated: allowTruncated, prescan: files.count > 1, maxPending: maxPending)
        } catch {
            throw .input(inputError(error))
        }
        var converter = ChromeTraceConverter(timeAxis: timeAxis, files: files, write: write)
        try converter.begin(system: order.system)
        while true {
            let event: TraceEvent?
            do { event = try order.next() } catch { throw .input(inputError(error)) }
            guard let event else { break }
            try converter.add(event)
        }
        var summary = Summary()
        summary.events = order.eventCount
        summary.nodes = converter.nodeIDs.count
        summary.causeLinks = converter.links
        summary.droppedTruncatedCauses = order.droppedTruncatedCauses
        try converter.finish(system: order.system, files: files, summary: summary)
        return summary
    }

    private static func inputError(_ failure: CausalOrder.Failure) -> TraceInputError {
        switch failure {
        case .input(let error): error
        case .needsPrescan(let node): TraceInputError(file: "", line: 0, message: "node \(node): seqs could not be ordered across files")
        }
    }

    /// Writes the opening of the document and the process's name.
    package mutating func begin(system: TraceSystem) throws(Failure) {
        // Node clocks are nanoseconds: show them so; ranks are whole microseconds.
        raw(timeAxis == .nodeClock ? "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n" : "{\"traceEvents\":[\n")
        raw("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":")
        string("plumb \(system.rawValue) trace")
        raw("}}")
        try flushIfFull()
    }

    /// Writes one event, handed out in happens-before order: its track's name the first time
    /// its node shows up, its slice, its flow start, and a flow end per cause.
    package mutating func add(_ event: TraceEvent) throws(Failure) {
        let tid = track(event.node)
        let ts: Timestamp
        switch timeAxis {
        case .rank:
            ts = .micros(rank)
        case .nodeClock:
            if let t = event.t { lastT[tid - 1] = t }
            ts = .nanos(lastT[tid - 1])
        }
        rank += 1
        // The slice, its args the event's own line (fields, cause, t) plus where it was read.
        raw(",\n{\"name\":")
        string(event.kind.name)
        raw(",\"cat\":\"event\",\"ph\":\"X\",\"ts\":")
        timestamp(ts)
        raw(",\"dur\":0,\"pid\":1,\"tid\":")
        int(tid)
        raw(",\"args\":")
        var line = TraceEncoder.encode(event)
        line.removeLast()  // the closing brace
        out += line
        if files.indices.contains(event.location.file) {
            raw(",\"file\":")
            string(files[event.location.file])
            raw(",\"line\":")
            int(event.location.line)
        }
        raw("}}")
        flow(end: false, id: event.id, ts: ts, tid: tid)
        for cause in event.causes {
            flow(end: true, id: cause, ts: ts, tid: tid)
            links += 1
        }
        try flushIfFull()
    }

    /// Closes the event list and writes `otherData`: the system, the files, the time axis and
    /// what it means, and the counts.
    package mutating func finish(system: TraceSystem, files: [String], summary: Summary) throws(Failure) {
        raw("\n],\"otherData\":{\"generator\":\"plumb convert --to chrome-trace\",\"system\":")
        string(system.rawValue)
        raw(",\"files\":[")
        for (index, file) in files.enumerated() {
            if index > 0 { raw(",") }
            string(file)
        }
        raw("],\"time_axis\":")
        string(timeAxis == .rank ? "rank" : "t")
        raw(",\"time_note\":")
        switch timeAxis {
        case .rank:
            string("ts is each event's position in a linearization of happens-before (1 us per event), not time; "
                + "flow arrows are the cause links")
        case .nodeClock:
            string("ts is each node's own clock t (ns, shown in us); an event without t takes the previous t of its node; "
                + "clocks of different nodes are not synchronised and not comparable: only the flow arrows (cause links) "
                + "and each node's own order say what happened before what")
        }
        raw(",\"events\":")
        int(summary.events)
        raw(",\"nodes\":")
        int(summary.nodes)
        raw(",\"cause_links\":")
        int(summary.causeLinks)
        raw(",\"dropped_truncated_causes\":")
        int(summary.droppedTruncatedCauses)
        raw("}}\n")
        try flush()
    }

    // MARK: pieces

    /// A timestamp: microseconds, or nanoseconds written as microseconds with three decimals.
    private enum Timestamp { case micros(Int), nanos(Int) }

    /// The track (thread id) of `node`, naming it the first time.
    private mutating func track(_ node: String) -> Int {
        if let tid = nodeIDs[node] { return tid }
        let tid = nodeIDs.count + 1
        nodeIDs[node] = tid
        lastT.append(0)
        raw(",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":")
        int(tid)
        raw(",\"args\":{\"name\":")
        string(node)
        raw("}},\n{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":1,\"tid\":")
        int(tid)
        raw(",\"args\":{\"sort_index\":")
        int(tid)
        raw("}}")
        return tid
    }

    /// The start (`"s"`) or an end (`"f"`, bound to the enclosing slice) of the flow that
    /// starts at event `id`.
    private mutating func flow(end: Bool, id: EventID, ts: Timestamp, tid: Int) {
        raw(",\n{\"name\":")
        string(Self.flowName)
        raw(",\"cat\":")
        string(Self.flowCategory)
        raw(end ? ",\"ph\":\"f\",\"bp\":\"e\"" : ",\"ph\":\"s\"")
        raw(",\"id\":\"0x")
        out += Self.hex(Self.flowID(id))
        raw("\",\"ts\":")
        timestamp(ts)
        raw(",\"pid\":1,\"tid\":")
        int(tid)
        raw("}")
    }

    /// The flow id of the flow that starts at `id`: the package's stable hash of node and seq.
    static func flowID(_ id: EventID) -> UInt64 {
        var hasher = StableHasher()
        hasher.combine(id.node)
        hasher.combine(id.seq)
        return hasher.value
    }

    private static func hex(_ value: UInt64) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        return (0..<16).reversed().map { digits[Int((value >> (UInt64($0) * 4)) & 0xf)] }
    }

    private mutating func timestamp(_ ts: Timestamp) {
        switch ts {
        case .micros(let value):
            int(value)
        case .nanos(let value):
            if value < 0 { raw("-") }
            let magnitude = value.magnitude
            out += Array(String(magnitude / 1000).utf8)
            let fraction = magnitude % 1000
            if fraction != 0 {
                raw(".")
                let text = String(fraction)
                out += Array(repeating: UInt8(ascii: "0"), count: 3 - text.utf8.count) + Array(text.utf8)
            }
        }
    }

    private mutating func int(_ value: Int) { out += Array(String(value).utf8) }

    private mutating func raw(_ text: StaticString) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// A JSON string: quotes, `\` and control characters escaped; other text as UTF-8.
    private mutating func string(_ text: String) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0..<0x20:
                raw("\\u00")
                out += Self.hex(UInt64(byte)).suffix(2)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private mutating func flushIfFull() throws(Failure) {
        if out.count >= Self.flushSize { try flush() }
    }

    private mutating func flush() throws(Failure) {
        guard !out.isEmpty else { return }
        do { try write(out) } catch { throw .output(error) }
        out.removeAll(keepingCapacity: true)
    }
}
