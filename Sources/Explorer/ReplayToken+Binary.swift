/// 32-bit FNV-1a: the replay token format's checksum (fixed by the format, so tokens printed by
/// earlier versions still read; fingerprints use `StableHasher`).
func fnv1a32(_ bytes: some Sequence<UInt8>) -> UInt32 {
    var hash: UInt32 = 0x811C_9DC5
    for byte in bytes {
        hash ^= UInt32(byte)
        hash = hash &* 0x0100_0193
    }
    return hash
}

/// Builds the binary of a replay token.
struct TokenWriter {
    private(set) var bytes: [UInt8] = []

    /// An unsigned LEB128 varint.
    mutating func number(_ value: Int) {
        var rest = UInt64(value)
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// A varint length, then the UTF-8 bytes.
    mutating func string(_ text: String) {
        number(text.utf8.count)
        bytes.append(contentsOf: text.utf8)
    }

    /// The checksum of everything so far, big-endian.
    mutating func checksum() {
        let sum = fnv1a32(bytes)
        bytes.append(contentsOf: [UInt8(sum >> 24), UInt8(sum >> 16 & 0xFF), UInt8(sum >> 8 & 0xFF), UInt8(sum & 0xFF)])
    }
}

/// Reads the binary of a replay token, turning byte offsets into character positions.
struct TokenReader {
    let bytes: [UInt8]
    /// The character at which the base64url text starts.
    let offset: Int
    private(set) var cursor = 0

    init(bytes: [UInt8], offset: Int) {
        self.bytes = bytes
        self.offset = offset
    }

    /// An error at the character that holds the byte at the cursor.
    func error(_ problem: ReplayTokenError.Problem, byte: Int? = nil) -> ReplayTokenError {
        ReplayTokenError(problem, at: offset + (byte ?? cursor) * 4 / 3)
    }

    /// An unsigned LEB128 varint that fits in an `Int`, in at most ten bytes.
    mutating func number(field: String) throws(ReplayTokenError) -> Int {
        let first = cursor
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard cursor < bytes.count else { throw error(.truncated(field: field)) }
            let byte = bytes[cursor]
            cursor += 1
            let bits = UInt64(byte & 0x7F)
            guard shift < 64, (bits << shift) >> shift == bits else {
                throw error(.malformedNumber(field: field), byte: first)
            }
            value |= bits << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        guard value <= UInt64(Int.max) else { throw error(.malformedNumber(field: field), byte: first) }
        return Int(value)
    }

    /// A varint length, then that many UTF-8 bytes.
    mutating func string(field: String) throws(ReplayTokenError) -> String {
        let count = try number(field: field)
        guard count <= bytes.count - cursor else { throw error(.truncated(field: field), byte: bytes.count) }
        let start = cursor
        cursor += count
        let slice = bytes[start..<cursor]
        let invalid = transcode(slice.makeIterator(), from: UTF8.self, to: UTF32.self, stoppingOnError: true) { _ in }
        if invalid { throw error(.invalidUTF8(field: field), byte: start) }
        return String(decoding: slice, as: UTF8.self)
    }

    /// The checksum, which must cover every byte before it and end the data.
    mutating func checksum() throws(ReplayTokenError) {
        guard bytes.count - cursor >= 4 else { throw error(.truncated(field: "checksum"), byte: bytes.count) }
        let expected = fnv1a32(bytes[..<cursor])
        let stored = bytes[cursor..<cursor + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard stored == expected else { throw error(.checksumMismatch) }
        cursor += 4
        guard cursor == bytes.count else { throw error(.trailingData) }
    }
}
