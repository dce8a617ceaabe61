/// What a trace file yields: an event of the format, or a dropped `x-` event.
public enum TraceItem: Sendable, Equatable {
    /// An event, checked against the file's system; its `location` names file and line.
    case event(TraceEvent)
    /// An event whose name starts with `x-`: its node and seq when present and well typed.
    case extensionEvent(EventID?)
}

/// Reads one trace file lazily, line by line, checking what TRACE-FORMAT.md asks of one file.
///
/// The header is read when the reader is made; `next()` then yields the file's events in line
/// order, consuming blank lines and recurring headers. Checked here: the first non-blank line
/// is a header; a recurring header names the same format, version and system; every event
/// line is valid for the header's system; along each node's lines the seq strictly increases.
/// Checks across files (duplicate ids, causes, cycles) are not this type's job.
///
/// With `allowTruncated` (`plumb check --truncated`), a last line that has no newline after it
/// and is not valid JSON (a writer cut off mid-line) is dropped and counted in
/// `droppedCutLines`; without it, or with a newline after it, such a line is an input error.
/// Gzip data cut off inside a member likewise ends there with it (an error without it).
///
/// Memory does not grow with the file's length: one line buffer and the last seq per node.
/// Plain and gzip files are read alike (see `LineSource`). Copies of a reader share its file
/// position, so use one copy; not thread-safe.
public struct TraceFileReader {
    /// The file's path as given; every error names it.
    public let path: String
    /// The file's index in the trace's file list; it is the `file` of every event's location.
    public let fileIndex: Int
    /// The file's header (its first non-blank line).
    public let header: TraceHeader
    /// The line of the header.
    public let headerLine: Int

    /// Lines dropped as cut off mid-write: at most one, the file's last (see `allowTruncated`).
    public private(set) var droppedCutLines = 0

    private let source: LineSource
    private let parser: EventParser
    /// Whether a last line cut off mid-write is dropped rather than an error.
    private let allowTruncated: Bool
    /// Per node: the last seq seen in this file and its line.
    private var lastSeq = LastSeqTable()
    /// The shapes of this file's lines, read without a full parse.
    private var templates = LineTemplateCache()

    /// Opens `path` and reads its header.
    ///
    /// Throws when the file cannot be read, is empty ("empty file: no header"), or its first
    /// non-blank line is not a valid header (a cut header is an error even with
    /// `allowTruncated`: a file needs its header).
    public init(path: String, fileIndex: Int, allowTruncated: Bool = false) throws(TraceInputError) {
        try self.init(path: path, fileIndex: fileIndex, allowTruncated: allowTruncated, templates: true)
    }

    /// Opens `path` as above; without `templates`, every line is parsed in full (what the
    /// templates' fuzz target compares them with).
    package init(path: String, fileIndex: Int, allowTruncated: Bool, templates: Bool) throws(TraceInputError) {
        self.path = path
        self.fileIndex = fileIndex
        self.allowTruncated = allowTruncated
        source = try LineSource(path: path, acceptsCutGzip: allowTruncated)
        let headerParser = EventParser(system: nil)
        while true {
            guard let line = try source.nextLine() else {
                throw TraceInputError(file: path, line: 0, message: "empty file: no header")
            }
            let parsed: TraceLine
            do {
                parsed = try headerParser.parse(line, requireHeader: true)
            } catch {
                throw TraceInputError(file: path, line: source.lineNumber, message: error.message)
            }
            guard case .header(let header) = parsed else { continue }  // blank
            self.header = header
            self.headerLine = source.lineNumber
            break
        }
        parser = EventParser(system: header.system)
        if !templates { self.templates.disable() }
    }

    /// The number of the last line read.
    public var lineNumber: Int { source.lineNumber }

    /// Bytes of the file read so far (of the compressed file, for gzip).
    public var bytesRead: Int { source.bytesRead }

    /// The next event of the file, or nil at its end.
    ///
    /// Throws a `TraceInputError` naming the file and line of the first problem.
    public mutating func next() throws(TraceInputError) -> TraceItem? {
        while let line = try source.nextLine() {
            if let (shape, numbers) = templates.match(line) {
                try checkSeq(ofTemplate: shape, numbers.seq)
                let location = SourceLocation(file: fileIndex, line: source.lineNumber)
                return .event(templates.event(shape, numbers, location: location))
            }
            let parsed: TraceLine
            do {
                parsed = try parser.parse(line)
            } catch {
                guard source.lastLineUnterminated, !JSONCursor.isValidJSON(line) else {
                    throw failure(error.message)
                }
                // The last line was cut mid-write.
                guard allowTruncated else {
                    throw failure(
                        error.message + "; the line is the file's last and has no newline: "
                            + "if the capture was cut off mid-write, check with --truncated")
                }
                droppedCutLines += 1
                continue
            }
            switch parsed {
            case .blank:
                continue
            case .header(let again):
                guard again == header else {
                    throw failure(
                        "header names version \(again.version), system \(again.system.rawValue), but the "
                            + "file's header at line \(headerLine) names version \(header.version), "
                            + "system \(header.system.rawValue)")
                }
            case .extensionEvent(let id):
                return .extensionEvent(id)
            case .event(var event):
                templates.learn(line, event)
                try checkSeq(of: event.node, event.seq)
                event.location = SourceLocation(file: fileIndex, line: source.lineNumber)
                return .event(event)
            }
        }
        return nil
    }

    /// Throws unless `seq`, read from the latest line, follows the previous seq of `node` in
    /// this file.
    @inline(__always) private mutating func checkSeq(of node: String, _ seq: Int) throws(TraceInputError) {
        try checkSeq(row: lastSeq.row(of: node), seq)
    }

    /// `checkSeq(of:_:)` for a line of template `i`, whose node's row in `lastSeq` the template
    /// keeps: no name is compared.
    @inline(__always) private mutating func checkSeq(ofTemplate i: Int, _ seq: Int) throws(TraceInputError) {
        var row = templates.seqRow(i)
        if row < 0 {
            row = lastSeq.row(of: templates.node(i))
            templates.setSeqRow(i, row)
        }
        try checkSeq(row: row, seq)
    }

    /// `checkSeq(of:_:)` for the node in row `row` of `lastSeq`.
    @inline(__always) private mutating func checkSeq(row: Int, _ seq: Int) throws(TraceInputError) {
        if let previous = lastSeq.update(row: row, seq: seq, line: source.lineNumber) {
            throw failure(
                "seq \(seq) of node \"\(lastSeq.node(row))\" does not increase: "
                    + "the node's previous seq is \(previous.seq) at line \(previous.line)")
        }
    }

    private func failure(_ message: String) -> TraceInputError {
        TraceInputError(file: path, line: source.lineNumber, message: message)
    }
}

/// The last seq (and its line) of each node: a short array searched linearly, since traces
/// have few nodes, with a dictionary index once there are many.
private struct LastSeqTable {
    private var nodes: [String] = []
    private var entries: [(seq: Int, line: Int)] = []
    private var index: [ExactName: Int] = [:]
    private static let linearLimit = 16

    /// Records `seq` at `line` for the node in row `row` (from `row(of:)`), or returns the
    /// node's previous entry when `seq` does not exceed it (leaving the table as it was).
    @inline(__always) mutating func update(row: Int, seq: Int, line: Int) -> (seq: Int, line: Int)? {
        let previous = entries[row]
        // Line 0: no seq of the node yet.
        guard previous.line == 0 || previous.seq < seq else { return previous }
        entries[row] = (seq, line)
        return nil
    }

    /// The node in row `row`.
    func node(_ row: Int) -> String { nodes[row] }

    /// The row of `node`, added with no seq yet when it is new.
    mutating func row(of node: String) -> Int {
        let position: Int?
        if nodes.count <= Self.linearLimit {
            position = firstIndexExactlyEqual(node, count: nodes.count) { nodes[$0] }
        } else {
            position = index[ExactName(node)]
        }
        if let position { return position }
        nodes.append(node)
        entries.append((0, 0))
        if nodes.count > Self.linearLimit {
            if index.isEmpty {
                for (i, name) in nodes.enumerated() { index[ExactName(name)] = i }
            } else {
                index[ExactName(node)] = nodes.count - 1
            }
        }
        return nodes.count - 1
    }
}
