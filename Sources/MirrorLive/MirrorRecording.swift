import Foundation
import Mirror
import NIOCore
import NIOPosix
import Trace

/// One recorded run of the live mirror: a secondary and a primary as two endpoints in this
/// process, talking over loopback, each recording its trace to its own file
/// (`primary.jsonl`, `secondary.jsonl`). What `plumb record mirror` and the live tests run.
package struct MirrorRecording: Sendable {
    /// The run's shape.
    package struct Options: Sendable {
        /// Client writes.
        package var records: Int
        /// Streams the log is parsed into.
        package var streams: Int
        /// Paths (TCP connections).
        package var paths: Int
        /// Fail this path after this many writes.
        package var failPath: (path: Int, afterRecords: Int)?
        /// Bring the failed path back after this many writes: the primary dials it again,
        /// authenticates it with the same handshake, and it takes streams again once it is up.
        package var restorePath: (path: Int, afterRecords: Int)?
        /// Whether the primary dials a lost path (closed by the peer or by a corrupt frame) again
        /// on its own, `redialDelay` later. A path failed by `failPath` waits for `restorePath`.
        package var redialsLostPaths = true
        /// How long the primary waits before dialing a path again, and between failed attempts.
        package var redialDelay = TimeAmount.milliseconds(100)
        /// Crash the primary after this many writes, then let the secondary take over.
        package var crashPrimaryAt: Int?
        /// The directory the trace files go to (created if missing).
        package var outputDirectory: String
        /// Payload bytes per write.
        package var payloadSize = 64
        /// Writes outstanding at most.
        package var window = 1024
        /// The shared key (a fresh random one by default).
        package var key = MirrorSharedKey.random()
        /// Where the secondary keeps its copy of the log on disk (nil: in memory only).
        package var secondaryLogPath: String?
        /// Seconds to wait for the secondary's takeover.
        package var takeoverTimeout = 30
        /// Limits what the primary writes on each path to this many bytes per second (a token
        /// bucket in the runtime, see `MirrorPrimaryNode.Configuration.pathBytesPerSecond`);
        /// nil: as fast as loopback takes them.
        package var pathBytesPerSecond: Int?
        /// Whether the controllers record their traces. False hands every event to a recorder
        /// that discards it and writes no trace file (`Summary.files` is empty): the same run
        /// without the recording's cost, for measuring that cost.
        package var recordsTraces = true
        /// Paces the client to this many writes per second (`MirrorWorkload.writesPerSecond`);
        /// nil: as fast as the window allows.
        package var writesPerSecond: Int?
        /// Whether to time every write from submission to commit (`Summary.commitLatencies`).
        package var measuresCommitLatency = false

        /// Makes options; see each property.
        package init(records: Int, streams: Int, paths: Int, outputDirectory: String) {
            self.records = records
            self.streams = streams
            self.paths = paths
            self.outputDirectory = outputDirectory
        }
    }

    /// What the run did.
    package struct Summary: Sendable {
        /// Writes submitted by the client.
        package var submitted: Int
        /// Writes committed.
        package var committed: Int
        /// Entry sends per path (first sends and resends).
        package var sentPerPath: [Int]
        /// Every time a path came back after it went down, with the entries it carried since
        /// (also counted in `sentPerPath`).
        package var comebacks: [MirrorPathComeback]
        /// Sends of an entry that had been sent before.
        package var resent: Int
        /// Entries the secondary applied.
        package var applied: Int
        /// Duplicates the secondary dropped.
        package var dropped: Int
        /// Whether the primary crashed.
        package var crashed: Bool
        /// The secondary's epoch after its takeover, if it took over.
        package var takeoverEpoch: Int?
        /// Records the secondary holds.
        package var secondaryRecords: Int
        /// Committed lsns missing from the secondary's copy of the log, or held there with
        /// another payload than the client wrote (0 unless something is wrong).
        package var lostCommits: Int
        /// Wall time of the run.
        package var elapsed: Duration
        /// Wall time of the client workload alone: from the first write submitted to the last
        /// commit (or the crash) and the traces' last lines handed to the operating system,
        /// without connecting, the takeover and shutting down.
        package var workloadElapsed: Duration
        /// CPU time (user and system, every thread of this process: both controllers, their
        /// trace writers) over the same span as `workloadElapsed`.
        package var workloadCPU: Duration
        /// The part of `workloadCPU` spent on the two event-loop threads (primary, secondary):
        /// the controllers themselves, with the packing of their trace events.
        package var workloadLoopCPU: Duration
        /// The part of `workloadCPU` the trace writer threads spent encoding and writing the
        /// traces' lines (zero untraced).
        package var workloadTraceWriterCPU: Duration
        /// From submission to commit, per committed write; empty unless the options ask for
        /// `measuresCommitLatency`.
        package var commitLatencies: [Duration]
        /// The trace files written.
        package var files: [String]
    }

    /// The options in force.
    package var options: Options

    /// Makes a run.
    package init(options: Options) { self.options = options }

    /// Runs it; `log` gets the operator's lines (path failures, refused peers, the takeover).
    package func run(log: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Summary {
        let clock = ContinuousClock()
        let start = clock.now
        try FileManager.default.createDirectory(atPath: options.outputDirectory, withIntermediateDirectories: true)
        let primaryFile = options.outputDirectory + "/primary.jsonl"
        let secondaryFile = options.outputDirectory + "/secondary.jsonl"
        let meta = [
            "records": "\(options.records)", "streams": "\(options.streams)", "paths": "\(options.paths)",
            "fail_path": options.failPath.map { "\($0.path)@\($0.afterRecords)" } ?? "-",
            "restore_path": options.restorePath.map { "\($0.path)@\($0.afterRecords)" } ?? "-",
            "crash_primary_at": options.crashPrimaryAt.map(String.init) ?? "-",
        ]
        let primaryRecorder: any ClosableRecorder, secondaryRecorder: any ClosableRecorder
        if options.recordsTraces {
            primaryRecorder = try FileRecorder(
                path: primaryFile, system: .mirror, meta: meta.merging(["node": "primary"]) { $1 }, partialUntilFinished: true)
            secondaryRecorder = try FileRecorder(
                path: secondaryFile, system: .mirror, meta: meta.merging(["node": "secondary"]) { $1 }, partialUntilFinished: true)
        } else {
            (primaryRecorder, secondaryRecorder) = (DiscardingRecorder(), DiscardingRecorder())
        }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let secondaryLoop = group.next(), primaryLoop = group.next()
        var secondaryConfiguration = MirrorSecondaryNode.Configuration(key: options.key, paths: options.paths)
        secondaryConfiguration.logPath = options.secondaryLogPath
        let secondary = MirrorSecondaryNode(
            configuration: secondaryConfiguration, loop: secondaryLoop,
            recorder: secondaryRecorder, log: log)
        var primaryConfiguration = MirrorPrimaryNode.Configuration(key: options.key, paths: options.paths, streams: options.streams)
        primaryConfiguration.pathBytesPerSecond = options.pathBytesPerSecond
        primaryConfiguration.redialsLostPaths = options.redialsLostPaths
        primaryConfiguration.redialDelay = options.redialDelay
        let primary = MirrorPrimaryNode(
            configuration: primaryConfiguration, loop: primaryLoop, recorder: primaryRecorder, log: log)

        var summary: Summary
        do {
            let address = try await secondary.start()
            try await primary.connect(to: address)
            var workload = MirrorWorkload(records: options.records)
            workload.window = options.window
            workload.payloadSize = options.payloadSize
            workload.keys = max(options.streams * 8, 1)
            workload.failPath = options.failPath
            workload.restorePath = options.restorePath
            workload.crashAfter = options.crashPrimaryAt
            workload.writesPerSecond = options.writesPerSecond
            workload.measuresCommitLatency = options.measuresCommitLatency
            let loopsStart = try await Self.threadCPUTime(on: [primaryLoop, secondaryLoop])
            let writersStart = primaryRecorder.writerCPUTime + secondaryRecorder.writerCPUTime
            let workloadStart = clock.now
            let cpuStart = Self.processCPUTime()
            let result = try await primary.run(workload)
            // The whole trace is written within the span, its last buffers too: the recording's
            // cost is counted in full.
            primaryRecorder.flush()
            secondaryRecorder.flush()
            let workloadElapsed = workloadStart.duration(to: clock.now)
            let workloadCPU = Self.processCPUTime() - cpuStart
            let workloadLoopCPU = try await Self.threadCPUTime(on: [primaryLoop, secondaryLoop]) - loopsStart
            let workloadTraceWriterCPU = primaryRecorder.writerCPUTime + secondaryRecorder.writerCPUTime - writersStart
            var epoch: Int?
            if result.crashed {
                epoch = try await secondary.waitForTakeover(seconds: options.takeoverTimeout)
            }
            await secondary.stop()
            await primary.shutdown()
            let records = await secondary.records()
            let counts = await secondary.counts()
            summary = Summary(
                submitted: result.submitted, committed: result.committed,
                sentPerPath: result.stats.sentPerPath, comebacks: result.comebacks, resent: result.stats.resent,
                applied: counts.applied, dropped: counts.dropped, crashed: result.crashed,
                takeoverEpoch: epoch, secondaryRecords: records.count,
                lostCommits: result.committedLSNs.count { lsn in
                    records[lsn]?.payload != MirrorWorkload.payload(index: lsn - 1, size: options.payloadSize)
                },
                elapsed: .zero, workloadElapsed: workloadElapsed, workloadCPU: workloadCPU,
                workloadLoopCPU: workloadLoopCPU, workloadTraceWriterCPU: workloadTraceWriterCPU,
                commitLatencies: result.commitLatencies,
                files: options.recordsTraces ? [primaryFile, secondaryFile] : [])
        } catch {
            await secondary.stop()
            await primary.shutdown()
            try? primaryRecorder.close()
            try? secondaryRecorder.close()
            try? await group.shutdownGracefully()
            throw error
        }
        try primaryRecorder.finish()
        try secondaryRecorder.finish()
        try await group.shutdownGracefully()
        summary.elapsed = start.duration(to: clock.now)
        return summary
    }
}

extension MirrorRecording {
    /// The CPU time this process used so far (user and system, all threads).
    package static func processCPUTime() -> Duration {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        func duration(_ t: timeval) -> Duration { .seconds(Int64(t.tv_sec)) + .microseconds(Int64(t.tv_usec)) }
        return duration(usage.ru_utime) + duration(usage.ru_stime)
    }

    /// The CPU time the threads of these event loops used so far, together (each read on its
    /// own loop).
    static func threadCPUTime(on loops: [EventLoop]) async throws -> Duration {
        var total = Duration.zero
        for loop in loops {
            total += try await loop.submit {
                var now = timespec()
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
                return Duration.seconds(Int64(now.tv_sec)) + .nanoseconds(Int64(now.tv_nsec))
            }.get()
        }
        return total
    }
}

/// A trace recorder the run closes at its end: `finish()` after a whole run (a file gets its
/// final name), `close()` after an error (a file keeps its `.partial` name).
protocol ClosableRecorder: TraceRecorder {
    func close() throws
    func finish() throws
    /// CPU time spent writing the trace off the recording threads so far.
    var writerCPUTime: Duration { get }
}

extension FileRecorder: ClosableRecorder {}

extension DiscardingRecorder: ClosableRecorder {
    func close() {}
    func finish() {}
    var writerCPUTime: Duration { .zero }
}
