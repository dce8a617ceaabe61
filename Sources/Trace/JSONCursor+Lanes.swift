/// Eight bytes of a line at a time, as the lanes of one `UInt64` (the first byte in the lowest
/// lane): how the quick scan finds the end of a string without a branch per byte.
///
/// Each test below flags a lane by its high bit. A flag can be false only in a lane after a true
/// one (a borrow runs from a flagged lane into the next), so the lowest flag is always true.
extension JSONCursor {
    /// `0x01` in every lane.
    static let lowBits: UInt64 = 0x0101_0101_0101_0101
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

    /// How many of the lanes of `digits` (bytes xor `0x30`, so a digit is 0 to 9), from the
    /// lowest, hold digits: 0 to 8.
    @inline(__always) static func leadingDigitCount(_ digits: UInt64) -> Int {
        // A lane is not a digit if its high bit is set or its low seven bits are 10 or more
        // (adding 0x76 to them then sets the high bit, and never carries into the next lane).
        let notDigit = (digits | ((digits & ~highBits) &+ 0x7676_7676_7676_7676)) & highBits
        return notDigit == 0 ? 8 : notDigit.trailingZeroBitCount &>> 3
    }

    /// The number the lowest `count` lanes of `digits` (1 to 8 digits, the first in the lowest
    /// lane) spell: the other lanes are shifted out, and the eight lanes are then combined in
    /// pairs, quadruples and the whole, as in simdjson's `parse_eight_digits_unrolled`.
    @inline(__always) static func value(ofDigits digits: UInt64, count: Int) -> UInt64 {
        // The first digit is the lowest lane: shifting left puts zeros (leading) below it.
        var v = count == 8 ? digits : digits &<< UInt64((8 &- count) &* 8)
        v = v &* 10 &+ (v &>> 8)  // lane 2k: the two digits 2k and 2k + 1
        let pairs: UInt64 = 0x0000_00FF_0000_00FF
        v = ((v & pairs) &* 0x000F_4240_0000_0064 &+ ((v &>> 16) & pairs) &* 0x0000_2710_0000_0001) &>> 32
        return v & 0xFFFF_FFFF
    }

    /// 10 to the power `count`, 1 to 8.
    @inline(__always) static func tenToThe(_ count: Int) -> UInt64 {
        switch count {
        case 1: 10
        case 2: 100
        case 3: 1_000
        case 4: 10_000
        case 5: 100_000
        case 6: 1_000_000
        case 7: 10_000_000
        default: 100_000_000
        }
    }
}
