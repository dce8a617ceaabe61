/// CRC-32 (IEEE 802.3, the zlib/Ethernet polynomial): the checksum of every frame on a mirror
/// path and of every driver journal record.
///
/// The generic form is table-driven, one byte at a time; `CRC32+Slicing` is the fast one.
public enum CRC32 {
    /// The 256-entry table of the reflected polynomial 0xEDB88320.
    static let table: [UInt32] = (0..<256).map { index in
        var c = UInt32(index)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The checksum of `bytes` (`CRC32.checksum("123456789".utf8) == 0xCBF43926`).
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
