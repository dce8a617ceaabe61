/// Writes JSON pieces of trace lines straight into raw memory: no intermediate strings,
/// arrays or objects per event. Events reserve a bound once and write through a
/// `TraceLineCursor` without further checks; headers and `x-` events check per piece.
///
/// It writes at `base + count`, growing into a fresh heap allocation when a piece does not fit
/// (`owned` then says the memory is the writer's: whoever takes `base` back frees it). A
/// `FileRecorder` lends it its buffer, so packed events and lines go where the writer thread
/// takes them from, and that thread encodes into one of its own, written from as it is;
/// `appending(to:)` lends it stack memory for the `[UInt8]` API.
///
/// Not thread-safe: a value used by one thread at a time, like the memory it points to. It is
/// `Sendable` only so that a recorder can keep one behind its lock and move it between threads;
/// it is never shared.
struct TraceLineWriter: @unchecked Sendable {
    /// Where the bytes are.
    var base: UnsafeMutablePointer<UInt8>
    /// Bytes written.
    var count: Int
    /// Bytes `base` holds.
    var capacity: Int
    /// Whether `base` was allocated by this writer (when it grew).
    var owned: Bool

    /// A writer over `capacity` bytes at `base`, `count` of them written already.
    init(base: UnsafeMutablePointer<UInt8>, count: Int, capacity: Int, owned: Bool) {
        self.base = base
        self.count = count
        self.capacity = capacity
        self.owned = owned
    }

    /// Runs `body` with a writer over stack memory, then appends what it wrote to `out`.
    static func appending(to out: inout [UInt8], _ body: (inout TraceLineWriter) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 512) { scratch in
            var w = TraceLineWriter(base: scratch.baseAddress!, count: 0, capacity: scratch.count, owned: false)
            body(&w)
            out.append(contentsOf: UnsafeBufferPointer(start: w.base, count: w.count))
            if w.owned { w.base.deallocate() }
        }
    }

    /// Makes room for `n` more bytes.
    @inline(__always)
    mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    /// Moves to a heap allocation of at least `needed` bytes.
    private mutating func grow(_ needed: Int) {
        let newCapacity = Swift.max(needed, capacity * 2, 256)
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        fresh.initialize(from: base, count: count)
        if owned { base.deallocate() }
        base = fresh
        capacity = newCapacity
        owned = true
    }

    /// One byte.
    @inline(__always)
    mutating func byte(_ value: UInt8) {
        reserve(1)
        base[count] = value
        count += 1
    }

    /// Text as it is.
    @inline(__always)
    mutating func raw(_ text: StaticString) {
        let n = text.utf8CodeUnitCount
        reserve(n)
        let out = base + count, source = text.utf8Start
        // The pieces are a few bytes long: a loop beats a call to memcpy.
        for i in 0..<n { out[i] = source[i] }
        count += n
    }

    /// A signed decimal integer. (Works on locals: a store through a byte pointer could alias
    /// `self`, so the compiler would reload every field after it.)
    mutating func int(_ value: Int) {
        reserve(20)
        var at = count
        if value < 0 {
            base[at] = UInt8(ascii: "-")
            at += 1
        }
        count = at + Self.writeDecimal(value.magnitude, at: base + at)
    }

    /// Writes `value` in decimal at `out` and returns the digits written (1...20). Clocks in
    /// nanoseconds have 14 or more digits: they are cut in eight-digit halves written
    /// independently, so that the divisions do not wait for one another.
    @inline(__always)
    static func writeDecimal(_ value: UInt, at out: UnsafeMutablePointer<UInt8>) -> Int {
        if value < 10 {
            out[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value)
            return 1
        }
        if value < 100_000_000 {
            let digits = decimalDigits(value)
            writeDigits(value, count: digits, at: out)
            return digits
        }
        let high = value / 100_000_000, low = value % 100_000_000
        let digits = decimalDigits(high)
        writeDigits(high, count: digits, at: out)
        writeEightDigits(low, at: out + digits)
        return digits + 8
    }

    /// How many decimal digits `value` has (`value` >= 1): an estimate from its bit length,
    /// corrected with one comparison.
    @inline(__always)
    static func decimalDigits(_ value: UInt) -> Int {
        let bits = UInt.bitWidth &- value.leadingZeroBitCount
        let guess = (bits &* 1233) >> 12  // floor(log10(2^bits)): the answer or one less
        return guess &+ (value >= powerOfTen(guess) ? 1 : 0)
    }

    /// 10^n for n in 0...19.
    @inline(__always)
    private static func powerOfTen(_ n: Int) -> UInt { powersOfTen[n] }

    private static let powersOfTen: [UInt] = [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000,
        10_000_000_000, 100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000,
        1_000_000_000_000_000, 10_000_000_000_000_000, 100_000_000_000_000_000,
        1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ]

    /// Writes the last `count` digits of `value` at `out`, two at a time from the right.
    @inline(__always)
    private static func writeDigits(_ value: UInt, count: Int, at out: UnsafeMutablePointer<UInt8>) {
        var magnitude = value
        var position = count
        let pairs = digitPairs.utf8Start
        while position >= 2 {
            let pair = Int(truncatingIfNeeded: magnitude % 100) &* 2
            magnitude /= 100
            position &-= 2
            out[position] = pairs[pair]
            out[position &+ 1] = pairs[pair &+ 1]
        }
        if position == 1 { out[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude) }
    }

    /// Writes `value` (< 10^8) as exactly eight digits, leading zeros included.
    @inline(__always)
    static func writeEightDigits(_ value: UInt, at out: UnsafeMutablePointer<UInt8>) {
        let high = value / 10_000, low = value % 10_000
        let pairs = digitPairs.utf8Start
        let a = Int(truncatingIfNeeded: high / 100) &* 2, b = Int(truncatingIfNeeded: high % 100) &* 2
        let c = Int(truncatingIfNeeded: low / 100) &* 2, d = Int(truncatingIfNeeded: low % 100) &* 2
        out[0] = pairs[a]; out[1] = pairs[a &+ 1]
        out[2] = pairs[b]; out[3] = pairs[b &+ 1]
        out[4] = pairs[c]; out[5] = pairs[c &+ 1]
        out[6] = pairs[d]; out[7] = pairs[d &+ 1]
    }

    /// "00" through "99", for `int`.
    private static let digitPairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// A JSON string: quotes, `\` and control characters escaped; other text as UTF-8.
    mutating func string(_ text: String) {
        withCursor(reserving: TraceLineCursor.bound(text)) { $0.string(text) }
    }
}

/// Writes JSON pieces at a raw position, without bounds checks: whoever makes one has reserved
/// room for everything it will write (`TraceEncoder` reserves a bound per event, so an event
/// costs one check, not one per piece).
///
/// Not thread-safe: a local value of the thread that encodes.
struct TraceLineCursor {
    /// Where the next byte goes.
    var at: UnsafeMutablePointer<UInt8>

    /// Text as it is (a key with its quotes and colon, punctuation, a quoted event name).
    @inline(__always)
    mutating func raw(_ text: StaticString) {
        let n = text.utf8CodeUnitCount, source = text.utf8Start
        // The pieces are a few bytes long and known when this is inlined: a loop the compiler
        // unrolls beats a call to memcpy.
        for i in 0..<n { at[i] = source[i] }
        at += n
    }

    /// One byte.
    @inline(__always)
    mutating func byte(_ value: UInt8) {
        at.pointee = value
        at += 1
    }

    /// A signed decimal integer (at most 20 bytes).
    @inline(__always)
    mutating func int(_ value: Int) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        at += TraceLineWriter.writeDecimal(value.magnitude, at: at)
    }

    /// `true` or `false`.
    @inline(__always)
    mutating func bool(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

    /// A JSON string (at most 6 bytes per UTF-8 byte, plus 2): quotes, `\` and control
    /// characters escaped, other text copied as UTF-8.
    mutating func string(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { string(utf8: $0) }
        if done == nil { Array(text.utf8).withUnsafeBufferPointer { string(utf8: $0) } }
    }

    /// Room a string of `text` takes at most.
    @inline(__always)
    static func bound(_ text: String) -> Int { 6 &* text.utf8.count &+ 2 }

    /// A JSON string of these UTF-8 bytes, copied and checked in one pass.
    private mutating func string(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        byte(UInt8(ascii: "\""))
        var out = at
        for byte in bytes {
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                at = out
                escaped(byte)
                out = at
            } else {
                out.pointee = byte
                out += 1
            }
        }
        at = out
        byte(UInt8(ascii: "\""))
    }

    /// One byte that JSON escapes.
    private mutating func escaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): raw("\\\"")
        case UInt8(ascii: "\\"): raw("\\\\")
        case 0x0A: raw("\\n")
        case 0x0D: raw("\\r")
        case 0x09: raw("\\t")
        case 0x08: raw("\\b")
        case 0x0C: raw("\\f")
        default:
            raw("\\u00")
            self.byte(Self.hexDigit(byte >> 4))
            self.byte(Self.hexDigit(byte & 0xF))
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

extension TraceLineWriter {
    /// Reserves `bound` bytes, then runs `body` with a cursor at the end of what is written
    /// and counts what it wrote (which must be at most `bound`).
    @inline(__always)
    mutating func withCursor(reserving bound: Int, _ body: (inout TraceLineCursor) -> Void) {
        reserve(bound)
        var cursor = TraceLineCursor(at: base + count)
        body(&cursor)
        let written = cursor.at - (base + count)
        assert(written <= bound, "a trace line outgrew its bound")
        count += written
    }
}
