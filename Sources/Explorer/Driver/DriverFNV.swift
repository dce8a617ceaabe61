/// FNV-1a, 64 bits: a hash with a fixed seed, so fingerprints agree across processes.
struct DriverFNV {
    /// The hash so far.
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    private static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// Hashes `bytes`, one byte at a time.
    mutating func add(_ bytes: [UInt8]) {
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* Self.prime
        }
    }

    /// Hashes one 64-bit word, a byte at a time (little-endian).
    mutating func add(_ word: UInt64) {
        var w = word
        for _ in 0..<8 {
            value ^= w & 0xFF
            value = value &* Self.prime
            w >>= 8
        }
    }

    /// Hashes an integer as a 64-bit word.
    mutating func add(_ int: Int) { add(UInt64(bitPattern: Int64(int))) }

    /// Hashes a large byte array eight bytes at a time (FNV-1a over 64-bit words, then the
    /// tail bytes): a few microseconds for the whole simulated medium.
    mutating func addWords(_ bytes: [UInt8]) {
        add(bytes.count)
        bytes.withUnsafeBytes { raw in
            let words = raw.count / 8
            for i in 0..<words {
                value ^= UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
                value = value &* Self.prime
            }
            for i in (words * 8)..<raw.count {
                value ^= UInt64(raw[i])
                value = value &* Self.prime
            }
        }
    }
}
