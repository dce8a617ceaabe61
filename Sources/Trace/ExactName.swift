#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A name compared byte for byte, as JSON strings are.
///
/// Swift's `String` equality uses canonical equivalence, so `"w\u{e9}"` and `"we\u{301}"` are
/// equal strings; in a trace they are two different nodes. Use this as a key wherever a name
/// read from a trace identifies something.
package struct ExactName: Hashable, Sendable, CustomStringConvertible {
    /// The name as read.
    package let string: String

    /// Wraps a name.
    package init(_ string: String) { self.string = string }

    /// Byte-wise equality of the UTF-8 encodings.
    package static func == (lhs: ExactName, rhs: ExactName) -> Bool {
        lhs.string.exactlyEquals(rhs.string)
    }

    /// Hashes the UTF-8 bytes.
    package func hash(into hasher: inout Hasher) {
        hasher.combine(exactBytesOf: string)
    }

    /// The name.
    package var description: String { string }
}

extension String {
    /// Whether the two strings have the same UTF-8 bytes (not merely canonically equivalent).
    @inlinable @inline(__always)
    package func exactlyEquals(_ other: String) -> Bool {
        // Lengths inline too: names of different nodes mostly differ in length.
        sameRepresentation(other) || (utf8.count == other.utf8.count && bytesEqual(other))
    }

    /// Whether the two strings have identical representations, and so identical bytes (a small
    /// string stores its bytes inline; a large one shares its buffer): the usual case of a name
    /// compared with itself, decided inline without touching the bytes. False says nothing:
    /// different representations may still hold equal bytes. Lookups among a few names try
    /// this on every name before comparing the bytes of any (see `firstIndexExactlyEqual`).
    @inlinable @inline(__always)
    package func sameRepresentation(_ other: String) -> Bool {
        guard MemoryLayout<String>.size == 16 else { return false }
        return unsafeBitCast(self, to: (UInt64, UInt64).self) == unsafeBitCast(other, to: (UInt64, UInt64).self)
    }

    /// `exactlyEquals` past its quick test: the lengths, then the bytes.
    @usableFromInline
    func bytesEqual(_ other: String) -> Bool {
        // Lengths first: O(1) for native strings, and most names that differ differ in length.
        guard utf8.count == other.utf8.count else { return false }
        let contiguous = utf8.withContiguousStorageIfAvailable { a in
            other.utf8.withContiguousStorageIfAvailable { b in
                a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
            }
        }
        if let contiguous, let answer = contiguous { return answer }
        return utf8.elementsEqual(other.utf8)
    }
}

extension Hasher {
    /// Feeds the UTF-8 bytes of `string`, so equal bytes hash equally and nothing else matters.
    @inlinable
    package mutating func combine(exactBytesOf string: String) {
        var copy = string
        copy.withUTF8 { combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

/// The index of the first of `count` names (`name(i)` is the i-th) with the bytes of `target`:
/// first by representation alone, inline, then byte by byte. A trace names few nodes, and names
/// of up to 15 UTF-8 bytes are stored inside the string, so equal ones have equal
/// representations and the first pass answers without a call; longer names read from separate
/// lines sit in separate buffers and fall to the byte pass.
@inlinable @inline(__always)
package func firstIndexExactlyEqual(_ target: String, count: Int, name: (Int) -> String) -> Int? {
    for i in 0..<count where name(i).sameRepresentation(target) { return i }
    for i in 0..<count where name(i).bytesEqual(target) { return i }
    return nil
}
