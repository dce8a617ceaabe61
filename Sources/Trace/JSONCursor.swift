/// A string value as it sits in the line: the bytes between its quotes.
struct StringSpan {
    /// Offset of the first byte after the opening quote.
    var start: Int
    /// Offset of the closing quote.
    var end: Int
    /// Whether the string holds a backslash escape (so its bytes are not its value).
    var escaped: Bool
}

/// What a scanned number is, for a field that wants an integer.
struct NumberScan {
    enum Kind {
        /// An integer in Int64's range: `value`.
        case integer
        /// An integer outside Int64's range.
        case outOfRange
        /// A fraction or an exponent.
        case fraction
    }

    var kind: Kind
    var value: Int
}

/// A position in one line of JSON text, with byte-level scanning that validates what it
/// passes over (RFC 8259: structure, numbers, escapes and UTF-8 in strings).
///
/// Errors are `TraceInputError`s without file and line (the reader adds them); their message
/// starts with `not JSON:` and names the 1-based column.
struct JSONCursor {
    /// The deepest nesting of arrays and objects accepted.
    static let maxDepth = 512

    let base: UnsafePointer<UInt8>
    /// One past the last byte of the text.
    let end: Int
    /// The offset of the next byte to read.
    var pos: Int

    init(base: UnsafePointer<UInt8>, end: Int, pos: Int = 0) {
        self.base = base
        self.end = end
        self.pos = pos
    }

    /// The byte at `pos`, or 0 at the end of the text (0 is never valid there anyway).
    @inline(__always) var current: UInt8 { pos < end ? base[pos] : 0 }

    @inline(__always) mutating func skipWhitespace() {
        while pos < end {
            let b = base[pos]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            pos += 1
        }
    }

    /// Consumes `byte` (after whitespace) or fails naming what was expected.
    @inline(__always) mutating func expect(_ byte: UInt8, _ what: String) throws(TraceInputError) {
        skipWhitespace()
        guard pos < end, base[pos] == byte else { throw unexpected(expected: what) }
        pos += 1
    }

    // MARK: values

    /// Skips one JSON value of any kind, validating it.
    mutating func skipValue(depth: Int = 0) throws(TraceInputError) {
        skipWhitespace()
        switch current {
        case UInt8(ascii: "\""):
            _ = try scanString()
        case UInt8(ascii: "{"):
            try skipObject(depth: depth + 1)
        case UInt8(ascii: "["):
            try skipArray(depth: depth + 1)
        case UInt8(ascii: "t"):
            try literal("true")
        case UInt8(ascii: "f"):
            try literal("false")
        case UInt8(ascii: "n"):
            try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            _ = try scanNumber()
        default:
            throw unexpected(expected: "a value")
        }
    }

    private mutating func skipObject(depth: Int) throws(TraceInputError) {
        guard depth <= Self.maxDepth else { throw syntax("nesting deeper than \(Self.maxDepth)") }
        pos += 1  // {
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            pos += 1
            return
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw unexpected(expected: "a key string") }
            _ = try scanString()
            try expect(UInt8(ascii: ":"), "':'")
            try skipValue(depth: depth)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): pos += 1
            case UInt8(ascii: "}"): pos += 1; return
            default: throw unexpected(expected: "',' or '}'")
            }
        }
    }

    private mutating func skipArray(depth: Int) throws(TraceInputError) {
        guard depth <= Self.maxDepth else { throw syntax("nesting deeper than \(Self.maxDepth)") }
        pos += 1  // [
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            pos += 1
            return
        }
        while true {
            try skipValue(depth: depth)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): pos += 1
            case UInt8(ascii: "]"): pos += 1; return
            default: throw unexpected(expected: "',' or ']'")
            }
        }
    }

    private mutating func literal(_ word: StaticString) throws(TraceInputError) {
        let count = word.utf8CodeUnitCount
        guard end - pos >= count, memoryEqual(base + pos, word.utf8Start, count) else {
            throw unexpected(expected: "a value")
        }
        pos += count
    }

    /// Whether `text` is one JSON value, with whitespace around it allowed.
    static func isValidJSON(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = text.baseAddress else { return false }
        var cursor = JSONCursor(base: base, end: text.count)
        do {
            try cursor.skipValue()
        } catch {
            return false
        }
        cursor.skipWhitespace()
        return cursor.pos == cursor.end
    }

    // MARK: numbers

    /// Scans a number at `pos`, validating it, and reads its integer part on the way.
    mutating func scanNumber() throws(TraceInputError) -> NumberScan {
        let first = pos
        let negative = current == UInt8(ascii: "-")
        if negative { pos += 1 }
        let digitsStart = pos
        var magnitude: UInt64 = 0
        switch current {
        case UInt8(ascii: "0"):
            pos += 1
            if isDigit(current) { throw syntax("number with a leading zero", at: first) }
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            while pos < end {
                let digit = base[pos] &- UInt8(ascii: "0")
                guard digit < 10 else { break }
                magnitude = magnitude &* 10 &+ UInt64(digit)  // exact up to 19 digits
                pos += 1
            }
        default:
            throw unexpected(expected: "a digit")
        }
        let digits = pos - digitsStart
        var integer = true
        if current == UInt8(ascii: ".") {
            integer = false
            pos += 1
            guard isDigit(current) else { throw unexpected(expected: "a digit after '.'") }
            while isDigit(current) { pos += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            integer = false
            pos += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { pos += 1 }
            guard isDigit(current) else { throw unexpected(expected: "a digit in the exponent") }
            while isDigit(current) { pos += 1 }
        }
        guard integer else { return NumberScan(kind: .fraction, value: 0) }
        let limit = negative ? UInt64(Int.max) + 1 : UInt64(Int.max)
        guard digits <= 19, magnitude <= limit else { return NumberScan(kind: .outOfRange, value: 0) }
        return NumberScan(kind: .integer, value: negative ? Int(truncatingIfNeeded: 0 &- magnitude) : Int(magnitude))
    }

    // MARK: strings

    /// Scans a string at `pos` (on its opening quote) and returns where its bytes are.
    mutating func scanString() throws(TraceInputError) -> StringSpan {
        let open = pos
        let start = pos + 1
        var i = start
        var escaped = false
        while i < end {
            let b = base[i]
            // Fast path: printable ASCII other than the quote and the backslash.
            if b >= 0x20 && b < 0x80 && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") {
                i += 1
                continue
            }
            if b == UInt8(ascii: "\"") {
                pos = i + 1
                return StringSpan(start: start, end: i, escaped: escaped)
            }
            pos = i
            if b == UInt8(ascii: "\\") {
                escaped = true
                try skipEscape()
            } else if b < 0x20 {
                throw syntax("unescaped control character in a string")
            } else {
                try skipUTF8Sequence()
            }
            i = pos
        }
        pos = i
        throw syntax("unterminated string", at: open)
    }

    private mutating func skipEscape() throws(TraceInputError) {
        pos += 1  // backslash
        switch current {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
            UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            pos += 1
        case UInt8(ascii: "u"):
            guard end - pos >= 5, (1...4).allSatisfy({ hexValue(base[pos + $0]) != nil }) else {
                throw syntax("invalid \\u escape", at: pos - 1)
            }
            pos += 5
        default:
            throw syntax("invalid escape in a string", at: pos - 1)
        }
    }

    /// Skips one multi-byte UTF-8 sequence, checking it is well formed (Unicode table 3-7).
    private mutating func skipUTF8Sequence() throws(TraceInputError) {
        let lead = base[pos]
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        let count: Int
        switch lead {
        case 0xC2...0xDF: count = 2
        case 0xE0: count = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: count = 3
        case 0xED: count = 3; high = 0x9F
        case 0xF0: count = 4; low = 0x90
        case 0xF1...0xF3: count = 4
        case 0xF4: count = 4; high = 0x8F
        default: throw syntax("invalid UTF-8")
        }
        guard end - pos >= count else { throw syntax("invalid UTF-8") }
        let second = base[pos + 1]
        guard second >= low && second <= high else { throw syntax("invalid UTF-8") }
        for k in 2..<count where base[pos + k] & 0xC0 != 0x80 {
            throw syntax("invalid UTF-8")
        }
        pos += count
    }

    /// The value of a scanned string: its bytes, or with escapes resolved.
    func stringValue(_ span: StringSpan) throws(TraceInputError) -> String {
        let raw = UnsafeBufferPointer(start: base + span.start, count: span.end - span.start)
        if !span.escaped { return String(decoding: raw, as: UTF8.self) }
        return String(decoding: try unescapedBytes(span), as: UTF8.self)
    }

    /// The UTF-8 bytes of a scanned string with escapes resolved.
    func unescapedBytes(_ span: StringSpan) throws(TraceInputError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(span.end - span.start)
        var i = span.start
        while i < span.end {
            let b = base[i]
            guard b == UInt8(ascii: "\\") else {
                bytes.append(b)
                i += 1
                continue
            }
            let kind = base[i + 1]
            i += 2
            switch kind {
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(at: i)
                i += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard i + 6 <= span.end, base[i] == UInt8(ascii: "\\"),
                          base[i + 1] == UInt8(ascii: "u"),
                          case let low = hex4(at: i + 2), (0xDC00...0xDFFF).contains(low)
                    else { throw unpairedSurrogate(at: i - 6) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw unpairedSurrogate(at: i - 6)
                }
                appendUTF8(scalar, to: &bytes)
            default: bytes.append(kind)  // " \ /
            }
        }
        return bytes
    }

    private func hex4(at i: Int) -> UInt32 {
        var value: UInt32 = 0
        for k in 0..<4 { value = value << 4 | UInt32(hexValue(base[i + k])!) }
        return value
    }

    // MARK: errors

    /// A syntax error at `pos` (or `at`), as `not JSON: what at column N`.
    func syntax(_ what: String, at offset: Int? = nil) -> TraceInputError {
        TraceInputError(file: "", line: 0, message: "not JSON: \(what) at column \((offset ?? pos) + 1)")
    }

    /// A `\u` escape of half a surrogate pair: valid JSON syntax, but no Unicode text.
    func unpairedSurrogate(at offset: Int) -> TraceInputError {
        TraceInputError(
            file: "", line: 0, message: "invalid string: unpaired surrogate in a \\u escape at column \(offset + 1)")
    }

    /// A syntax error naming what was found at `pos` and what was expected.
    func unexpected(expected: String) -> TraceInputError {
        guard pos < end else { return syntax("unexpected end of line, expected \(expected)") }
        let b = base[pos]
        let found = b >= 0x20 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16))"
        return syntax("unexpected \(found), expected \(expected)")
    }
}

@inline(__always) func isDigit(_ b: UInt8) -> Bool {
    b &- UInt8(ascii: "0") < 10
}

private func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
    default: nil
    }
}

private func appendUTF8(_ scalar: UInt32, to bytes: inout [UInt8]) {
    switch scalar {
    case 0..<0x80:
        bytes.append(UInt8(scalar))
    case 0x80..<0x800:
        bytes.append(UInt8(0xC0 | scalar >> 6))
        bytes.append(UInt8(0x80 | scalar & 0x3F))
    case 0x800..<0x10000:
        bytes.append(UInt8(0xE0 | scalar >> 12))
        bytes.append(UInt8(0x80 | scalar >> 6 & 0x3F))
        bytes.append(UInt8(0x80 | scalar & 0x3F))
    default:
        bytes.append(UInt8(0xF0 | scalar >> 18))
        bytes.append(UInt8(0x80 | scalar >> 12 & 0x3F))
        bytes.append(UInt8(0x80 | scalar >> 6 & 0x3F))
        bytes.append(UInt8(0x80 | scalar & 0x3F))
    }
}

/// Whether `count` bytes at `a` and `b` are equal.
@inline(__always) func memoryEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    for i in 0..<count where a[i] != b[i] { return false }
    return true
}
