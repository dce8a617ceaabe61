/// The quick scan of an object in the shape trace writers produce; `scanObject` does the rest.
extension JSONCursor {
    /// The deepest nesting the quick scan follows (a `cause` or `deps` entry is at depth 2).
    static let plainMaxDepth = 16

    /// Scans the object at `pos` (on its `{`) as `scanObject(into:)` would, filling `slots`
    /// identically, when the object has the plain shape recorders write: no whitespace, only
    /// keys the parser reads (each once), and values that are strings of printable ASCII
    /// without escapes, integers in Int64's range without fraction or exponent, `true`,
    /// `false`, `null`, or arrays and objects of those. With `wholeLine`, the object must end
    /// the text.
    ///
    /// Returns false at the first thing outside that shape, leaving `pos` and `slots`
    /// meaningless: the caller then scans again with `scanObject`, which accepts every valid
    /// object and words every error. Everything the quick scan accepts, `scanObject` accepts
    /// with the same slots, so the result never depends on which scan ran.
    mutating func scanPlainObject(into slots: FieldSlots, wholeLine: Bool) -> Bool {
        slots.reset()
        pos += 1  // {
        guard pos < end else { return false }
        if base[pos] == UInt8(ascii: "}") {
            pos += 1
            return !wholeLine || pos == end
        }
        while true {
            guard pos < end, base[pos] == UInt8(ascii: "\""), let keyEnd = plainStringEnd(from: pos + 1),
                  let key = FieldKey.identify(base + pos + 1, keyEnd - pos - 1), slots.offset(key) < 0
            else { return false }
            pos = keyEnd + 1
            guard pos + 1 < end, base[pos] == UInt8(ascii: ":") else { return false }
            pos += 1
            let at = pos
            let first = base[at]
            if first == UInt8(ascii: "\"") {
                guard let close = plainStringEnd(from: at + 1) else { return false }
                slots.set(key, offset: at, payload: close, tag: FieldSlots.plainTag)
                pos = close + 1
            } else if first == UInt8(ascii: "-") || isDigit(first) {
                guard let value = plainInteger() else { return false }
                slots.set(key, offset: at, payload: value, tag: FieldSlots.integerTag)
            } else {
                guard skipPlainValue(depth: 1) else { return false }
                slots.set(key, offset: at, payload: 0, tag: FieldSlots.otherTag)
            }
            guard pos < end else { return false }
            switch base[pos] {
            case UInt8(ascii: ","):
                pos += 1
            case UInt8(ascii: "}"):
                pos += 1
                return !wholeLine || pos == end
            default:
                return false
            }
        }
    }

    /// The offset of the closing quote of the string whose bytes start at `i`, if every byte up
    /// to it is printable ASCII other than the backslash (so the bytes are the value).
    @inline(__always) private func plainStringEnd(from i: Int) -> Int? {
        var j = i
        while j &+ 8 <= end {
            let stops = Self.stringStops(lanes(at: j))
            if stops != 0 {
                let k = j &+ stops.trailingZeroBitCount &>> 3
                return base[k] == UInt8(ascii: "\"") ? k : nil
            }
            j &+= 8
        }
        while j < end {
            let b = base[j]
            if b == UInt8(ascii: "\"") { return j }
            guard b >= 0x20, b < 0x7F, b != UInt8(ascii: "\\") else { return nil }
            j += 1
        }
        return nil
    }

    /// Scans the integer at `pos` (on `-` or a digit): its value when it is in Int64's range
    /// (at most 19 digits) with no leading zero, no fraction and no exponent; nil otherwise.
    @inline(__always) mutating func plainInteger() -> Int? {
        var i = pos
        guard let value = Self.plainDigits(base, end, &i, negative: base[i] == UInt8(ascii: "-")) else { return nil }
        if i < end {
            let b = base[i]
            guard !isDigit(b), b != UInt8(ascii: "."), b != UInt8(ascii: "e"), b != UInt8(ascii: "E") else { return nil }
        }
        pos = i
        return value
    }

    /// The integer at `i` (on its `-` when `negative`, else on its first digit), moving `i` past
    /// its digits: a lone `0`, or up to 19 digits in Int64's range; nil otherwise. What follows
    /// the digits (another digit after a `0`, a fraction, an exponent) is the caller's to judge.
    @inline(__always) static func plainDigits(
        _ base: UnsafePointer<UInt8>, _ end: Int, _ i: inout Int, negative: Bool
    ) -> Int? {
        if negative { i &+= 1 }
        guard i < end else { return nil }
        var magnitude: UInt64 = 0
        if base[i] == UInt8(ascii: "0") {
            i &+= 1
        } else {
            let digitsStart = i
            // Eight digits at a time while eight bytes are left (a timestamp has 19), then one by one.
            while i &+ 8 <= end {
                let digits = UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
                    ^ (lowBits &* 0x30)
                let count = leadingDigitCount(digits)
                guard count > 0 else { break }
                magnitude = magnitude &* tenToThe(count) &+ value(ofDigits: digits, count: count)
                i &+= count
                if count < 8 { break }
            }
            while i < end {
                let digit = base[i] &- UInt8(ascii: "0")
                guard digit < 10 else { break }
                magnitude = magnitude &* 10 &+ UInt64(digit)  // exact up to 19 digits
                i &+= 1
            }
            let limit = negative ? UInt64(Int.max) + 1 : UInt64(Int.max)
            guard i > digitsStart, i &- digitsStart <= 19, magnitude <= limit else { return nil }
        }
        return negative ? Int(truncatingIfNeeded: 0 &- magnitude) : Int(magnitude)
    }

    /// Skips the value at `pos` if it is in the plain shape (see `scanPlainObject`).
    private mutating func skipPlainValue(depth: Int) -> Bool {
        guard pos < end, depth <= Self.plainMaxDepth else { return false }
        switch base[pos] {
        case UInt8(ascii: "\""):
            guard let close = plainStringEnd(from: pos + 1) else { return false }
            pos = close + 1
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return plainInteger() != nil
        case UInt8(ascii: "t"): return plainLiteral("true")
        case UInt8(ascii: "f"): return plainLiteral("false")
        case UInt8(ascii: "n"): return plainLiteral("null")
        case UInt8(ascii: "["):
            pos += 1
            guard pos < end else { return false }
            if base[pos] == UInt8(ascii: "]") {
                pos += 1
                return true
            }
            while true {
                guard skipPlainValue(depth: depth + 1), pos < end else { return false }
                let b = base[pos]
                pos += 1
                if b == UInt8(ascii: "]") { return true }
                guard b == UInt8(ascii: ",") else { return false }
            }
        case UInt8(ascii: "{"):
            pos += 1
            guard pos < end else { return false }
            if base[pos] == UInt8(ascii: "}") {
                pos += 1
                return true
            }
            while true {
                guard pos < end, base[pos] == UInt8(ascii: "\""), let keyEnd = plainStringEnd(from: pos + 1) else {
                    return false
                }
                pos = keyEnd + 1
                guard pos < end, base[pos] == UInt8(ascii: ":") else { return false }
                pos += 1
                guard skipPlainValue(depth: depth + 1), pos < end else { return false }
                let b = base[pos]
                pos += 1
                if b == UInt8(ascii: "}") { return true }
                guard b == UInt8(ascii: ",") else { return false }
            }
        default:
            return false
        }
    }

    /// Skips `word` at `pos` if it is there.
    private mutating func plainLiteral(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard end - pos >= count, memoryEqual(base + pos, word.utf8Start, count) else { return false }
        pos += count
        return true
    }
}
