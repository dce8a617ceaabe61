extension CRC32 {
    /// The slicing-by-8 tables, flat: entry `k * 256 + b` is byte `b`'s contribution to the CRC
    /// when `k` more bytes follow it in the same 8-byte step (`k == 0` is `table`).
    static let slicingTables: [UInt32] = {
        var tables = table + Array(repeating: 0, count: 7 * 256)
        for k in 1..<8 {
            for b in 0..<256 {
                let previous = tables[(k - 1) * 256 + b]
                tables[k * 256 + b] = (previous >> 8) ^ table[Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    /// The checksum of raw bytes eight bytes a step (slicing-by-8): the faster below 1 KiB.
    static func slicingChecksum(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
        var crc: UInt32 = ~previous
        slicingTables.withUnsafeBufferPointer { t in
            var i = 0
            let n = bytes.count
            while n - i >= 8 {
                let one = bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian ^ crc
                let two = bytes.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self).littleEndian
                crc = t[7 * 256 + Int(one & 0xFF)] ^ t[6 * 256 + Int((one >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((one >> 16) & 0xFF)] ^ t[4 * 256 + Int(one >> 24)]
                    ^ t[3 * 256 + Int(two & 0xFF)] ^ t[2 * 256 + Int((two >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((two >> 16) & 0xFF)] ^ t[Int(two >> 24)]
                i += 8
            }
            while i < n {
                crc = t[Int((crc ^ UInt32(bytes[i])) & 0xFF)] ^ (crc >> 8)
                i += 1
            }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
