import Driver
import DriverLive
import Foundation
import Mirror
import MirrorLive
import NIOPosix
import Recovery
import RecoveryLive
import Trace

/// A whole controller crashing and coming back: the primary controller mirrors client writes
/// to the secondary and destages them to its persistent device (the driver); then it loses
/// power, taking the driver's staging and unflushed cache with it; the recovery framework on
/// the surviving side runs `ControllerConsumers` (journal replay, log rebuilt at takeover, log
/// destaged to the device, every key served). Each system records its own trace:
/// `primary.jsonl` and `secondary.jsonl` (mirror), `driver.jsonl`, `recovery.jsonl`.
package struct ControllerRun: Sendable {
    /// What to run.
    package struct Options: Sendable {
        /// Where the traces, the device image and the secondary's log go.
        package var outputDirectory: String
        /// Client writes the primary takes before it loses power.
        package var records = 2_000
        /// Streams and paths of the mirror.
        package var streams = 4
        package var paths = 2
        /// Distinct keys (a key's device slot is `key * payloadSize`) and bytes per write.
        package var keys = 64
        package var payloadSize = 512
        /// Writes the client keeps outstanding (uncommitted) at once.
        package var window = 32
        /// Records the primary destages to the device before the crash.
        package var destaged = 1_000
        /// Size of the device image and the driver's staging: small regions, so that the
        /// destage's unsynced tail spans several journal segments, which the power failure
        /// finds in the device's cache.
        package var deviceBytes = 32 << 20
        package var staging = StagingConfig(stagingBytes: 512 << 10, regionBytes: 16 << 10)
        /// Workers of the recovery framework.
        package var workers = 4
        /// Seeds the power cut of the device's cache.
        package var seed: UInt64 = 1
        /// How likely the cut tears a cached write of several sectors.
        package var tornFraction = 0.5

        /// Makes options writing to `outputDirectory`.
        package init(outputDirectory: String) { self.outputDirectory = outputDirectory }
    }

    /// What happened.
    package struct Summary: Sendable {
        /// Writes the client submitted before the primary died.
        package var submitted: Int
        /// Writes the primary acknowledged before it died.
        package var committed: Int
        /// Their lsns, in the order the clients were acknowledged.
        package var committedLSNs: [Int]
        /// Records destaged to the device before the crash.
        package var destagedBeforeCrash: Int
        /// What the power cut did to the device's cache.
        package var cut: CutReport
        /// What the driver's recovery found.
        package var driverRecovery: RecoverySummary?
        /// The recovery framework's outcome.
        package var outcome: RecoveryOutcome?
        /// Records written to the device by `destage`, keys checked by `serve`.
        package var destagedAtRecovery: Int
        package var served: Int
        /// The trace files, one list per system: mirror, driver, recovery.
        package var traces: [[String]]
        /// Wall time of the recovery run.
        package var recoveryTime: Duration
    }

    /// The options in force.
    package var options: Options

    /// Makes a run.
    package init(options: Options) { self.options = options }

    /// The files and parts of one run.
    struct Parts {
        var files: (primary: String, secondary: String, driver: String, recovery: String)
        var recorders: [FileRecorder]
        var driverRecorder: FileRecorder
        var recoveryRecorder: FileRecorder
        var file: FileBlockDevice
        var device: VolatileCacheDevice
        var logPath: String
    }

    /// Runs it; `log` gets the operator's lines.
    package func run(log: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Summary {
        let dir = options.outputDirectory
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let files = (primary: dir + "/primary.jsonl", secondary: dir + "/secondary.jsonl",
                     driver: dir + "/driver.jsonl", recovery: dir + "/recovery.jsonl")
        let primaryRecorder = try FileRecorder(path: files.primary, system: .mirror, partialUntilFinished: true)
        let secondaryRecorder = try FileRecorder(path: files.secondary, system: .mirror, partialUntilFinished: true)
        let driverRecorder = try FileRecorder(path: files.driver, system: .driver, partialUntilFinished: true)
        let recoveryRecorder = try FileRecorder(path: files.recovery, system: .recovery, partialUntilFinished: true)
        let recorders = [primaryRecorder, secondaryRecorder, driverRecorder, recoveryRecorder]
        let imagePath = dir + "/device.img"
        try? FileManager.default.removeItem(atPath: imagePath)
        let file = try FileBlockDevice.create(path: imagePath, bytes: options.deviceBytes)
        let parts = Parts(
            files: files, recorders: recorders, driverRecorder: driverRecorder, recoveryRecorder: recoveryRecorder,
            file: file, device: VolatileCacheDevice(base: file, name: imagePath), logPath: dir + "/secondary.log")

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let key = MirrorSharedKey.random()
        var secondaryConfiguration = MirrorSecondaryNode.Configuration(key: key, paths: options.paths)
        secondaryConfiguration.logPath = parts.logPath
        let secondary = MirrorSecondaryNode(
            configuration: secondaryConfiguration, loop: group.next(), recorder: secondaryRecorder, log: log)
        let primary = MirrorPrimaryNode(
            configuration: .init(key: key, paths: options.paths, streams: options.streams),
            loop: group.next(), recorder: primaryRecorder, log: log)
        do {
            let summary = try await run(parts, secondary: secondary, primary: primary, log: log)
            await secondary.stop()
            await primary.shutdown()
            try await group.shutdownGracefully()
            for recorder in recorders { try recorder.finish() }
            file.close()
            return summary
        } catch {
            await secondary.stop()
            await primary.shutdown()
            try? await group.shutdownGracefully()
            for recorder in recorders { try? recorder.close() }
            file.close()
            throw error
        }
    }

    /// The run itself: the controller runs, loses power, and the surviving side recovers.
    func run(
        _ parts: Parts, secondary: MirrorSecondaryNode, primary: MirrorPrimaryNode,
        log: @escaping @Sendable (String) -> Void
    ) async throws -> Summary {
        // Running: clients write through the mirror; the primary destages to its device.
        let driver = try await LiveDriver.format(device: parts.device, staging: options.staging, recorder: parts.driverRecorder)
        try await primary.connect(to: try await secondary.start())
        var workload = MirrorWorkload(records: options.records)
        workload.keys = options.keys
        workload.payloadSize = options.payloadSize
        workload.crashAfter = options.records
        workload.window = options.window
        async let mirrored = primary.run(workload)
        let destaged = try await destageBeforeCrash(driver)
        let result = try await mirrored
        log("primary lost power after \(result.submitted) writes, \(result.committed) committed")

        // The controller loses power: the driver stops with the destage's last writes in its
        // cache (its flushes were held), records nothing more, and its cache is cut.
        let lastSeq = driver.halt()
        let cut = try parts.device.cut(seed: options.seed, tornFraction: options.tornFraction)
        log("device cache cut: \(cut.writes) pending writes, \(cut.lost) lost, \(cut.durable) kept, \(cut.torn) torn")

        // The surviving side recovers.
        let consumers = ControllerConsumers(parts: .init(
            device: parts.device, driverRecorder: parts.driverRecorder, driverLastSeq: lastSeq, secondary: secondary,
            logPath: parts.logPath, committedLSNs: result.committedLSNs, streams: options.streams, keys: options.keys,
            payloadSize: options.payloadSize), firstID: options.destaged)
        let recovery = LiveRecovery(workers: options.workers, recorder: parts.recoveryRecorder)
        for consumer in consumers.all { try recovery.register(consumer) }
        let clock = ContinuousClock()
        let start = clock.now
        let report = try await recovery.run()
        let recoveryTime = start.duration(to: clock.now)
        for (name, error) in report.errors { log("consumer \(name) failed: \(error)") }

        let recovered = consumers.driver
        let summary = Summary(
            submitted: result.submitted, committed: result.committed, committedLSNs: result.committedLSNs,
            destagedBeforeCrash: destaged, cut: cut,
            driverRecovery: recovered?.lastRecovery, outcome: report.outcome,
            destagedAtRecovery: consumers.counts.destaged, served: consumers.counts.served,
            traces: [[parts.files.primary, parts.files.secondary], [parts.files.driver], [parts.files.recovery]],
            recoveryTime: recoveryTime)
        try await recovered?.shutdown()
        return summary
    }

    /// The primary destages the first `destaged` writes (as the mirror logs them: write `i` has
    /// key `i % keys` and a payload derived from `i`) to the device, a sync every 100. The writes
    /// after the last sync are the ones in flight when the power fails: from the first of them
    /// on the device's flushes are held (`LiveDriver.holdFlushes`), so they are still in the
    /// volatile cache, or in staging, when the controller loses power.
    func destageBeforeCrash(_ driver: LiveDriver) async throws -> Int {
        // A sync follows every 100th write but the last 100: the tail after the last sync.
        var tail = 0
        for index in stride(from: 99, to: options.destaged, by: 100) where index + 100 < options.destaged { tail = index + 1 }
        for index in 0 ..< options.destaged {
            if index == tail { driver.holdFlushes() }
            let key = index % options.keys
            let request = WriteRequest(
                iface: key % options.streams, id: index + 1, offset: key * options.payloadSize,
                bytes: MirrorWorkload.payload(index: index, size: options.payloadSize))
            try await driver.write(request)
            if index % 100 == 99, index + 100 < options.destaged { try await driver.sync(iface: key % options.streams) }
        }
        return options.destaged
    }
}
