/// The keys of TRACE-FORMAT.md that the parser reads; any other key is skipped.
enum FieldKey: Int, CaseIterable {
    case format, version, system, meta
    case node, seq, ev, t, cause
    case lsn, stream, sn, path, up, deps, iface, id, off, len, region
    case consumer, after, logs, log, reason, ok

    /// How many keys there are: the size of a slot table.
    static let count = FieldKey.allCases.count

    /// The key as written in a trace.
    var name: String {
        switch self {
        case .format: "format"
        case .version: "version"
        case .system: "system"
        case .meta: "meta"
        case .node: "node"
        case .seq: "seq"
        case .ev: "ev"
        case .t: "t"
        case .cause: "cause"
        case .lsn: "lsn"
        case .stream: "stream"
        case .sn: "sn"
        case .path: "path"
        case .up: "up"
        case .deps: "deps"
        case .iface: "iface"
        case .id: "id"
        case .off: "off"
        case .len: "len"
        case .region: "region"
        case .consumer: "consumer"
        case .after: "after"
        case .logs: "logs"
        case .log: "log"
        case .reason: "reason"
        case .ok: "ok"
        }
    }

    /// The key spelled by the `count` bytes at `p`, if it is one the parser reads.
    static func identify(_ p: UnsafePointer<UInt8>, _ count: Int) -> FieldKey? {
        @inline(__always) func matches(_ word: StaticString) -> Bool {
            memoryEqual(p, word.utf8Start, count)
        }
        switch count {
        case 1: return p[0] == UInt8(ascii: "t") ? .t : nil
        case 2:
            switch p[0] {
            case UInt8(ascii: "e"): return matches("ev") ? .ev : nil
            case UInt8(ascii: "s"): return matches("sn") ? .sn : nil
            case UInt8(ascii: "i"): return matches("id") ? .id : nil
            case UInt8(ascii: "o"): return matches("ok") ? .ok : nil
            case UInt8(ascii: "u"): return matches("up") ? .up : nil
            default: return nil
            }
        case 3:
            switch p[0] {
            case UInt8(ascii: "s"): return matches("seq") ? .seq : nil
            case UInt8(ascii: "o"): return matches("off") ? .off : nil
            case UInt8(ascii: "l"):
                return matches("lsn") ? .lsn : matches("len") ? .len : matches("log") ? .log : nil
            default: return nil
            }
        case 4:
            switch p[0] {
            case UInt8(ascii: "n"): return matches("node") ? .node : nil
            case UInt8(ascii: "p"): return matches("path") ? .path : nil
            case UInt8(ascii: "d"): return matches("deps") ? .deps : nil
            case UInt8(ascii: "l"): return matches("logs") ? .logs : nil
            case UInt8(ascii: "m"): return matches("meta") ? .meta : nil
            default: return nil
            }
        case 5:
            switch p[0] {
            case UInt8(ascii: "c"): return matches("cause") ? .cause : nil
            case UInt8(ascii: "i"): return matches("iface") ? .iface : nil
            case UInt8(ascii: "a"): return matches("after") ? .after : nil
            default: return nil
            }
        case 6:
            switch p[0] {
            case UInt8(ascii: "s"): return matches("stream") ? .stream : matches("system") ? .system : nil
            case UInt8(ascii: "r"): return matches("region") ? .region : matches("reason") ? .reason : nil
            case UInt8(ascii: "f"): return matches("format") ? .format : nil
            default: return nil
            }
        case 7: return matches("version") ? .version : nil
        case 8: return matches("consumer") ? .consumer : nil
        default: return nil
        }
    }
}

/// How a field is named in a message: `stream`, `deps[2]`, `cause[1].seq` or `cause.node`.
struct FieldName: CustomStringConvertible {
    /// The enclosing field of an element or a nested object, if any.
    var parent: FieldKey?
    /// The element's index in the parent array, if any.
    var index: Int?
    /// The key inside the object, if any.
    var key: FieldKey?

    /// A top-level field.
    init(_ key: FieldKey) {
        self.key = key
    }

    /// An array element or a field of a nested object.
    init(parent: FieldKey, index: Int?, key: FieldKey? = nil) {
        self.parent = parent
        self.index = index
        self.key = key
    }

    /// The name as a message prints it.
    var description: String {
        var text = parent?.name ?? ""
        if let index { text += "[\(index)]" }
        if let key { text += parent == nil ? key.name : ".\(key.name)" }
        return text
    }
}

/// Where each `FieldKey`'s value is in a scanned object: three cells per key, on the stack.
///
/// Cell 0: the value's offset in the line, or -1 when absent. Cell 1 and 2: what the scan
/// learned, so that values are not scanned twice: for an integer in range, its value and
/// `integerTag`; for a string without escapes, the offset of its closing quote and `plainTag`;
/// else `otherTag`.
struct FieldSlots {
    static let capacity = 3 * FieldKey.count
    static let otherTag = 0
    static let integerTag = 1
    static let plainTag = 2

    let cells: UnsafeMutableBufferPointer<Int>

    /// Marks every key absent.
    func reset() {
        for key in 0..<FieldKey.count { cells[3 * key] = -1 }
    }

    @inline(__always) func offset(_ key: FieldKey) -> Int { cells[3 * key.rawValue] }
    @inline(__always) func payload(_ key: FieldKey) -> Int { cells[3 * key.rawValue + 1] }
    @inline(__always) func tag(_ key: FieldKey) -> Int { cells[3 * key.rawValue + 2] }

    @inline(__always) func set(_ key: FieldKey, offset: Int, payload: Int, tag: Int) {
        cells[3 * key.rawValue] = offset
        cells[3 * key.rawValue + 1] = payload
        cells[3 * key.rawValue + 2] = tag
    }
}

extension JSONCursor {
    /// Scans the object at `pos` (on its `{`), validating it, and records in `slots` where
    /// the value of each key the parser reads is (others are skipped).
    ///
    /// A key that occurs twice in this object is an error, whatever its name; the contents of
    /// skipped values (`meta`, fields the format does not name) are validated as JSON but not
    /// checked for duplicate keys. `field` names a nested object (a `cause` or `deps` entry)
    /// in that error's message.
    mutating func scanObject(into slots: FieldSlots, field: FieldName? = nil) throws(TraceInputError) {
        slots.reset()
        var unknownKeys: [StringSpan] = []
        var manyKeys: Set<[UInt8]> = []
        pos += 1  // {
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            pos += 1
            return
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw unexpected(expected: "a key string") }
            let keyStart = pos
            let span = try scanString()
            let key: FieldKey?
            if span.escaped {
                let bytes = try unescapedBytes(span)
                key = bytes.withUnsafeBufferPointer { FieldKey.identify($0.baseAddress ?? base, $0.count) }
            } else {
                key = FieldKey.identify(base + span.start, span.end - span.start)
            }
            if let key {
                guard slots.offset(key) < 0 else { throw duplicateKey(span, at: keyStart, in: field) }
            } else if unknownKeys.count < 32 {
                // Few other keys (the usual case): compare in place.
                for other in unknownKeys {
                    if try sameKey(other, span) { throw duplicateKey(span, at: keyStart, in: field) }
                }
                unknownKeys.append(span)
            } else {
                // Many: a set of their bytes keeps the check linear.
                if manyKeys.isEmpty {
                    for other in unknownKeys { manyKeys.insert(try bytes(other)) }
                }
                guard manyKeys.insert(try bytes(span)).inserted else { throw duplicateKey(span, at: keyStart, in: field) }
            }
            try expect(UInt8(ascii: ":"), "':'")
            skipWhitespace()
            let at = pos
            if let key {
                let first = current
                if first == UInt8(ascii: "\"") {
                    let value = try scanString()
                    slots.set(key, offset: at, payload: value.end,
                              tag: value.escaped ? FieldSlots.otherTag : FieldSlots.plainTag)
                } else if first == UInt8(ascii: "-") || isDigit(first) {
                    let number = try scanNumber()
                    let isInteger = number.kind == .integer
                    slots.set(key, offset: at, payload: number.value,
                              tag: isInteger ? FieldSlots.integerTag : FieldSlots.otherTag)
                } else {
                    try skipValue(depth: 1)
                    slots.set(key, offset: at, payload: 0, tag: FieldSlots.otherTag)
                }
            } else {
                try skipValue(depth: 1)
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): pos += 1
            case UInt8(ascii: "}"): pos += 1; return
            default: throw unexpected(expected: "',' or '}'")
            }
        }
    }

    /// The bytes a scanned key spells.
    private func bytes(_ span: StringSpan) throws(TraceInputError) -> [UInt8] {
        if span.escaped { return try unescapedBytes(span) }
        return Array(UnsafeBufferPointer(start: base + span.start, count: span.end - span.start))
    }

    /// Whether two scanned keys spell the same string.
    private func sameKey(_ a: StringSpan, _ b: StringSpan) throws(TraceInputError) -> Bool {
        if !a.escaped && !b.escaped {
            let count = a.end - a.start
            return count == b.end - b.start && memoryEqual(base + a.start, base + b.start, count)
        }
        return try unescapedBytes(a) == unescapedBytes(b)
    }

    /// A key repeated in one object (an event, a header, a `cause` or `deps` entry).
    private func duplicateKey(_ span: StringSpan, at offset: Int, in field: FieldName?) -> TraceInputError {
        let name = (try? stringValue(span)) ?? "?"
        let place = field.map { " in field \"\($0)\"" } ?? ""
        return TraceInputError(
            file: "", line: 0, message: "duplicate key \"\(name)\"\(place) at column \(offset + 1)")
    }
}

/// The fields of one scanned object: typed access with precise messages.
///
/// `slots` tells where each key's value is in the line.
struct ObjectFields {
    let base: UnsafePointer<UInt8>
    let end: Int
    let slots: FieldSlots
    /// Set for a nested object: the array (or field) it is in, and its index there.
    var parent: FieldKey?
    var index: Int?

    /// The offset of `key`'s value, or nil when absent (a `null` value is present here).
    @inline(__always) func offset(_ key: FieldKey) -> Int? {
        let at = slots.offset(key)
        return at >= 0 ? at : nil
    }

    /// The offset of optional `key`'s value, or nil when it is absent or `null`: an optional
    /// field set to null is the same as leaving it out (TRACE-FORMAT.md, settled readings).
    @inline(__always) func presentOffset(_ key: FieldKey) -> Int? {
        let at = slots.offset(key)
        return at >= 0 && base[at] != UInt8(ascii: "n") ? at : nil
    }

    func name(_ key: FieldKey) -> FieldName {
        parent.map { FieldName(parent: $0, index: index, key: key) } ?? FieldName(key)
    }

    func missing(_ key: FieldKey) -> TraceInputError {
        TraceInputError(file: "", line: 0, message: "missing required field \"\(name(key))\"")
    }

    // MARK: scalars

    /// The string value of optional `key`, nil when absent or null.
    func string(_ key: FieldKey) throws(TraceInputError) -> String? {
        guard let at = presentOffset(key) else { return nil }
        return try string(key, at: at)
    }

    /// The string value of required `key` (null is mistyped, not absent).
    func requiredString(_ key: FieldKey) throws(TraceInputError) -> String {
        guard let at = offset(key) else { throw missing(key) }
        return try string(key, at: at)
    }

    /// The string value of required node field `key`: the format's fixed node names come
    /// without making a string (every event and every cause names a node).
    func requiredNode(_ key: FieldKey) throws(TraceInputError) -> String {
        guard let at = offset(key) else { throw missing(key) }
        if slots.tag(key) == FieldSlots.plainTag, let name = Self.fixedNodeName(base + at + 1, slots.payload(key) - at - 1) {
            return name
        }
        return try string(key, at: at)
    }

    /// The node name the format fixes (`primary`, `secondary`, `driver`, `framework`) spelled
    /// by the `count` bytes at `p`, if any.
    @inline(__always) private static func fixedNodeName(_ p: UnsafePointer<UInt8>, _ count: Int) -> String? {
        switch count {
        case 7: memoryEqual(p, ("primary" as StaticString).utf8Start, 7) ? "primary" : nil
        case 9:
            memoryEqual(p, ("secondary" as StaticString).utf8Start, 9) ? "secondary"
                : memoryEqual(p, ("framework" as StaticString).utf8Start, 9) ? "framework" : nil
        case 6: memoryEqual(p, ("driver" as StaticString).utf8Start, 6) ? "driver" : nil
        default: nil
        }
    }

    /// The string at `at`, the value of `key`, using what the scan learned when it can.
    @inline(__always) private func string(_ key: FieldKey, at: Int) throws(TraceInputError) -> String {
        if slots.tag(key) == FieldSlots.plainTag {
            let bytes = UnsafeBufferPointer(start: base + at + 1, count: slots.payload(key) - at - 1)
            return String(decoding: bytes, as: UTF8.self)
        }
        return try stringValue(at: at, name(key))
    }

    /// The integer value of optional `key` (>= 0 unless `signed`), nil when absent or null.
    func integer(_ key: FieldKey, signed: Bool = false) throws(TraceInputError) -> Int? {
        guard let at = presentOffset(key) else { return nil }
        return try integer(key, at: at, signed: signed)
    }

    /// The integer value (>= 0) of required `key` (null is mistyped, not absent).
    func natural(_ key: FieldKey) throws(TraceInputError) -> Int {
        guard let at = offset(key) else { throw missing(key) }
        return try integer(key, at: at, signed: false)
    }

    /// The integer at `at`, the value of `key`, using what the scan learned when it can.
    @inline(__always) private func integer(_ key: FieldKey, at: Int, signed: Bool) throws(TraceInputError) -> Int {
        if slots.tag(key) == FieldSlots.integerTag {
            let value = slots.payload(key)
            if signed || value >= 0 { return value }
        }
        return try integerValue(at: at, name(key), signed: signed)
    }

    /// The boolean value of required `key`.
    func flag(_ key: FieldKey) throws(TraceInputError) -> Bool {
        guard let at = offset(key) else { throw missing(key) }
        switch base[at] {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw mistyped(name(key), expected: "a boolean", at: at)
        }
    }

    // MARK: arrays

    /// The strings of optional array `key`, nil when absent or null.
    func stringArray(_ key: FieldKey) throws(TraceInputError) -> [String]? {
        guard let at = presentOffset(key) else { return nil }
        return try stringArray(key, at: at)
    }

    /// The strings of required array `key` (null is mistyped, not absent).
    func requiredStringArray(_ key: FieldKey) throws(TraceInputError) -> [String] {
        guard let at = offset(key) else { throw missing(key) }
        return try stringArray(key, at: at)
    }

    /// The strings of the array at `at`, the value of `key`.
    private func stringArray(_ key: FieldKey, at: Int) throws(TraceInputError) -> [String] {
        var result: [String] = []
        try forEachElement(of: at, name(key), "an array of strings") { (element, index) throws(TraceInputError) in
            result.append(try stringValue(at: element, FieldName(parent: key, index: index)))
        }
        return result
    }

    /// The integers (>= 0) of optional array `key`, nil when absent or null.
    func naturalArray(_ key: FieldKey) throws(TraceInputError) -> [Int]? {
        guard let at = presentOffset(key) else { return nil }
        var result: [Int] = []
        try forEachElement(of: at, name(key), "an array of integers >= 0") { (element, index) throws(TraceInputError) in
            result.append(try integerValue(at: element, FieldName(parent: key, index: index), signed: false))
        }
        return result
    }

    /// Calls `body` with the offset and index of each element of the array at `at`.
    func forEachElement(
        of at: Int, _ field: FieldName, _ expected: String,
        _ body: (Int, Int) throws(TraceInputError) -> Void
    ) throws(TraceInputError) {
        guard base[at] == UInt8(ascii: "[") else { throw mistyped(field, expected: expected, at: at) }
        var cursor = JSONCursor(base: base, end: end, pos: at + 1)
        cursor.skipWhitespace()
        if cursor.current == UInt8(ascii: "]") { return }
        var index = 0
        while true {
            cursor.skipWhitespace()
            let element = cursor.pos
            try body(element, index)
            try cursor.skipValue(depth: 1)
            cursor.skipWhitespace()
            guard cursor.current == UInt8(ascii: ",") else { return }
            cursor.pos += 1
            index += 1
        }
    }

    /// Scans the nested object at `at` (element `index` of `parent`) and hands its fields to `body`.
    func withObject<R>(
        at: Int, parent: FieldKey, index: Int?, expected: String,
        _ body: (ObjectFields) throws(TraceInputError) -> R
    ) throws(TraceInputError) -> R {
        guard base[at] == UInt8(ascii: "{") else {
            throw mistyped(FieldName(parent: parent, index: index), expected: expected, at: at)
        }
        return try withUnsafeTemporaryAllocation(of: Int.self, capacity: FieldSlots.capacity) {
            (cells) throws(TraceInputError) -> R in
            let slots = FieldSlots(cells: cells)
            var quick = JSONCursor(base: base, end: end, pos: at)
            if !quick.scanPlainObject(into: slots, wholeLine: false) {
                var cursor = JSONCursor(base: base, end: end, pos: at)
                try cursor.scanObject(into: slots, field: FieldName(parent: parent, index: index))
            }
            return try body(ObjectFields(base: base, end: end, slots: slots, parent: parent, index: index))
        }
    }

    // MARK: values at an offset

    func stringValue(at: Int, _ field: FieldName) throws(TraceInputError) -> String {
        guard base[at] == UInt8(ascii: "\"") else { throw mistyped(field, expected: "a string", at: at) }
        var cursor = JSONCursor(base: base, end: end, pos: at)
        return try cursor.stringValue(cursor.scanString())
    }

    /// The integer at `at` (>= 0 unless `signed`), or an error saying what is there instead.
    func integerValue(at: Int, _ field: FieldName, signed: Bool) throws(TraceInputError) -> Int {
        let expected = signed ? "an integer" : "an integer >= 0"
        let first = base[at]
        guard first == UInt8(ascii: "-") || isDigit(first) else {
            throw mistyped(field, expected: expected, at: at)
        }
        var cursor = JSONCursor(base: base, end: end, pos: at)
        let number = try cursor.scanNumber()
        switch number.kind {
        case .integer:
            guard signed || number.value >= 0 else { throw mistyped(field, expected: expected, at: at) }
            return number.value
        case .fraction:
            throw mistyped(field, expected: expected, at: at)
        case .outOfRange:
            throw TraceInputError(
                file: "", line: 0,
                message: "field \"\(field)\" must be \(expected) (64-bit), got \(describe(at: at))")
        }
    }

    /// Whether `key` holds `null`.
    func isNull(_ key: FieldKey) -> Bool {
        offset(key).map { base[$0] == UInt8(ascii: "n") } ?? false
    }

    // MARK: messages

    func mistyped(_ field: FieldName, expected: String, at: Int) -> TraceInputError {
        TraceInputError(
            file: "", line: 0, message: "field \"\(field)\" must be \(expected), got \(describe(at: at))")
    }

    /// The value at `at` as a message shows it: `string "2"`, `number 1e3`, `an object`, ...
    func describe(at: Int) -> String {
        var cursor = JSONCursor(base: base, end: end, pos: at)
        try? cursor.skipValue()
        let count = cursor.pos - at
        let shown = String(decoding: UnsafeBufferPointer(start: base + at, count: min(count, 40)), as: UTF8.self)
        let text = count > 40 ? shown + "..." : shown
        switch base[at] {
        case UInt8(ascii: "\""): return "string \(text)"
        case UInt8(ascii: "{"): return "an object"
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "boolean \(text)"
        case UInt8(ascii: "n"): return "null"
        default: return "number \(text)"
        }
    }
}
