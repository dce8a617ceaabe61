import Driver
import Foundation
import Trace

/// A byte model of a driver's data area: what a caller must read back after a power cut and
/// recovery, or after a shutdown and mount, learned from the driver's own trace.
///
/// It is the `TraceRecorder` the driver records to: it hands every event on to `next` (the trace
/// file) and keeps, per request id, its offset, length, arrival (the order of the `submit`
/// events) and epoch, and whether recovery named it `recovered`. A request *survives* unless its
/// epoch ended in a `crash` and the recovery after it did not name it. The bytes of request `id`
/// are `payload(seed:id:length:)`, so nothing of the data is kept.
///
/// `verify(through:)` rebuilds the expected content of every byte any request touched (the
/// initial content, then every surviving request in arrival order) and compares it with what the
/// driver's read path returns. Thread-safe: one lock guards the state.
public final class DriverModel: TraceRecorder, @unchecked Sendable {
    /// What the model keeps of one request id.
    struct Entry {
        var offset = 0
        var length = 0
        /// Its place among all submits of the trace; -1 if never submitted.
        var arrival = -1
        var epoch = 0
        var recovered = false
    }

    /// The state behind `lock`.
    struct State {
        var entries: [Entry] = []
        /// Ids in arrival order.
        var arrivals: [Int] = []
        /// The current epoch, counted from 0; epochs that ended in a crash.
        var epoch = 0
        var crashed: Set<Int> = []
        var inRecovery = false
        /// Ids the driver knows in this epoch and has completed or recovered: safe deps.
        var known: [Int] = []
        var counts = DriverTraceCounts()
        /// Initial bytes of the data area, sorted by offset; nil: all zero (a fresh image).
        var initial: [(offset: Int, bytes: [UInt8])]?
    }

    private let lock = NSLock()
    private var state = State()
    private let next: any TraceRecorder
    /// The seed the payloads are drawn from.
    public let seed: UInt64

    /// A model whose requests carry `payload(seed: seed, ...)`, passing events on to `next`.
    public init(seed: UInt64, forwardingTo next: any TraceRecorder) {
        self.seed = seed
        self.next = next
    }

    /// The bytes request `id` writes: a pure function of the seed, the id and the length.
    public static func payload(seed: UInt64, id: Int, length: Int) -> [UInt8] {
        var random = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: id) &* 0xD1B5_4A32_D192_ED03))
        return [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var i = 0
            while i + 8 <= length {
                raw.storeBytes(of: random.next(), toByteOffset: i, as: UInt64.self)
                i += 8
            }
            var last = random.next()
            while i < length {
                raw[i] = UInt8(truncatingIfNeeded: last)
                last >>= 8
                i += 1
            }
            initialized = length
        }
    }

    /// This model's payload of request `id`.
    public func payload(id: Int, length: Int) -> [UInt8] { Self.payload(seed: seed, id: id, length: length) }

    // MARK: - TraceRecorder

    /// Passes the event on, then learns from it.
    public func record(_ event: TraceEvent) {
        next.record(event)
        lock.withLock { observe(event.kind) }
    }

    /// Passes the event on.
    public func record(extension event: ExtensionEvent) { next.record(extension: event) }

    /// Flushes the recorder events are passed on to.
    public func flush() { next.flush() }

    private func observe(_ kind: EventKind) {
        switch kind {
        case let .submit(_, id, off, len, _):
            guard id >= 0 else { return }
            if id >= state.entries.count {
                state.entries.append(contentsOf: repeatElement(Entry(), count: max(id + 1 - state.entries.count, state.entries.count)))
            }
            state.entries[id] = Entry(offset: off, length: len, arrival: state.arrivals.count, epoch: state.epoch)
            state.arrivals.append(id)
            state.counts.submitted += 1
        case let .complete(id):
            state.known.append(id)
            state.counts.completed += 1
        case .durable:
            state.counts.durable += 1
        case .syncDone:
            state.counts.syncsDone += 1
        case .crash:
            state.counts.crashes += 1
            if !state.inRecovery { state.crashed.insert(state.epoch) }
            state.inRecovery = true
            state.known = []
        case let .recovered(id):
            state.counts.recovered += 1
            if id >= 0, id < state.entries.count, state.entries[id].arrival >= 0 {
                state.entries[id].recovered = true
            }
            state.known.append(id)
        case .online:
            state.epoch += 1
            state.inRecovery = false
        default:
            break
        }
    }

    // MARK: - Queries

    /// Counts of the driver events seen so far.
    public var counts: DriverTraceCounts { lock.withLock { state.counts } }

    /// Up to `count` distinct ids the driver knows in this epoch (completed or recovered), drawn
    /// with `random`: deps the driver takes.
    public func knownIDs(_ count: Int, using random: inout SplitMix64) -> [Int] {
        lock.withLock {
            guard !state.known.isEmpty else { return [] }
            var picked: [Int] = []
            for _ in 0..<count * 2 where picked.count < count {
                let id = state.known[Int(random.next() % UInt64(state.known.count))]
                if !picked.contains(id) { picked.append(id) }
            }
            return picked
        }
    }

    /// Fates of the requests of epochs that ended in a crash: recovered and lost.
    public func crashFates() -> (recovered: Int, lost: Int) {
        lock.withLock {
            var fates = (recovered: 0, lost: 0)
            for id in state.arrivals where state.crashed.contains(state.entries[id].epoch) {
                if state.entries[id].recovered { fates.recovered += 1 } else { fates.lost += 1 }
            }
            return fates
        }
    }

    /// Reads `ranges` of the data area through `driver` as the initial content (for an image
    /// that is not fresh: bytes outside them are not compared). Call before any request.
    public func captureInitial(through driver: LiveDriver, ranges: [Range<Int>], chunk: Int = 4 << 20) async throws {
        var initial: [(offset: Int, bytes: [UInt8])] = []
        for range in Self.merged(ranges) {
            var at = range.lowerBound
            while at < range.upperBound {
                let length = min(chunk, range.upperBound - at)
                initial.append((at, try await driver.read(offset: at, length: length)))
                at += length
            }
        }
        lock.withLock { state.initial = initial }
    }

    /// Sorted, disjoint, non-adjacent ranges covering `ranges`.
    static func merged(_ ranges: [Range<Int>]) -> [Range<Int>] {
        var merged: [Range<Int>] = []
        for range in ranges.filter({ !$0.isEmpty }).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound ..< max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// A copy of the state, for a verification.
    func snapshot() -> State { lock.withLock { state } }
}

/// How many driver events of each kind a `DriverModel` saw.
public struct DriverTraceCounts: Sendable, Equatable {
    /// `submit` events.
    public var submitted = 0
    /// `complete` events.
    public var completed = 0
    /// `durable` events.
    public var durable = 0
    /// `sync_done` events.
    public var syncsDone = 0
    /// `crash` events.
    public var crashes = 0
    /// `recovered` events.
    public var recovered = 0

    /// None yet.
    public init() {}
}

// MARK: - Verification

extension DriverModel {
    /// Bytes per bucket of the index that finds the requests touching a chunk.
    private static let bucketShift = 20

    /// Compares every byte any submitted request touched with what the model expects: the
    /// initial content, then each surviving request in arrival order. Reads through `driver`'s
    /// read path, `chunk` bytes at a time. Call when no request is in flight (every submitted
    /// request completed, or lost in a crash the driver has recovered from).
    ///
    /// Mismatches are reported (the first `maxReported` runs, each with its offset and the ids
    /// that wrote there), not thrown: see `DriverVerification.check()`. Throws what a read throws.
    public func verify(
        through driver: LiveDriver, label: String, chunk: Int = 4 << 20, maxReported: Int = 20
    ) async throws -> DriverVerification {
        let s = snapshot()
        func survived(_ e: Entry) -> Bool { e.arrival >= 0 && (!s.crashed.contains(e.epoch) || e.recovered) }
        var result = DriverVerification(label: label, requests: s.arrivals.count)
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(s.arrivals.count)
        for id in s.arrivals {
            let e = s.entries[id]
            ranges.append(e.offset ..< e.offset + e.length)
            if survived(e) { result.survivors += 1 } else { result.lost += 1 }
        }
        let touched = Self.merged(ranges)
        var buckets = [[Int32]](repeating: [], count: ((touched.last?.upperBound ?? 0) >> Self.bucketShift) + 1)
        for (arrival, id) in s.arrivals.enumerated() {
            let e = s.entries[id]
            for b in (e.offset >> Self.bucketShift) ... ((e.offset + e.length - 1) >> Self.bucketShift) {
                buckets[b].append(Int32(arrival))
            }
        }
        for range in touched {
            var at = range.lowerBound
            while at < range.upperBound {
                let end = min(at + max(chunk, 1), range.upperBound)
                var candidates: [Int32] = []
                for b in (at >> Self.bucketShift) ... ((end - 1) >> Self.bucketShift) { candidates += buckets[b] }
                candidates.sort()
                var writers: [Int] = []
                var last: Int32 = -1
                for a in candidates where a != last {
                    last = a
                    let e = s.entries[s.arrivals[Int(a)]]
                    if e.offset < end, e.offset + e.length > at { writers.append(s.arrivals[Int(a)]) }
                }
                var (expected, covered) = Self.initialContent(s.initial, at ..< end)
                for id in writers where survived(s.entries[id]) {
                    let e = s.entries[id]
                    let lo = max(at, e.offset), hi = min(end, e.offset + e.length)
                    let bytes = payload(id: id, length: e.length)
                    expected.replaceSubrange(lo - at ..< hi - at, with: bytes[lo - e.offset ..< hi - e.offset])
                    if covered != nil { for i in lo - at ..< hi - at { covered![i] = true } }
                }
                let actual = try await driver.read(offset: at, length: end - at)
                compare(expected, actual, covered: covered, at: at, writers: writers, s, survived, maxReported, &result)
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
        _ expected: [UInt8], _ actual: [UInt8], covered: [Bool]?, at: Int, writers: [Int], _ s: State,
        _ survived: (Entry) -> Bool, _ maxReported: Int, _ result: inout DriverVerification
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
                let involved = writers.filter { s.entries[$0].offset <= offset && offset < s.entries[$0].offset + s.entries[$0].length }
                result.mismatches.append(DriverMismatch(
                    offset: offset, length: end - i, expected: expected[i], actual: actual[i],
                    writers: involved.map { DriverMismatch.Writer(id: $0, arrival: s.entries[$0].arrival, survived: survived(s.entries[$0])) }))
            }
            i = end
        }
    }
}

/// What one verification of a `DriverModel` found.
public struct DriverVerification: Sendable, Equatable {
    /// When it ran (`after recovery`, `after shutdown and mount`, ...).
    public var label: String
    /// Requests submitted so far.
    public var requests: Int
    /// Of those, the ones that survived (their epoch did not crash, or recovery named them).
    public var survivors = 0
    /// And the ones lost in a crash.
    public var lost = 0
    /// Bytes compared: every byte some request touched.
    public var bytesCompared = 0
    /// Touched bytes whose initial content was not captured, so not compared.
    public var bytesNotCompared = 0
    /// Bytes that differ from the model.
    public var mismatchedBytes = 0
    /// The first runs of differing bytes.
    public var mismatches: [DriverMismatch] = []

    /// Makes an empty result.
    public init(label: String, requests: Int) {
        self.label = label
        self.requests = requests
    }

    /// Whether every compared byte matched.
    public var passed: Bool { mismatchedBytes == 0 }

    /// Throws the mismatches, if any.
    public func check() throws(DriverVerificationError) {
        if !passed { throw DriverVerificationError(verification: self) }
    }
}

/// A run of bytes of the data area that differ from the model.
public struct DriverMismatch: Sendable, Equatable, CustomStringConvertible {
    /// A request that wrote the first byte of the run.
    public struct Writer: Sendable, Equatable {
        /// Its id.
        public var id: Int
        /// Its place in the arrival order.
        public var arrival: Int
        /// Whether the model counts it as surviving.
        public var survived: Bool
    }

    /// Data-area offset of the first differing byte.
    public var offset: Int
    /// Differing bytes from there on.
    public var length: Int
    /// The first byte as the model expects it.
    public var expected: UInt8
    /// The first byte as the driver read it.
    public var actual: UInt8
    /// Every request that wrote the first byte, in arrival order.
    public var writers: [Writer]

    /// `offset 123 (45 bytes): expected 0x12, read 0x34; writers: 17 (survived), 40 (lost)`.
    public var description: String {
        let who = writers.isEmpty ? "none (initial content)"
            : writers.map { "\($0.id) (\($0.survived ? "survived" : "lost"))" }.joined(separator: ", ")
        return "offset \(offset) (\(length) bytes): expected 0x\(String(expected, radix: 16)), read 0x\(String(actual, radix: 16)); writers in arrival order: \(who)"
    }
}

/// The data area differs from the model: thrown by `DriverVerification.check()`.
public struct DriverVerificationError: Error, Sendable, CustomStringConvertible {
    /// The verification that failed.
    public var verification: DriverVerification

    /// Where and which ids.
    public var description: String {
        "verification \(verification.label) failed: \(verification.mismatchedBytes) of \(verification.bytesCompared) bytes differ; "
            + verification.mismatches.map(\.description).joined(separator: "; ")
    }
}
