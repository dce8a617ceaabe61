/// Writes JSON pieces of trace lines straight into raw memory: no intermediate strings,
/// arrays or objects per event, and a bounds check per piece rather than per byte.
///
/// It writes at `base + count`, growing into a fresh heap allocation when a piece does not fit
/// (`owned` then says the memory is the writer's: whoever takes `base` back frees it). A
/// `FileRecorder` lends it its buffer, so lines are encoded where they will be written from;
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

    /// A signed decimal integer, two digits at a time. (Works on locals: a store through a
    /// byte pointer could alias `self`, so the compiler would reload every field after it.)
    mutating func int(_ value: Int) {
        reserve(21)
        let out = base
        var at = count
        if value < 0 {
            out[at] = UInt8(ascii: "-")
            at += 1
        }
        var magnitude = value.magnitude
        if magnitude < 10 {
            out[at] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude)
            count = at + 1
            return
        }
        var digits = 2
        var bound: UInt = 100
        while digits < 20, magnitude >= bound {
            digits += 1
            bound = bound &* 10
        }
        let end = at + digits
        var position = end
        let pairs = Self.digitPairs.utf8Start
        while magnitude >= 100 {
            let pair = Int(truncatingIfNeeded: magnitude % 100) &* 2
            magnitude /= 100
            position -= 2
            out[position] = pairs[pair]
            out[position + 1] = pairs[pair + 1]
        }
        if magnitude >= 10 {
            let pair = Int(truncatingIfNeeded: magnitude) &* 2
            out[position - 2] = pairs[pair]
            out[position - 1] = pairs[pair + 1]
        } else {
            out[position - 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude)
        }
        count = end
    }

    /// "00" through "99", for `int`.
    private static let digitPairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// A JSON string: quotes, `\` and control characters escaped; other text as UTF-8.
    mutating func string(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in string(utf8: bytes) }
        if done == nil {
            let copy = Array(text.utf8)
            copy.withUnsafeBufferPointer { string(utf8: $0) }
        }
    }

    /// A JSON string of these UTF-8 bytes.
    private mutating func string(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count + 2)
        // Node, event and consumer names almost never need escaping: copy them whole.
        var plain = true
        for byte in bytes where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            plain = false
            break
        }
        base[count] = UInt8(ascii: "\"")
        count += 1
        if plain {
            if let source = bytes.baseAddress { (base + count).initialize(from: source, count: bytes.count) }
            count += bytes.count
        } else {
            for byte in bytes { escaped(byte) }
        }
        byte(UInt8(ascii: "\""))
    }

    /// One byte of a string, escaped if JSON needs it.
    private mutating func escaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): raw("\\\"")
        case UInt8(ascii: "\\"): raw("\\\\")
        case 0x0A: raw("\\n")
        case 0x0D: raw("\\r")
        case 0x09: raw("\\t")
        case 0x08: raw("\\b")
        case 0x0C: raw("\\f")
        case 0..<0x20:
            raw("\\u00")
            self.byte(Self.hexDigit(byte >> 4))
            self.byte(Self.hexDigit(byte & 0xF))
        default:
            self.byte(byte)
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// `,"key":value` for an integer.
    mutating func int(_ key: StaticString, _ value: Int) {
        keyPrefix(key)
        int(value)
    }

    /// `,"key":value` for a boolean.
    mutating func bool(_ key: StaticString, _ value: Bool) {
        keyPrefix(key)
        if value { raw("true") } else { raw("false") }
    }

    /// `,"key":value` for a string.
    mutating func string(_ key: StaticString, _ value: String) {
        keyPrefix(key)
        string(value)
    }

    /// `,"key":[...]` for strings.
    mutating func strings(_ key: StaticString, _ values: [String]) {
        keyPrefix(key)
        byte(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { byte(UInt8(ascii: ",")) }
            string(value)
        }
        byte(UInt8(ascii: "]"))
    }

    /// `,"key":` (keys are plain ASCII names).
    @inline(__always)
    private mutating func keyPrefix(_ key: StaticString) {
        raw(",\"")
        raw(key)
        raw("\":")
    }
}
