import Driver
import DriverLive
import Foundation
import Mirror
import MirrorLive
import RecoveryLive
import Trace

/// The recovery consumers that bring a controller back after it lost power: the driver's
/// journal replay, the secondary's log rebuilt at takeover, the log destaged to the device, and
/// the check that clients are served every acknowledged write.
///
/// - `driver-journal`: restarts the driver on its device; recovery replays the journal (the
///   driver's trace goes on with `crash`, `recovered` ... `online`).
/// - `mirror-log`: waits for the secondary's takeover, rebuilds its copy of the log from its log
///   file and checks every committed record is in it; tags each stream as a log and untags it
///   once that stream is checked.
/// - `destage` (deps `driver-journal`, logs `mirror-log`): writes each stream's records to the
///   device as soon as that stream is released, then syncs.
/// - `serve` (deps `destage`): every key's value on the device is the one the secondary serves.
///
/// Each action is safe to repeat (a later run after a crash of the framework does it again).
/// Thread-safe: the shared results sit behind a lock.
package final class ControllerConsumers: Sendable {
    /// What the consumers work on. `@unchecked Sendable`: the device (not thread-safe) is used
    /// by `driver-journal` alone, which hands it to the restarted driver.
    package struct Parts: @unchecked Sendable {
        /// The device the driver ran on (its volatile cache was cut by the power loss).
        package var device: VolatileCacheDevice
        /// Where the driver's trace goes on.
        package var driverRecorder: any TraceRecorder
        /// The last seq the dead driver recorded.
        package var driverLastSeq: Int
        /// The surviving secondary.
        package var secondary: MirrorSecondaryNode
        /// The secondary's log file.
        package var logPath: String
        /// What the primary acknowledged before it died.
        package var committedLSNs: [Int]
        /// Streams, keys and payload size of the mirror's workload.
        package var streams: Int
        package var keys: Int
        package var payloadSize: Int
        /// Seconds to wait for the takeover.
        package var takeoverTimeout: Int = 30

        /// Makes the parts.
        package init(
            device: VolatileCacheDevice, driverRecorder: any TraceRecorder, driverLastSeq: Int,
            secondary: MirrorSecondaryNode, logPath: String,
            committedLSNs: [Int], streams: Int, keys: Int, payloadSize: Int
        ) {
            self.device = device
            self.driverRecorder = driverRecorder
            self.driverLastSeq = driverLastSeq
            self.secondary = secondary
                self.logPath = logPath
            self.committedLSNs = committedLSNs
            self.streams = streams
            self.keys = keys
            self.payloadSize = payloadSize
        }
    }

    /// What the consumers leave for one another.
    struct Shared {
        var driver: LiveDriver?
        var log: [Int: [MirrorRecord]] = [:]
        var nextID: Int
        var destaged = 0
        var served = 0
    }

    let parts: Parts
    private let shared: Locked<Shared>

    /// Makes the consumers; driver request ids of the destage start at `firstID`.
    package init(parts: Parts, firstID: Int) {
        self.parts = parts
        shared = Locked(Shared(nextID: firstID))
    }

    /// The restarted driver, once `driver-journal` ran.
    package var driver: LiveDriver? { shared.withLock { $0.driver } }
    /// Records written to the device by `destage`, and keys checked by `serve`.
    package var counts: (destaged: Int, served: Int) { shared.withLock { ($0.destaged, $0.served) } }

    /// The consumers, in registration order.
    package var all: [RecoveryConsumer] {
        [
            RecoveryConsumer("driver-journal", timeout: .seconds(60)) { _ in try await self.replayJournal() },
            RecoveryConsumer("mirror-log", timeout: .seconds(60)) { context in try await self.rebuildLog(context) },
            RecoveryConsumer("destage", deps: ["driver-journal"], logs: ["mirror-log"], timeout: .seconds(60)) { context in
                try await self.destage(context)
            },
            RecoveryConsumer("serve", deps: ["destage", "mirror-log"], timeout: .seconds(60)) { _ in try await self.serve() },
        ]
    }

    func slot(_ key: UInt64) -> Int { Int(key) * parts.payloadSize }

    /// Restarts the driver: its recovery replays the journal.
    func replayJournal() async throws {
        if shared.withLock({ $0.driver }) != nil { return }
        let driver = try await LiveDriver.recover(
            device: parts.device, recorder: parts.driverRecorder, lastSeq: parts.driverLastSeq)
        shared.withLock { $0.driver = driver }
    }

    /// Waits for the takeover, rebuilds the log from the secondary's file, checks the commits.
    func rebuildLog(_ context: RecoveryContext) async throws {
        let streams = (0 ..< parts.streams).map { "stream-\($0)" }
        for s in streams { try? context.tag(s) }
        _ = try await parts.secondary.waitForTakeover(seconds: parts.takeoverTimeout)
        let records = try MirrorLogFile.read(path: parts.logPath)
        var byLSN: [Int: MirrorRecord] = [:]
        for r in records { byLSN[r.lsn] = r }
        for lsn in parts.committedLSNs.sorted() {
            guard byLSN[lsn]?.payload == MirrorWorkload.payload(index: lsn - 1, size: parts.payloadSize) else {
                throw ControllerError.lostCommit(lsn: lsn)
            }
        }
        var byStream: [Int: [MirrorRecord]] = [:]
        for r in records.sorted(by: { $0.lsn < $1.lsn }) { byStream[r.entry.stream, default: []].append(r) }
        shared.withLock { $0.log = byStream }
        for s in streams { context.untag(s) }
    }

    /// Writes each stream's records to the device once the stream is released, then syncs.
    func destage(_ context: RecoveryContext) async throws {
        guard let driver = shared.withLock({ $0.driver }) else { throw ControllerError.missing("the restarted driver") }
        for stream in 0 ..< parts.streams {
            try await context.process("stream-\(stream)")
            let records = shared.withLock { $0.log[stream] ?? [] }
            for r in records {
                let id = shared.withLock { s -> Int in
                    s.nextID += 1
                    return s.nextID
                }
                try await driver.write(WriteRequest(iface: stream, id: id, offset: slot(r.key), bytes: r.payload))
                shared.withLock { $0.destaged += 1 }
            }
            try await driver.sync(iface: stream)
        }
    }

    /// Checks that the device holds, for every key, what the secondary serves.
    func serve() async throws {
        guard let driver = shared.withLock({ $0.driver }) else { throw ControllerError.missing("the restarted driver") }
        var served = 0
        for key in 0 ..< UInt64(parts.keys) {
            guard let expected = await parts.secondary.value(forKey: key) else { continue }
            let got = try await driver.read(offset: slot(key), length: parts.payloadSize)
            guard got == expected else { throw ControllerError.mismatch(key: key, offset: slot(key)) }
            served += 1
        }
        shared.withLock { $0.served = served }
    }
}
