/// Appends fixed-width little-endian integers: how every on-disk structure is written.
struct LittleEndianWriter {
    var bytes: [UInt8]

    init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func put<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func put(_ value: Int, as: UInt64.Type) { put(UInt64(truncatingIfNeeded: value)) }
    mutating func put(_ value: Int, as: UInt32.Type) { put(UInt32(truncatingIfNeeded: value)) }
}

/// Reads fixed-width little-endian integers from a byte range; nil past its end.
struct LittleEndianReader {
    let bytes: [UInt8]
    var index: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.index = start
        self.end = min(end ?? bytes.count, bytes.count)
    }

    mutating func get<T: FixedWidthInteger>(_: T.Type) -> T? {
        let width = MemoryLayout<T>.size
        guard index + width <= end else { return nil }
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: index, as: T.self) }
        index += width
        return T(littleEndian: value)
    }

    /// A u64 that must fit an Int >= 0.
    mutating func count64() -> Int? {
        guard let v = get(UInt64.self), v <= UInt64(Int.max) else { return nil }
        return Int(v)
    }

    /// A u32 as an Int.
    mutating func count32() -> Int? { get(UInt32.self).map { Int($0) } }
}
