/// A 64-bit hash that is the same in every process and on every run, for fingerprints of
/// states that the explorer stores, compares across threads and writes into shard reports.
///
/// Swift's `Hasher` is seeded per process, so it cannot serve. Each 64-bit word is mixed on
/// its own with one full-width multiply, the product's halves xored (the "folded multiply" of
/// wyhash and foldhash: every input bit reaches the middle of the product), and xored into
/// the state after the state is multiplied by an odd constant and rotated. So each step is a
/// bijection of the state (states that differ stay apart whatever follows, and no state is a
/// fixed point), and the multiply of the word is off the state's chain of dependent steps:
/// a third of the latency of mixing every word with SplitMix64's finalizer, as this type did
/// before (the driver's search took about 0.91x the CPU). `value` mixes the state with that
/// finalizer (a bijection with full avalanche), so nearby values (seqs, counters) spread over
/// the whole range. Feed values in a canonical order: sort what a `Set` or `Dictionary` holds,
/// or sum one hash per entry (`unorderedSum`).
///
/// Fingerprints compare within one build (a replay token's model stamp is one, so tokens of a
/// build that hashed otherwise are refused, asking for the exploration to be run again). What
/// must stay the same across builds (a replay token's digest of a trace) goes through
/// `combineWordByWord`, whose mixing never changes.
public struct StableHasher: Sendable {
    @usableFromInline var state: UInt64

    /// A hasher that has hashed nothing.
    public init() { state = 0x243F_6A88_85A3_08D3 }

    /// Hashes one 64-bit word (see the type's doc).
    @inlinable
    public mutating func combine(_ word: UInt64) { state = Self.step(state, word) }

    /// The state after `word`: the state times an odd constant, rotated, xored with the
    /// folded multiply of the word.
    @inlinable
    static func step(_ state: UInt64, _ word: UInt64) -> UInt64 {
        let product = (word ^ 0x6A09_E667_F3BC_C909).multipliedFullWidth(by: 0x9E37_79B9_7F4A_7C15)
        let scaled = state &* 0xBF58_476D_1CE4_E5B9
        return (scaled << 23 | scaled >> 41) ^ (product.high ^ product.low)
    }

    /// Hashes an integer as its two's-complement word.
    @inlinable
    public mutating func combine(_ value: Int) { combine(UInt64(bitPattern: Int64(value))) }

    /// Hashes two integers: as one word when both are in 0..<2^31 (its top bit clear), else as
    /// a marker word (top bit set) and each in full, so the words read back one way.
    @inlinable
    public mutating func combine(_ a: Int, _ b: Int) {
        if UInt(bitPattern: a) < 1 << 31 && UInt(bitPattern: b) < 1 << 31 {
            combine(UInt64(a) << 31 | UInt64(b))
        } else {
            combine(1 << 63 as UInt64)
            combine(a)
            combine(b)
        }
    }

    /// Hashes a Boolean.
    @inlinable
    public mutating func combine(_ value: Bool) { combine(value ? 1 as UInt64 : 2) }

    /// Hashes an optional integer, telling nil from every value.
    @inlinable
    public mutating func combine(_ value: Int?) {
        if let value {
            combine(1 as UInt64)
            combine(value)
        } else {
            combine(0 as UInt64)
        }
    }

    /// Hashes a byte string with its length; the same hash as the bytes in an array.
    public mutating func combine(bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { combine(contiguous: UnsafeRawBufferPointer($0)) }
        if done == nil { Array(bytes).withUnsafeBytes { combine(contiguous: $0) } }
    }

    /// Hashes a byte array with its length.
    public mutating func combine(bytes: [UInt8]) {
        bytes.withUnsafeBytes { combine(contiguous: $0) }
    }

    /// Hashes contiguous bytes with their length, as `combine(bytes:)` does: eight bytes at a
    /// time, and a buffer of 32 bytes or more first in four independent lanes (xxHash64's
    /// round), which the processor runs side by side rather than one after another (the
    /// driver's search, which hashes blocks on every state, took 10% less CPU).
    package mutating func combine(contiguous raw: UnsafeRawBufferPointer) {
        combine(raw.count)
        var offset = 0
        if raw.count >= 32 {
            var a: UInt64 = 0x60EA_27EE_ADC0_B5D6, b: UInt64 = 0xC2B2_AE3D_27D4_EB4F
            var c: UInt64 = 0x0000_0000_0000_0000, d: UInt64 = 0x61C8_8646_80B5_83EB
            while offset + 32 <= raw.count {
                a = Self.round(a, raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                b = Self.round(b, raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
                c = Self.round(c, raw.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self))
                d = Self.round(d, raw.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self))
                offset += 32
            }
            combine(a)
            combine(b)
            combine(c)
            combine(d)
        }
        combineWords(raw, from: offset)
    }

    /// Hashes contiguous bytes with their length eight at a time, each word mixed in with
    /// SplitMix64's finalizer: a value no later speed-up of this type may change (a replay
    /// token keeps one). A hasher fed only through this gives the same `value` in every build.
    package mutating func combineWordByWord(_ raw: UnsafeRawBufferPointer) {
        combineWords(raw, from: 0, counted: true) { state, word in
            Self.mix((state ^ word) &* 0x9E37_79B9_7F4A_7C15 &+ 0x6A09_E667_F3BC_C909)
        }
    }

    /// The bytes of `raw` from `offset`, eight at a time (little-endian), the last word padded
    /// with zeros.
    private mutating func combineWords(_ raw: UnsafeRawBufferPointer, from start: Int) {
        combineWords(raw, from: start, counted: false, Self.step)
    }

    /// Feeds `step` the byte count (when `counted`), then the bytes of `raw` from `start`, eight
    /// at a time (little-endian), the last word padded with zeros.
    @inline(__always)
    private mutating func combineWords(
        _ raw: UnsafeRawBufferPointer, from start: Int, counted: Bool, _ step: (UInt64, UInt64) -> UInt64
    ) {
        if counted { state = step(state, UInt64(bitPattern: Int64(raw.count))) }
        var offset = start
        while offset + 8 <= raw.count {
            state = step(state, UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            offset += 8
        }
        var tail: UInt64 = 0
        for i in offset..<raw.count { tail |= UInt64(raw[i]) << (UInt64(i - offset) * 8) }
        if offset < raw.count { state = step(state, tail) }
    }

    /// One lane's step over eight bytes (little-endian), as in xxHash64.
    private static func round(_ lane: UInt64, _ word: UInt64) -> UInt64 {
        let acc = lane &+ UInt64(littleEndian: word) &* 0xC2B2_AE3D_27D4_EB4F
        return ((acc << 31) | (acc >> 33)) &* 0x9E37_79B1_85EB_CA87
    }

    /// Hashes integers with their count (four or more as their bytes, through the lanes of
    /// `combine(contiguous:)`; the bytes are the host's, so a big-endian host hashes them
    /// otherwise: fingerprints compare within one build on one kind of host).
    public mutating func combine(_ values: [Int]) {
        combine(values.count)
        guard values.count >= 4 else {
            for value in values { combine(value) }
            return
        }
        values.withUnsafeBytes { combine(contiguous: $0) }
    }

    /// Hashes a string's UTF-8 bytes with their length.
    public mutating func combine(_ string: String) {
        let done: Void? = string.utf8.withContiguousStorageIfAvailable { combine(contiguous: UnsafeRawBufferPointer($0)) }
        if done == nil { combine(bytes: string.utf8) }
    }

    /// The sum of one stable hash per element of `elements`, each made by `hash` from a fresh
    /// hasher: a hash of a set or a dictionary that no iteration order shows, with no sorted
    /// copy.
    @inlinable
    public static func unorderedSum<S: Sequence>(
        _ elements: S, _ hash: (S.Element, inout StableHasher) -> Void
    ) -> UInt64 {
        var total: UInt64 = 0
        for element in elements {
            var entry = StableHasher()
            hash(element, &entry)
            total &+= entry.value
        }
        return total
    }

    /// The hash of everything combined so far.
    public var value: UInt64 { Self.mix(state ^ 0x1F83_D9AB_FB41_BD6B) }

    /// SplitMix64's finalizer.
    @inlinable
    static func mix(_ z: UInt64) -> UInt64 {
        var z = z
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The hash of one word: a stable hash of a single value.
    public static func hash(_ word: UInt64) -> UInt64 {
        var h = StableHasher()
        h.combine(word)
        return h.value
    }
}
