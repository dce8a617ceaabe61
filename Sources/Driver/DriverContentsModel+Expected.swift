#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// What the data area must hold: the requests the area shows written over its earlier content.
extension DriverContentsModel {
    /// The requests by where they write, in buckets of `1 << shift` bytes: finds the writers of
    /// one range without a pass over every request (the live driver verifies 256 MiB in 4 MiB
    /// ranges over 200,000 requests). Made by `writerIndex(shift:)`; valid until the model
    /// changes.
    package struct WriterIndex: Sendable {
        /// Bytes per bucket, as a shift.
        let shift: Int
        /// Per bucket, the indices in `requests` of the requests that write into it, ascending.
        let buckets: [[Int32]]
    }

    /// An index of the requests the model holds now.
    package func writerIndex(shift: Int = 20) -> WriterIndex {
        let end = requests.reduce(0) { max($0, $1.offset + $1.length) }
        var buckets = [[Int32]](repeating: [], count: (end >> shift) + 1)
        for (at, request) in requests.enumerated() where request.length > 0 {
            for bucket in (request.offset >> shift) ... ((request.offset + request.length - 1) >> shift) {
                buckets[bucket].append(Int32(at))
            }
        }
        return WriterIndex(shift: shift, buckets: buckets)
    }

    /// The requests that write into `range`, in arrival order (found through `index` if given).
    package func writers(of range: Range<Int>, index: WriterIndex? = nil) -> [Request] {
        guard !range.isEmpty else { return [] }
        guard let index else { return requests.filter { $0.range.overlaps(range) } }
        let first = range.lowerBound >> index.shift
        let last = min((range.upperBound - 1) >> index.shift, index.buckets.count - 1)
        guard first <= last else { return [] }
        var candidates: [Int32] = []
        for bucket in first ... last { candidates += index.buckets[bucket] }
        candidates.sort()
        var result: [Request] = []
        var previous: Int32 = -1
        for at in candidates where at != previous {
            previous = at
            if requests[Int(at)].range.overlaps(range) { result.append(requests[Int(at)]) }
        }
        return result
    }

    /// Writes each of `writers` (in arrival order) that the area shows over `image`, which holds
    /// the bytes of `range`; returns the parts of `range` they wrote, in the order written.
    @discardableResult
    package func apply(
        _ writers: [Request], to image: inout [UInt8], at range: Range<Int>, bytes: (Request) -> [UInt8]
    ) -> [Range<Int>] {
        var written: [Range<Int>] = []
        for request in writers where shows(request) {
            let lo = max(range.lowerBound, request.offset), hi = min(range.upperBound, request.offset + request.length)
            guard lo < hi else { continue }
            let payload = bytes(request)
            image.replaceSubrange(lo - range.lowerBound ..< hi - range.lowerBound,
                                  with: payload[lo - request.offset ..< hi - request.offset])
            written.append(lo ..< hi)
        }
        return written
    }

    /// What `range` of the data area must hold: `initial` (its content before the model's
    /// requests; by default the model's `base`) with every request the area shows written over
    /// it in arrival order (found through `index` if given).
    package func expected(
        _ range: Range<Int>, initial: [UInt8]? = nil, index: WriterIndex? = nil, bytes: (Request) -> [UInt8]
    ) -> [UInt8] {
        var image = initial ?? base(in: range)
        precondition(image.count == range.count, "the initial content must cover the range")
        apply(writers(of: range, index: index), to: &image, at: range, bytes: bytes)
        return image
    }

    /// What the whole data area must hold, for a model that holds it (`base`).
    package func expected(bytes: (Request) -> [UInt8]) -> [UInt8] {
        expected(0 ..< baseCount, bytes: bytes)
    }

    /// The first offset where `actual` differs from `expected` and how many bytes differ, for
    /// messages; nil when they are equal.
    package static func difference(_ actual: [UInt8], _ expected: [UInt8]) -> (first: Int, count: Int)? {
        // Equal, almost always (the arrays' `==` goes byte by byte).
        let equal = actual.count == expected.count
            && actual.withUnsafeBytes { a in expected.withUnsafeBytes { b in Self.equal(a, b) } }
        guard !equal else { return nil }
        let differing = (0 ..< min(actual.count, expected.count)).filter { actual[$0] != expected[$0] }
        return (differing.first ?? min(actual.count, expected.count), differing.count + abs(actual.count - expected.count))
    }

    /// Whether `a` and `b` hold the same bytes (`memcmp`).
    package static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard let x = a.baseAddress, let y = b.baseAddress else { return true }
        return memcmp(x, y, a.count) == 0
    }
}
