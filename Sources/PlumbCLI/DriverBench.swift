import ArgumentParser
import Driver
import DriverLive
import Foundation
import Trace

#if canImport(Glibc)
import Glibc
#endif

/// `plumb bench driver`: the live driver against the disk under it (plain `pwrite` and
/// `fdatasync` on the same file, and fio where installed), round after round, and its recovery
/// time against the staging size.
struct DriverBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "driver",
        abstract: "Measure the live driver against the disk itself: small writes, large writes, recovery time.",
        discussion: """
            Each benchmark runs the driver and its anchors on one file in --dir (a new directory \
            under the current one by default, so on that file system; removed after). The file \
            is written in full with zeros first, so that no run pays for allocating blocks, and \
            its pages stay cached for every run. Events go to a recorder that discards them. \
            Build with -c release first: a debug build measures Swift's checks, not the driver.

            (a) Small writes: N requests of 512 bytes at random 512-aligned offsets of the data \
            area, one writer, one sync per 1,000 requests (N = 200,000). Anchor: pwrite of the \
            same bytes at the same offsets of the same file, one fdatasync per 1,000: what the \
            file system and the disk can do for this workload at all. Figures in requests/s.

            (b) Large sequential writes: 256 MiB in 256 KiB requests, one sync at the end. \
            Anchor: pwrite of the same 256 KiB requests in order over the data area of the same \
            file, one fdatasync at the end: the disk's sequential bandwidth. Figures in MB/s \
            (10^6 bytes/s).

            The driver's time runs from its first write to the end of shutdown(), which makes \
            everything durable and checkpoints it into the data area: work it defers to the \
            background counts, not only what the last sync waited for (printed beside it). An \
            anchor's time runs from its first pwrite to the end of its last fdatasync.

            fio, where installed, runs the same two patterns on the same file (--ioengine=psync; \
            --rw=randwrite --bs=512 --fdatasync=1000; --rw=write --bs=256k --end_fsync=1; \
            --invalidate=0 so that it sees the cache as the others do): a second opinion on the \
            anchors from a tool everybody knows. Without fio the bench says so and goes on.

            (c) Recovery time: on an image written in full first (so that the mount's patches pay \
            for no block allocation, which grows with the file system's extent tree rather than \
            with the replay), the staging area is filled while no flush completes (every region \
            sealed and in the journal, none checkpointed), made durable as by a power cut that \
            keeps every write, the file's cached pages dropped, then mounted (every segment read \
            and replayed). At 4, 16 and 64 MiB of staging: each mount's time and the growth \
            from 16 to 64 MiB (4x is linear in the staging size).

            Rounds: each round runs (a), (b) and (c) once, the driver and its anchors back to \
            back on the same file, so that they see the same load of a shared machine. The \
            order turns by one each round (driver, pwrite, fio; then pwrite, fio, driver; ...; \
            (c)'s sizes up, then down), so that none always goes first. A ratio is taken within \
            a round; the report gives its median over the rounds, its spread (min-max) and the \
            absolute figures. A wide spread means a noisy machine: run more rounds.

            Reading the ratios: (a) and (b) are the driver's rate over the anchor's. The anchor \
            writes each byte once with nothing to stage, journal or checkpoint, so it is the \
            limit: 1.0x is the driver as fast as the disk lets anything be. Aims: (a) >= 0.9x, \
            (b) >= 0.8x. (c) is the 64 MiB mount's time over the 16 MiB one's; aim: <= 4.5x. \
            Each aim is marked met or not met (on the median).

            --quick: one round at small sizes (5,000 requests; 32 MiB; recovery at 512 KiB, \
            1 MiB and 4 MiB in 256 KiB regions, growth from 1 to 4 MiB), for tests. \
            --format json prints one JSON object (schema_version 1) on stdout; progress goes to \
            stderr.

            Examples:
              swift build -c release
              .build/release/plumb bench driver
              .build/release/plumb bench driver --rounds 5 --dir /mnt/nvme/bench
              .build/release/plumb bench driver --format json \\
                  | jq '.small.ratio_median, .large.ratio_median'
            """
    )

    /// Where the bench files go.
    @Option(help: "Directory for the bench files (default: a new one under the current directory, removed after).")
    var dir: String?

    /// Small sizes, one round: for tests.
    @Flag(help: "One round at small sizes: a run of a few seconds.")
    var quick = false

    /// Rounds; nil takes the default (3, or 1 with --quick).
    @Option(help: "Rounds; each ratio's median and spread over them is reported (1...\(OptionRange.maxRounds); default: 3, or 1 with --quick).")
    var rounds: Int?

    /// The staging and region size of (a)'s and (b)'s images.
    @Option(help: ArgumentHelp("Staging of the images of (a) and (b): 2 regions...\(ByteCount(RecordDriver.maxStaging)).", valueName: "BYTES"))
    var staging = ByteCount(16 << 20)

    @Option(help: ArgumentHelp("Region size of the images of (a) and (b): a multiple of 4KiB, at most half of --staging.", valueName: "BYTES"))
    var region = ByteCount(1 << 20)

    /// Text for people, or one JSON object for tools.
    @Option(help: "Report format: text (for people) or json (for tools; progress still goes to stderr).")
    var format: ExploreOptions.Format = .text

    /// Staging of at least two whole regions of whole blocks; at least one round.
    func validate() throws {
        try OptionRange.bytes("--staging", staging, 2 * 4096...RecordDriver.maxStaging)
        try OptionRange.bytes("--region", region, 4096...RecordDriver.maxStaging / 2)
        if let rounds { try OptionRange.check("--rounds", rounds, 1...OptionRange.maxRounds) }
        if let dir { try OutputError.validateFolder(dir) }
        guard region.bytes >= 4096, region.bytes % 4096 == 0, staging.bytes % region.bytes == 0,
              staging.bytes / region.bytes >= 2 else {
            throw ValidationError("--staging must hold at least 2 regions of --region, a multiple of 4096 bytes.")
        }
    }

    /// The sizes of a run: the issue's, or small ones for --quick.
    struct Sizes {
        /// (a): requests, and the data area they land in.
        var smallRequests: Int
        var smallDataBytes: Int
        /// (b): bytes written.
        var largeBytes: Int
        /// (c): staging sizes, ascending (the growth is from the second to the third), and
        /// their region size.
        var recoveryStaging: [Int]
        var recoveryRegion: Int

        /// The sizes, or --quick's.
        init(quick: Bool) {
            smallRequests = quick ? 5_000 : 200_000
            smallDataBytes = quick ? 32 << 20 : 192 << 20
            largeBytes = quick ? 32 << 20 : 256 << 20
            recoveryStaging = quick ? [512 << 10, 1 << 20, 4 << 20] : [4 << 20, 16 << 20, 64 << 20]
            recoveryRegion = quick ? 256 << 10 : 1 << 20
        }
    }

    /// Bytes per small request, requests per sync of (a), and bytes per request of (b).
    static let smallBytes = 512, smallBatch = 1_000, largeChunk = 256 << 10

    /// Prepares the two files, runs the rounds, prints the report.
    func run() async throws {
        let rounds = self.rounds ?? (quick ? 1 : 3)
        let sizes = Sizes(quick: quick)
        let fm = FileManager.default
        let directory = dir ?? fm.currentDirectoryPath + "/.plumb-bench-driver-\(getpid())"
        try OutputError.createFolder(directory)
        defer { if dir == nil { try? fm.removeItem(atPath: directory) } }
        let config = StagingConfig(stagingBytes: staging.bytes, regionBytes: region.bytes)
        let fio = Fio.find()
        var result = DriverBenchResult(
            directory: directory, cores: ProcessInfo.processInfo.activeProcessorCount, quick: quick, rounds: rounds,
            config: config, sizes: sizes, fioVersion: fio?.version)
        if format == .text { print(result.headline) }
        if fio == nil {
            let line = "fio: not installed (apt-get install fio to add it); its figures are left out"
            if format == .text { print(line) } else { Self.progress(line) }
        }

        // The two files, written in full once and shared by every round.
        let small = try Workload(
            path: directory + "/small.img", config: config, dataBytes: sizes.smallDataBytes, seed: 1)
        defer { small.remove() }
        let large = try Workload(path: directory + "/large.img", config: config, dataBytes: sizes.largeBytes, seed: 2)
        defer { large.remove() }
        try await checkLargeRequestsFit(large)

        for round in 0 ..< rounds {
            let order = Contender.order(round: round, fio: fio != nil)
            let tag = "round \(round + 1)/\(rounds)"
            var a = RoundFigures(order: order), b = RoundFigures(order: order)
            for contender in order {
                Self.progress("\(tag) (a) small writes: \(contender.rawValue)")
                switch contender {
                case .driver: a.driver = try await driverSmall(small, requests: sizes.smallRequests)
                case .pwrite: a.pwriteSeconds = try small.pwriteSmall(requests: sizes.smallRequests)
                case .fio: a.fio = try fio?.small(small, requests: sizes.smallRequests, directory: directory)
                }
            }
            for contender in order {
                Self.progress("\(tag) (b) large writes: \(contender.rawValue)")
                switch contender {
                case .driver: b.driver = try await driverLarge(large, bytes: sizes.largeBytes)
                case .pwrite: b.pwriteSeconds = try large.pwriteLarge(bytes: sizes.largeBytes)
                case .fio: b.fio = try fio?.large(large, bytes: sizes.largeBytes, directory: directory)
                }
            }
            // The sizes ascending in even rounds, descending in odd ones.
            var c: [Recovery] = []
            for staging in round % 2 == 0 ? sizes.recoveryStaging : sizes.recoveryStaging.reversed() {
                Self.progress("\(tag) (c) recovery of \(ByteCount(staging)) staging")
                c.append(try await recovery(directory, staging: staging, region: sizes.recoveryRegion))
            }
            result.small.append(a)
            result.large.append(b)
            result.recovery.append(c)
            Self.progress("\(tag) done: " + result.roundSummary(round))
        }

        switch format {
        case .text: print(result.text())
        case .json: print(try result.json())
        }
    }

    /// Writes a line to stderr, so that stdout stays the report.
    static func progress(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    // MARK: - The driver's runs

    /// Who writes in a benchmark: the driver or one of its anchors.
    enum Contender: String, Sendable {
        case driver, pwrite, fio

        /// The order of round `round`: the contenders turned by one each round, so that each goes
        /// first as often as the others.
        static func order(round: Int, fio: Bool) -> [Contender] {
            let all: [Contender] = fio ? [.driver, .pwrite, .fio] : [.driver, .pwrite]
            let k = round % all.count
            return Array(all[k...] + all[..<k])
        }
    }

    /// One run of the driver: its time to the end of shutdown, to its last sync, and its counts.
    struct DriverRun: Sendable {
        var seconds = 0.0
        var secondsToLastSync = 0.0
        var stats = LiveDriverStatistics()
    }

    /// One benchmark in one round: the driver's run and its anchors', in the order they ran.
    struct RoundFigures: Sendable {
        var order: [Contender]
        var driver = DriverRun()
        var pwriteSeconds = 0.0
        var fio: FioResult?
    }

    /// Formats a fresh image on the workload's file (untimed), then runs `body` against it: the
    /// clock starts at the first write and stops at the end of `shutdown()`. Failures name the file.
    private func timedDriver(
        _ workload: Workload, _ what: String, _ body: (LiveDriver) async throws -> Void
    ) async throws -> DriverRun {
        do {
            let file = try FileBlockDevice.open(path: workload.path)
            defer { file.close() }
            let driver = try await LiveDriver.format(device: file, staging: workload.config, recorder: DiscardingRecorder())
            let clock = ContinuousClock()
            let started = clock.now
            try await body(driver)
            let synced = clock.now
            let stats = driver.statistics
            try await driver.shutdown()
            let stopped = clock.now
            return DriverRun(seconds: started.duration(to: stopped).seconds,
                             secondsToLastSync: started.duration(to: synced).seconds, stats: stats)
        } catch {
            throw BenchIOError(message: "\(workload.path): \(what) through the driver failed: \(error)")
        }
    }

    /// (a) through the driver: the workload's random offsets, a sync per batch and at the end.
    private func driverSmall(_ workload: Workload, requests: Int) async throws -> DriverRun {
        try await timedDriver(workload, "small writes") { driver in
            let payload = [UInt8](repeating: 0xA5, count: Self.smallBytes)
            var offsets = workload.smallOffsets()
            for id in 1 ... requests {
                try await driver.write(WriteRequest(iface: 0, id: id, offset: offsets.next(), bytes: payload))
                if id % Self.smallBatch == 0 { try await driver.sync(iface: 0) }
            }
            try await driver.sync(iface: 0)
        }
    }

    /// (b) through the driver: `bytes` from offset 0 in 256 KiB requests, one sync at the end.
    private func driverLarge(_ workload: Workload, bytes: Int) async throws -> DriverRun {
        try await timedDriver(workload, "large writes") { driver in
            let payload = [UInt8](repeating: 0x5A, count: Self.largeChunk)
            for i in 0 ..< bytes / Self.largeChunk {
                try await driver.write(WriteRequest(iface: 0, id: i + 1, offset: i * Self.largeChunk, bytes: payload))
            }
            try await driver.sync(iface: 0)
        }
    }

    /// Refuses, before any round, a region too small for (b)'s 256 KiB requests.
    private func checkLargeRequestsFit(_ workload: Workload) async throws {
        let file = try FileBlockDevice.open(path: workload.path)
        defer { file.close() }
        let driver = try await LiveDriver.format(device: file, staging: workload.config, recorder: DiscardingRecorder())
        let limit = driver.maxRequestBytes()
        try await driver.shutdown()
        guard Self.largeChunk <= limit else {
            throw ValidationError("--region \(region) takes requests of at most \(limit) bytes: too small for (b)'s 256 KiB requests")
        }
    }

    // MARK: - (c) recovery time

    /// One mount of a full staging area.
    struct Recovery: Sendable {
        var staging: Int
        var requests: Int
        var seconds: Double
        var summary: RecoverySummary
    }

    /// Fills a fresh image's staging (`StagingFiller`), drops its cached pages, and times the mount.
    private func recovery(_ directory: String, staging: Int, region: Int) async throws -> Recovery {
        let config = StagingConfig(stagingBytes: staging, regionBytes: region)
        // Written in full first, as (a)'s and (b)'s files are: the mount's patches then pay for
        // no block allocation, which would grow with the file rather than with the replay.
        let image = try Workload(path: directory + "/recovery-\(staging >> 10)KiB.img", config: config, dataBytes: staging, seed: 3)
        let path = image.path
        defer { image.remove() }
        let file = try FileBlockDevice.open(path: path)
        let requests = try StagingFiller(device: file, config: config).fill()
        file.close()
        try Self.dropCachedPages(path)
        let reopened = try FileBlockDevice.open(path: path)
        defer { reopened.close() }
        let clock = ContinuousClock()
        let started = clock.now
        let (driver, summary) = try await LiveDriver.mount(device: reopened, recorder: DiscardingRecorder())
        let seconds = started.duration(to: clock.now).seconds
        try await driver.shutdown()
        return Recovery(staging: staging, requests: requests, seconds: seconds, summary: summary)
    }

    /// Asks the kernel to drop the file's cached pages (synced first), so that the mount reads
    /// from the disk as after a reboot.
    private static func dropCachedPages(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw BenchIOError(path, "open") }
        defer { close(fd) }
        guard fdatasync(fd) == 0 else { throw BenchIOError(path, "fdatasync") }
        let advice = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
        guard advice == 0 else { throw BenchIOError(path, "posix_fadvise(DONTNEED)", code: advice) }
    }

    /// The smallest image (a multiple of 16 MiB) whose data area holds `dataBytes` with `config`.
    static func imageSize(dataBytes: Int, _ config: StagingConfig) -> Int {
        var size = 16 << 20
        while (DeviceLayout.make(blockSize: 4096, blockCount: size / 4096, staging: config)?.dataBytes ?? 0) < dataBytes {
            size += 16 << 20
        }
        return size
    }
}
