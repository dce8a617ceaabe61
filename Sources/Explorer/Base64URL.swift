/// Base64url without padding (RFC 4648 §5): tokens must survive shells, URLs and CI logs.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The text for `bytes`.
    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let b0 = UInt32(bytes[index])
            let b1 = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
            let word = b0 << 16 | b1 << 8 | b2
            let chars = min(4, (bytes.count - index) + 1)
            for k in 0..<chars {
                out.append(alphabet[Int((word >> (18 - 6 * UInt32(k))) & 63)])
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of `text`; errors give positions relative to `offset`, the text's first
    /// character within the token.
    static func decode(_ text: Substring, offset: Int) throws(ReplayTokenError) -> [UInt8] {
        var values: [UInt8] = []
        values.reserveCapacity(text.count)
        for (position, character) in text.enumerated() {
            guard let value = Self.value(of: character) else {
                throw ReplayTokenError(.invalidCharacter(character), at: offset + position)
            }
            values.append(value)
        }
        if values.count % 4 == 1 {
            throw ReplayTokenError(.invalidLength, at: offset + values.count)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 3 / 4)
        var index = 0
        while index < values.count {
            let group = values[index..<min(index + 4, values.count)]
            var word: UInt32 = 0
            for (k, value) in group.enumerated() { word |= UInt32(value) << (18 - 6 * UInt32(k)) }
            let count = group.count - 1
            for k in 0..<count { bytes.append(UInt8((word >> (16 - 8 * UInt32(k))) & 0xFF)) }
            let unused: UInt32 = count == 3 ? 0 : (count == 2 ? 0xFF : 0xFFFF)
            if word & unused != 0 {
                throw ReplayTokenError(.nonCanonicalEnding, at: offset + index + group.count - 1)
            }
            index += 4
        }
        return bytes
    }

    private static func value(of character: Character) -> UInt8? {
        guard let ascii = character.asciiValue else { return nil }
        switch ascii {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return ascii - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return ascii - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return ascii - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): return 62
        case UInt8(ascii: "_"): return 63
        default: return nil
        }
    }
}
