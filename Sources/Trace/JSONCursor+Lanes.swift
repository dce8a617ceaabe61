/// Eight bytes of a line at a time, as the lanes of one `UInt64` (the first byte in the lowest
/// lane): how the quick scan finds the end of a string without a branch per byte.
///
/// Each test below flags a lane by its high bit. A flag can be false only in a lane after a true
/// one (a borrow runs from a flagged lane into the next), so the lowest flag is always true.
extension JSONCursor {
    /// `0x01` in every lane.
    private static let lowBits: UInt64 = 0x0101_0101_0101_0101
    /// `0x80` in every lane.
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The eight bytes at offset `i`; the caller makes sure `i + 8 <= end`.
    @inline(__always) func lanes(at i: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
    }

    /// Flags the lanes that hold `byte`.
    @inline(__always) static func lanes(of w: UInt64, equalTo byte: UInt8) -> UInt64 {
        let x = w ^ (lowBits &* UInt64(byte))
        return (x &- lowBits) & ~x & highBits
    }

    /// Flags the lanes that end a plain string or cannot be in one: a quote, a backslash, a
    /// control byte, DEL, or a byte past ASCII.
    @inline(__always) static func stringStops(_ w: UInt64) -> UInt64 {
        let control = (w &- lowBits &* 0x20) & ~w & highBits
        return lanes(of: w, equalTo: UInt8(ascii: "\"")) | lanes(of: w, equalTo: UInt8(ascii: "\\"))
            | lanes(of: w, equalTo: 0x7F) | control | (w & highBits)
    }
}
