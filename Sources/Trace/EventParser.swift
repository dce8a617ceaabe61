/// What one line of a trace file holds.
package enum TraceLine: Sendable, Equatable {
    /// An empty line, or one of only JSON whitespace (space, tab, CR, LF).
    case blank
    /// A header line (an object with a `format` key and no `ev`).
    case header(TraceHeader)
    /// An event of the format, checked against its system's table.
    case event(TraceEvent)
    /// An event whose name starts with `x-`: dropped. Its node and seq when both are present
    /// and well typed, else nil; its other fields are not checked.
    case extensionEvent(EventID?)
}

/// Turns one line of JSON into a `TraceLine`, checking it against TRACE-FORMAT.md.
///
/// A hand-written byte-level parser: it accepts any valid JSON object (whitespace anywhere,
/// any key order, string escapes, unknown keys with values of any type, which are skipped)
/// and rejects everything else with a message naming the problem: not JSON (a byte-order mark
/// included), not an object, a missing or mistyped field, a duplicate key, an integer past
/// 64 bits, an unknown event, or an event its system's table does not allow on its node.
/// An optional field set to `null` reads as absent; names are compared byte for byte after
/// unescaping (TRACE-FORMAT.md, settled readings: Syntax and Names). Errors are
/// `TraceInputError`s with an empty file and line 0; `TraceFileReader` fills those in.
///
/// A value type without state: safe to use from any thread.
package struct EventParser: Sendable {
    /// The system whose table events are checked against; nil before a header was seen.
    ///
    /// With nil, every event name of every system is accepted, each with its own system's
    /// node rules (`crash` on any node).
    package var system: TraceSystem?

    /// Makes a parser for events of `system`.
    package init(system: TraceSystem?) {
        self.system = system
    }

    /// Parses one line (without its line end; trailing whitespace is allowed).
    package func parse(_ line: UnsafeBufferPointer<UInt8>) throws(TraceInputError) -> TraceLine {
        try parse(line, requireHeader: false)
    }

    /// Parses one line given as bytes.
    package func parse(_ line: [UInt8]) throws(TraceInputError) -> TraceLine {
        let result = line.withUnsafeBufferPointer { bytes in
            Result { () throws(TraceInputError) in try parse(bytes, requireHeader: false) }
        }
        return try result.get()
    }

    /// Parses one line given as a string.
    package func parse(_ line: String) throws(TraceInputError) -> TraceLine {
        try parse(Array(line.utf8))
    }

    /// Parses one line; with `requireHeader`, an object that is not a header is an error.
    func parse(_ line: UnsafeBufferPointer<UInt8>, requireHeader: Bool) throws(TraceInputError) -> TraceLine {
        guard let base = line.baseAddress else { return .blank }
        var cursor = JSONCursor(base: base, end: line.count)
        cursor.skipWhitespace()
        if cursor.pos == cursor.end { return .blank }
        guard cursor.current == UInt8(ascii: "{") else { throw notAnObject(cursor) }
        return try withUnsafeTemporaryAllocation(of: Int.self, capacity: FieldSlots.capacity) {
            (cells) throws(TraceInputError) -> TraceLine in
            let slots = FieldSlots(cells: cells)
            // Most lines are in the plain shape writers produce: scanned quickly. Any other
            // line is scanned in full, which validates it and words its errors.
            var quick = cursor
            if !quick.scanPlainObject(into: slots, wholeLine: true) {
                try cursor.scanObject(into: slots)
                cursor.skipWhitespace()
                guard cursor.pos == cursor.end else {
                    throw cursor.syntax("unexpected text after the object")
                }
            }
            let fields = ObjectFields(base: base, end: line.count, slots: slots)
            // A line with an `ev` is an event, whatever else it holds: a `format` key there is
            // a field the page does not name for events, ignored (an `x-` event is dropped).
            // (`"ev": null` is no ev, as null is absent for every optional field.)
            if fields.offset(.format) != nil && fields.presentOffset(.ev) == nil { return .header(try header(fields)) }
            if requireHeader {
                throw TraceInputError(
                    file: "", line: 0,
                    message: "missing header: the first line must be "
                        + "{\"format\":\"plumb-trace\",\"version\":1,\"system\":...}"
                        + (fields.offset(.format) != nil ? " (this one has an \"ev\", so it is an event)" : ""))
            }
            return try event(fields)
        }
    }

    // MARK: header

    private func header(_ f: ObjectFields) throws(TraceInputError) -> TraceHeader {
        let format = try f.requiredString(.format)
        guard format == TraceHeader.formatName else {
            throw error("unsupported format \"\(format)\": expected \"\(TraceHeader.formatName)\"")
        }
        guard let versionAt = f.offset(.version) else { throw f.missing(.version) }
        let version = try f.integerValue(at: versionAt, FieldName(.version), signed: true)
        guard version == TraceHeader.currentVersion else {
            throw error("unsupported version \(version): this checker reads version \(TraceHeader.currentVersion)")
        }
        let name = try f.requiredString(.system)
        guard let system = TraceSystem(rawValue: name) else {
            throw error("unknown system \"\(name)\": expected \"mirror\", \"driver\" or \"recovery\"")
        }
        if let metaAt = f.presentOffset(.meta), f.base[metaAt] != UInt8(ascii: "{") {
            throw f.mistyped(FieldName(.meta), expected: "an object", at: metaAt)
        }
        return TraceHeader(system: system, version: version)
    }

    // MARK: events

    private func event(_ f: ObjectFields) throws(TraceInputError) -> TraceLine {
        guard let evAt = f.offset(.ev) else { throw f.missing(.ev) }
        guard f.base[evAt] == UInt8(ascii: "\"") else {
            throw f.mistyped(FieldName(.ev), expected: "a string", at: evAt)
        }
        var cursor = JSONCursor(base: f.base, end: f.end, pos: evAt)
        let span = try cursor.scanString()
        let name: EventName?
        if span.escaped {
            let bytes = try cursor.unescapedBytes(span)
            if bytes.starts(with: [UInt8(ascii: "x"), UInt8(ascii: "-")]) {
                return .extensionEvent(extensionID(f))
            }
            name = bytes.withUnsafeBufferPointer { EventName.identify($0.baseAddress ?? f.base, $0.count) }
        } else {
            let count = span.end - span.start
            if count >= 2 && f.base[span.start] == UInt8(ascii: "x") && f.base[span.start + 1] == UInt8(ascii: "-") {
                return .extensionEvent(extensionID(f))
            }
            name = EventName.identify(f.base + span.start, count)
        }
        guard let name else { throw unknownEvent(try cursor.stringValue(span)) }
        let node = try f.requiredNode(.node)
        let seq = try f.natural(.seq)
        let t = try f.integer(.t, signed: true)
        let causes = try self.causes(f)
        try check(name, on: node)
        let kind = try name.kind(f)
        return .event(TraceEvent(node: node, seq: seq, kind: kind, causes: causes, t: t))
    }

    /// The node and seq of an `x-` event, when both are present and well typed.
    private func extensionID(_ f: ObjectFields) -> EventID? {
        guard let node = try? f.string(.node), let seq = try? f.integer(.seq) else { return nil }
        return EventID(node: node, seq: seq)
    }

    /// `cause`: absent or null (none), one `{"node","seq"}` object, or an array of them.
    private func causes(_ f: ObjectFields) throws(TraceInputError) -> [EventID] {
        guard let at = f.offset(.cause) else { return [] }
        let expected = "an object {\"node\",\"seq\"}"
        switch f.base[at] {
        case UInt8(ascii: "n"):
            return []
        case UInt8(ascii: "{"):
            return [try f.withObject(at: at, parent: .cause, index: nil, expected: expected, eventID)]
        case UInt8(ascii: "["):
            var ids: [EventID] = []
            try f.forEachElement(of: at, FieldName(.cause), expected) { (element, index) throws(TraceInputError) in
                ids.append(try f.withObject(at: element, parent: .cause, index: index, expected: expected, eventID))
            }
            return ids
        default:
            throw f.mistyped(FieldName(.cause), expected: "\(expected), an array of them, or null", at: at)
        }
    }

    private func eventID(_ f: ObjectFields) throws(TraceInputError) -> EventID {
        EventID(node: try f.requiredNode(.node), seq: try f.natural(.seq))
    }

    /// Checks that `name` belongs to the trace's system and may be recorded on `node`.
    private func check(_ name: EventName, on node: String) throws(TraceInputError) {
        if let own = name.system, let system, own != system {
            throw error("event \"\(name.rawValue)\" is not an event of system \(system.rawValue)")
        }
        guard let system = system ?? name.system else { return }
        let allowed: Bool
        let rule: String
        switch name.rule(in: system) {
        case .primary:
            allowed = node.exactlyEquals("primary")
            rule = "system mirror records it only on \"primary\""
        case .secondary:
            allowed = node.exactlyEquals("secondary")
            rule = "system mirror records it only on \"secondary\""
        case .mirrorNode:
            allowed = node.exactlyEquals("primary") || node.exactlyEquals("secondary")
            rule = "system mirror has only the nodes \"primary\" and \"secondary\""
        case .driver:
            allowed = node.exactlyEquals("driver")
            rule = "system driver has only the node \"driver\""
        case .framework:
            allowed = node.exactlyEquals("framework")
            rule = "system recovery records it only on \"framework\""
        case .worker:
            allowed = !node.exactlyEquals("framework")
            rule = "system recovery records it only on a worker (a node other than \"framework\")"
        case .anyNode:
            allowed = true
            rule = ""
        }
        guard allowed else {
            throw error("event \"\(name.rawValue)\" is not allowed on node \"\(node)\": \(rule)")
        }
    }

    /// An event name that is neither the format's nor an `x-` extension (names are compared
    /// exactly, so the prefix is case-sensitive).
    private func unknownEvent(_ name: String) -> TraceInputError {
        let hint = name.utf8.starts(with: "X-".utf8)
            ? " (only names starting with a lower-case \"x-\" are extension events)"
            : nearestName(to: name, among: EventName.allCases.map(\.rawValue)).map { " (did you mean \"\($0)\"?)" } ?? ""
        return error("unknown event \"\(name)\" in field \"ev\"\(hint)")
    }

    /// Explains why a line that does not start with `{` is rejected.
    private func notAnObject(_ start: JSONCursor) -> TraceInputError {
        if start.end - start.pos >= 3, start.base[start.pos] == 0xEF, start.base[start.pos + 1] == 0xBB,
           start.base[start.pos + 2] == 0xBF {
            return error(
                "not JSON: a byte-order mark (bytes EF BB BF) at column \(start.pos + 1); "
                    + "a trace is UTF-8 without one")
        }
        var cursor = start
        do {
            try cursor.skipValue()
            cursor.skipWhitespace()
            guard cursor.pos == cursor.end else { return cursor.syntax("unexpected text after the value") }
        } catch {
            return error
        }
        let kind = switch start.current {
        case UInt8(ascii: "["): "an array"
        case UInt8(ascii: "\""): "a string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): "a boolean"
        case UInt8(ascii: "n"): "null"
        default: "a number"
        }
        return error("not an object: the line is \(kind)")
    }

    private func error(_ message: String) -> TraceInputError {
        TraceInputError(file: "", line: 0, message: message)
    }
}
