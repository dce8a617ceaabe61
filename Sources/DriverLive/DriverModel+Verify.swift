import Driver
import Foundation

// Verification: the data area, read through the driver, against the contents model.
extension DriverModel {
    /// Compares every byte any submitted request touched with what the model expects: the
    /// initial content with every request the area shows (`DriverContentsModel.shows`) written
    /// over it in arrival order. Reads through `driver`'s read path, `chunk` bytes at a time.
    /// Call when no request is in flight (every submitted request completed, or lost in a crash
    /// the driver has recovered from).
    ///
    /// Mismatches are reported (the first `maxReported` runs, each with its offset and the ids
    /// that wrote there), not thrown: see `DriverVerification.check()`. Throws what a read throws.
    package func verify(
        through driver: LiveDriver, label: String, chunk: Int = 4 << 20, maxReported: Int = 20
    ) async throws -> DriverVerification {
        let s = snapshot()
        let model = s.contents
        var result = DriverVerification(label: label, requests: model.requests.count)
        for request in model.requests {
            if model.lost(request) { result.lost += 1 } else { result.survivors += 1 }
        }
        let index = model.writerIndex()
        let bytes = { (request: DriverContentsModel.Request) in self.payload(id: request.id, length: request.length) }
        for range in Self.merged(model.requests.map(\.range)) {
            var at = range.lowerBound
            while at < range.upperBound {
                let end = min(at + max(chunk, 1), range.upperBound)
                let writers = model.writers(of: at ..< end, index: index)
                var (expected, covered) = Self.initialContent(s.initial, at ..< end)
                let written = model.apply(writers, to: &expected, at: at ..< end, bytes: bytes)
                if covered != nil {
                    for part in written { for i in part.lowerBound - at ..< part.upperBound - at { covered![i] = true } }
                }
                let actual = try await driver.read(offset: at, length: end - at)
                compare(expected, actual, covered: covered, at: at, writers: writers, model, maxReported, &result)
                at = end
            }
        }
        return result
    }

    /// The initial bytes of `range` and, for captured content, which of them are known.
    private static func initialContent(
        _ initial: [(offset: Int, bytes: [UInt8])]?, _ range: Range<Int>
    ) -> ([UInt8], [Bool]?) {
        var bytes = [UInt8](repeating: 0, count: range.count)
        guard let initial else { return (bytes, nil) }
        var covered = [Bool](repeating: false, count: range.count)
        // The first captured piece that ends after the range starts.
        var low = 0, high = initial.count
        while low < high {
            let mid = (low + high) / 2
            if initial[mid].offset + initial[mid].bytes.count <= range.lowerBound { low = mid + 1 } else { high = mid }
        }
        for piece in initial[low...] {
            guard piece.offset < range.upperBound else { break }
            let lo = max(range.lowerBound, piece.offset), hi = min(range.upperBound, piece.offset + piece.bytes.count)
            guard lo < hi else { continue }
            bytes.replaceSubrange(lo - range.lowerBound ..< hi - range.lowerBound, with: piece.bytes[lo - piece.offset ..< hi - piece.offset])
            for i in lo - range.lowerBound ..< hi - range.lowerBound { covered[i] = true }
        }
        return (bytes, covered)
    }

    /// Counts the bytes compared and the runs of mismatching bytes of one chunk.
    private func compare(
        _ expected: [UInt8], _ actual: [UInt8], covered: [Bool]?, at: Int, writers: [DriverContentsModel.Request],
        _ model: DriverContentsModel, _ maxReported: Int, _ result: inout DriverVerification
    ) {
        let compared = covered?.count(where: { $0 }) ?? expected.count
        result.bytesCompared += compared
        result.bytesNotCompared += expected.count - compared
        guard expected != actual || actual.count != expected.count else { return }
        var i = 0
        while i < expected.count {
            guard i < actual.count, expected[i] != actual[i], covered?[i] ?? true else {
                i += 1
                continue
            }
            var end = i + 1
            while end < expected.count, end < actual.count, expected[end] != actual[end], covered?[end] ?? true { end += 1 }
            result.mismatchedBytes += end - i
            if result.mismatches.count < maxReported {
                let offset = at + i
                let involved = writers.filter { $0.range.contains(offset) }
                result.mismatches.append(DriverMismatch(
                    offset: offset, length: end - i, expected: expected[i], actual: actual[i],
                    writers: involved.map { DriverMismatch.Writer(id: $0.id, arrival: $0.arrival, survived: model.shows($0)) }))
            }
            i = end
        }
    }
}

/// What one verification of a `DriverModel` found.
package struct DriverVerification: Sendable, Equatable {
    /// When it ran (`after recovery`, `after shutdown and mount`, ...).
    package var label: String
    /// Requests submitted so far.
    package var requests: Int
    /// Of those, the ones that survived (their epoch did not crash, or recovery named them).
    package var survivors = 0
    /// And the ones lost in a crash.
    package var lost = 0
    /// Bytes compared: every byte some request touched.
    package var bytesCompared = 0
    /// Touched bytes whose initial content was not captured, so not compared.
    package var bytesNotCompared = 0
    /// Bytes that differ from the model.
    package var mismatchedBytes = 0
    /// The first runs of differing bytes.
    package var mismatches: [DriverMismatch] = []

    /// Makes an empty result.
    package init(label: String, requests: Int) {
        self.label = label
        self.requests = requests
    }

    /// Whether every compared byte matched.
    package var passed: Bool { mismatchedBytes == 0 }

    /// Throws the mismatches, if any.
    package func check() throws(DriverVerificationError) {
        if !passed { throw DriverVerificationError(verification: self) }
    }
}

/// A run of bytes of the data area that differ from the model.
package struct DriverMismatch: Sendable, Equatable, CustomStringConvertible {
    /// A request that wrote the first byte of the run.
    package struct Writer: Sendable, Equatable {
        /// Its id.
        package var id: Int
        /// Its place in the arrival order.
        package var arrival: Int
        /// Whether the model counts it as surviving.
        package var survived: Bool
    }

    /// Data-area offset of the first differing byte.
    package var offset: Int
    /// Differing bytes from there on.
    package var length: Int
    /// The first byte as the model expects it.
    package var expected: UInt8
    /// The first byte as the driver read it.
    package var actual: UInt8
    /// Every request that wrote the first byte, in arrival order.
    package var writers: [Writer]

    /// `offset 123 (45 bytes): expected 0x12, read 0x34; writers: 17 (survived), 40 (lost)`.
    package var description: String {
        let who = writers.isEmpty ? "none (initial content)"
            : writers.map { "\($0.id) (\($0.survived ? "survived" : "lost"))" }.joined(separator: ", ")
        return "offset \(offset) (\(length) bytes): expected 0x\(String(expected, radix: 16)), read 0x\(String(actual, radix: 16)); writers in arrival order: \(who)"
    }
}

/// The data area differs from the model: thrown by `DriverVerification.check()`.
package struct DriverVerificationError: Error, Sendable, CustomStringConvertible {
    /// The verification that failed.
    package var verification: DriverVerification

    /// Where and which ids.
    package var description: String {
        "verification \(verification.label) failed: \(verification.mismatchedBytes) of \(verification.bytesCompared) bytes differ; "
            + verification.mismatches.map(\.description).joined(separator: "; ")
    }
}
