import Driver
import Foundation
import Trace

/// The live driver's model of its data area: a `TraceRecorder` around the shared
/// `DriverContentsModel`, which says what a caller must read back after a power cut and
/// recovery, or after a shutdown and mount.
///
/// It is the recorder the driver records to: it hands every event on to `next` (the trace file)
/// and feeds it to the contents model, which keeps per request its place, epoch and fate. The
/// bytes of request `id` are `payload(seed:id:length:)`, so nothing of the data is kept; the
/// data area's initial content is zeros (a fresh image) or what `captureInitial` read.
///
/// `verify(through:label:)` (in `DriverModel+Verify.swift`) compares every byte any request
/// touched with what the driver's read path returns. Thread-safe: one lock guards the state.
package final class DriverModel: TraceRecorder, @unchecked Sendable {
    /// The state behind `lock`.
    struct State {
        /// What the data area must hold (it holds no base: the initial content is `initial`).
        var contents = DriverContentsModel()
        var counts = DriverTraceCounts()
        /// Initial bytes of the data area, sorted by offset; nil: all zero (a fresh image).
        var initial: [(offset: Int, bytes: [UInt8])]?
    }

    private let lock = Locked(())
    private var state = State()
    private let next: any TraceRecorder
    /// The seed the payloads are drawn from.
    package let seed: UInt64

    /// A model whose requests carry `payload(seed: seed, ...)`, passing events on to `next`.
    package init(seed: UInt64, forwardingTo next: any TraceRecorder) {
        self.seed = seed
        self.next = next
    }

    /// The bytes request `id` writes: a pure function of the seed, the id and the length.
    package static func payload(seed: UInt64, id: Int, length: Int) -> [UInt8] {
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
    package func payload(id: Int, length: Int) -> [UInt8] { Self.payload(seed: seed, id: id, length: length) }

    // MARK: - TraceRecorder

    /// Passes the event on, then learns from it.
    package func record(_ event: TraceEvent) {
        next.record(event)
        lock.withLock { _ in
            state.contents.observe(event)
            state.counts.count(event.kind)
        }
    }

    /// Passes the event on.
    package func record(extension event: ExtensionEvent) { next.record(extension: event) }

    /// Flushes the recorder events are passed on to.
    package func flush() { next.flush() }

    // MARK: - Queries

    /// Counts of the driver events seen so far.
    package var counts: DriverTraceCounts { lock.withLock { _ in state.counts } }

    /// Up to `count` distinct ids the driver knows in this epoch (submitted, or named by its
    /// recovery), drawn with `random`: deps the driver takes.
    package func knownIDs(_ count: Int, using random: inout SplitMix64) -> [Int] {
        lock.withLock { _ in
            let known = state.contents.knownCount
            guard known > 0 else { return [] }
            var picked: [Int] = []
            for _ in 0..<count * 2 where picked.count < count {
                let id = state.contents.knownID(at: Int(random.next() % UInt64(known)))
                if !picked.contains(id) { picked.append(id) }
            }
            return picked
        }
    }

    /// Fates of the requests of epochs that ended in a crash: recovered and lost.
    package func crashFates() -> (recovered: Int, lost: Int) {
        lock.withLock { _ in state.contents.crashFates }
    }

    /// Reads `ranges` of the data area through `driver` as the initial content (for an image
    /// that is not fresh: bytes outside them are not compared). Call before any request.
    package func captureInitial(through driver: LiveDriver, ranges: [Range<Int>], chunk: Int = 4 << 20) async throws {
        var initial: [(offset: Int, bytes: [UInt8])] = []
        for range in Self.merged(ranges) {
            var at = range.lowerBound
            while at < range.upperBound {
                let length = min(chunk, range.upperBound - at)
                initial.append((at, try await driver.read(offset: at, length: length)))
                at += length
            }
        }
        lock.withLock { _ in state.initial = initial }
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
    func snapshot() -> State { lock.withLock { _ in state } }
}

/// How many driver events of each kind a `DriverModel` saw.
package struct DriverTraceCounts: Sendable, Equatable {
    /// `submit` events.
    package var submitted = 0
    /// `complete` events.
    package var completed = 0
    /// `durable` events.
    package var durable = 0
    /// `sync_done` events.
    package var syncsDone = 0
    /// `crash` events.
    package var crashes = 0
    /// `recovered` events.
    package var recovered = 0

    /// None yet.
    package init() {}

    /// Counts one event.
    mutating func count(_ kind: EventKind) {
        switch kind {
        case .submit: submitted += 1
        case .complete: completed += 1
        case .durable: durable += 1
        case .syncDone: syncsDone += 1
        case .crash: crashes += 1
        case .recovered: recovered += 1
        default: break
        }
    }
}

