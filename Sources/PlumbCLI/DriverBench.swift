import ArgumentParser
import Driver
import DriverLive
import Foundation
import Trace

#if canImport(Glibc)
import Glibc
#endif

/// `plumb bench driver`: the live driver against the file system's own primitives, and its
/// recovery time against the staging size.
struct DriverBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "driver",
        abstract: "Measure the live driver: small writes, large sequential writes, recovery time.",
        discussion: """
            Three benchmarks on files in --dir (a new directory under the current one by \
            default, so on the file system the current directory is on; removed after), one \
            run each, printed as a table with the ratios measured in this run. Events go to a \
            recorder that discards them. Build with -c release first.

            (a) Small writes: 512-byte writes at random 512-aligned offsets through the driver \
            on a file (no volatile cache: fdatasync is the real flush), one writer, one sync \
            per 1,000 requests; against the same kind of writes done as pwrite + fdatasync each \
            on the same file (fewer of them, so that it ends in seconds). Per-request rates and \
            their ratio (aim: 20x).

            (b) Large sequential writes: 256 KiB requests, 256 MiB in all, through the driver, \
            one sync at the end; against `dd if=/dev/zero of=FILE bs=1M count=256 \
            conv=fdatasync` on the same file system. Bandwidths and their ratio (aim: 0.8x). \
            The driver writes every byte twice (journal, then data area) and flushes twice per \
            segment: where the disk's bandwidth is the bottleneck it tends to 0.5x.

            (c) Recovery time: the staging area is filled with requests of a 16th of a region while no flush \
            completes, so every region is sealed and written to the journal, never checkpointed; \
            then everything written is made durable (as a power cut that keeps every write), the \
            file's cached pages are dropped, and a mount recovers it (reads and replays every \
            segment, flushes, writes the superblock). At 4, 16 and 64 MiB of staging: the \
            mount's time and its growth from one size to the next.

            --quick runs each at a small size (for tests).
            """
    )

    @Option(help: "Directory for the bench files (default: a new one under the current directory, removed after).")
    var dir: String?

    @Flag(help: "Small sizes: a run of a few seconds.")
    var quick = false

    @Option(help: ArgumentHelp("Staging of the images of (a) and (b).", valueName: "BYTES"))
    var staging = ByteCount(16 << 20)

    @Option(help: ArgumentHelp("Region size of the images of (a) and (b).", valueName: "BYTES"))
    var region = ByteCount(1 << 20)

    func validate() throws {
        guard region.bytes >= 4096, region.bytes % 4096 == 0, staging.bytes % region.bytes == 0,
              staging.bytes / region.bytes >= 2 else {
            throw ValidationError("--staging must hold at least 2 regions of --region, a multiple of 4096 bytes.")
        }
    }

    func run() async throws {
        let fm = FileManager.default
        let directory = dir ?? fm.currentDirectoryPath + "/.plumb-bench-driver-\(getpid())"
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { if dir == nil { try? fm.removeItem(atPath: directory) } }
        let config = StagingConfig(stagingBytes: staging.bytes, regionBytes: region.bytes)
        print("driver bench in \(directory), \(ProcessInfo.processInfo.activeProcessorCount) cores, staging \(staging) in \(region) regions"
              + (quick ? " (quick)" : ""))

        let small = try await smallWrites(directory, config, requests: quick ? 5_000 : 200_000, baseline: quick ? 200 : 2_000)
        let large = try await largeWrites(directory, config, total: quick ? 32 << 20 : 256 << 20)
        var recoveries: [Recovery] = []
        for mib in quick ? [1, 2, 4] : [4, 16, 64] {
            recoveries.append(try await recovery(directory, staging: mib << 20, region: quick ? 256 << 10 : 1 << 20))
        }
        printTable(small, large, recoveries)
    }

    // MARK: - (a) small writes

    struct Small {
        var requests: Int
        var seconds: Double
        var stats: LiveDriverStatistics
        var baselineRequests: Int
        var baselineSeconds: Double
        var rate: Double { Double(requests) / seconds }
        var baselineRate: Double { Double(baselineRequests) / baselineSeconds }
    }

    private func smallWrites(_ directory: String, _ config: StagingConfig, requests: Int, baseline: Int) async throws -> Small {
        let path = directory + "/small.img"
        let fileBytes = Self.imageSize(dataBytes: quick ? 32 << 20 : 192 << 20, config)
        let file = try FileBlockDevice.create(path: path, bytes: fileBytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let driver = try await LiveDriver.format(device: file, staging: config, recorder: DiscardingRecorder())
        let slots = driver.layout.dataBytes / 512
        let payload = [UInt8](repeating: 0xA5, count: 512)
        var random = SplitMix64(seed: 1)
        let clock = ContinuousClock()
        let started = clock.now
        for id in 1 ... requests {
            let offset = Int(random.next() % UInt64(slots)) * 512
            try await driver.write(WriteRequest(iface: 0, id: id, offset: offset, bytes: payload))
            if id % 1_000 == 0 { try await driver.sync(iface: 0) }
        }
        try await driver.sync(iface: 0)
        let seconds = Self.seconds(started.duration(to: clock.now))
        let stats = driver.statistics
        try await driver.shutdown()
        file.close()

        // The baseline: the same file, pwrite + fdatasync per request.
        let fd = open(path, O_RDWR)
        guard fd >= 0 else { throw ValidationError("\(path): open failed: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let fileSlots = UInt64(fileBytes / 512)
        let baseStart = clock.now
        for _ in 0 ..< baseline {
            let offset = off_t(random.next() % fileSlots) * 512
            let written = payload.withUnsafeBytes { pwrite(fd, $0.baseAddress, 512, offset) }
            guard written == 512, fdatasync(fd) == 0 else {
                throw ValidationError("\(path): pwrite/fdatasync failed: \(String(cString: strerror(errno)))")
            }
        }
        let baseSeconds = Self.seconds(baseStart.duration(to: clock.now))
        return Small(requests: requests, seconds: seconds, stats: stats, baselineRequests: baseline, baselineSeconds: baseSeconds)
    }

    // MARK: - (b) large sequential writes

    struct Large {
        var bytes: Int
        var seconds: Double
        var stats: LiveDriverStatistics
        var ddSeconds: Double
        var bandwidth: Double { Double(bytes) / seconds }
        var ddBandwidth: Double { Double(bytes) / ddSeconds }
    }

    private func largeWrites(_ directory: String, _ config: StagingConfig, total: Int) async throws -> Large {
        let path = directory + "/large.img"
        let chunk = 256 << 10
        let file = try FileBlockDevice.create(path: path, bytes: Self.imageSize(dataBytes: total, config))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let driver = try await LiveDriver.format(device: file, staging: config, recorder: DiscardingRecorder())
        guard chunk <= driver.maxRequestBytes() else {
            throw ValidationError("--region \(region) is too small for 256 KiB requests")
        }
        let payload = [UInt8](repeating: 0x5A, count: chunk)
        let clock = ContinuousClock()
        let started = clock.now
        for i in 0 ..< total / chunk {
            try await driver.write(WriteRequest(iface: 0, id: i + 1, offset: i * chunk, bytes: payload))
        }
        try await driver.sync(iface: 0)
        let seconds = Self.seconds(started.duration(to: clock.now))
        let stats = driver.statistics
        try await driver.shutdown()
        file.close()

        let ddPath = directory + "/dd.img"
        defer { try? FileManager.default.removeItem(atPath: ddPath) }
        let dd = Process()
        dd.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        dd.arguments = ["dd", "if=/dev/zero", "of=\(ddPath)", "bs=1M", "count=\(total >> 20)", "conv=fdatasync"]
        dd.standardError = FileHandle.nullDevice
        dd.standardOutput = FileHandle.nullDevice
        let ddStart = clock.now
        try dd.run()
        dd.waitUntilExit()
        let ddSeconds = Self.seconds(ddStart.duration(to: clock.now))
        guard dd.terminationStatus == 0 else { throw ValidationError("dd exited \(dd.terminationStatus)") }
        return Large(bytes: total, seconds: seconds, stats: stats, ddSeconds: ddSeconds)
    }

    // MARK: - (c) recovery time

    struct Recovery {
        var staging: Int
        var requests: Int
        var seconds: Double
        var summary: RecoverySummary
    }

    private func recovery(_ directory: String, staging: Int, region: Int) async throws -> Recovery {
        let config = StagingConfig(stagingBytes: staging, regionBytes: region)
        let path = directory + "/recovery-\(staging >> 20).img"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try FileBlockDevice.create(path: path, bytes: Self.imageSize(dataBytes: staging, config))
        let requests = try StagingFiller(device: file, config: config).fill()
        file.close()
        Self.dropCachedPages(path)
        let reopened = try FileBlockDevice.open(path: path)
        let clock = ContinuousClock()
        let started = clock.now
        let (driver, summary) = try await LiveDriver.mount(device: reopened, recorder: DiscardingRecorder())
        let seconds = Self.seconds(started.duration(to: clock.now))
        try await driver.shutdown()
        reopened.close()
        return Recovery(staging: staging, requests: requests, seconds: seconds, summary: summary)
    }

    /// Asks the kernel to drop the file's cached pages (it was synced), so the mount reads from
    /// the disk as after a reboot.
    private static func dropCachedPages(_ path: String) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return }
        _ = fdatasync(fd)
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
        close(fd)
    }

    // MARK: - Report

    private func printTable(_ a: Small, _ b: Large, _ c: [Recovery]) {
        func rate(_ r: Double) -> String { String(format: "%.0f req/s", r) }
        func mbps(_ r: Double) -> String { String(format: "%.1f MB/s", r / 1e6) }
        func ratio(_ x: Double) -> String { String(format: "%.2fx", x) }
        let rows: [[String]] = [
            ["benchmark", "driver", "baseline", "ratio", "aim"],
            ["(a) \(a.requests) × 512 B random, sync/1000", rate(a.rate),
             rate(a.baselineRate) + " (\(a.baselineRequests) × pwrite+fdatasync)", ratio(a.rate / a.baselineRate), "20x"],
            ["(b) \(ByteCount(b.bytes)) in 256 KiB requests", mbps(b.bandwidth), mbps(b.ddBandwidth) + " (dd conv=fdatasync)",
             ratio(b.bandwidth / b.ddBandwidth), "0.8x"],
        ] + c.enumerated().map { i, r in
            let growth = i == 0 ? "-" : ratio(r.seconds / c[i - 1].seconds) + " of \(ByteCount(c[i - 1].staging))"
            return ["(c) recover full \(ByteCount(r.staging)) staging", String(format: "%.1f ms", r.seconds * 1e3),
                    "\(r.summary.segments) segments, \(ByteCount(r.summary.bytesReplayed))", growth, "linear"]
        }
        let widths = (0 ..< 5).map { col in rows.map { $0[col].count }.max() ?? 0 }
        print("")
        for row in rows {
            print(row.enumerated().map { col, cell in
                col == 0 ? cell.padding(toLength: widths[col], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[col] - cell.count) + cell
            }.joined(separator: "  "))
        }
        print("")
        print(String(format: "(a) driver: %.2f s; %d flushes (%.0f requests per flush), %d patches", a.seconds, a.stats.flushes,
                     Double(a.requests) / Double(max(a.stats.flushes, 1)), a.stats.patches)
              + "; journal \(ByteCount(a.stats.bytesWritten)) + data area \(ByteCount(a.stats.bytesPatched))"
              + String(format: "; baseline %.2f s", a.baselineSeconds))
        print(String(format: "(b) driver: %.2f s; %d flushes, %d journal writes; dd: %.2f s", b.seconds, b.stats.flushes, b.stats.writes, b.ddSeconds)
              + "; journal \(ByteCount(b.stats.bytesWritten)) + data area \(ByteCount(b.stats.bytesPatched))")
        for r in c {
            print("(c) \(ByteCount(r.staging)): filled with \(r.requests) requests; recovered \(r.summary.recovered) requests "
                  + "from \(r.summary.segments) segments in " + String(format: "%.1f ms", r.seconds * 1e3) + " (stop: \(r.summary.stop))")
        }
    }

    /// The smallest image (a multiple of 16 MiB) whose data area holds `dataBytes` with `config`.
    static func imageSize(dataBytes: Int, _ config: StagingConfig) -> Int {
        var size = 16 << 20
        while (DeviceLayout.make(blockSize: 4096, blockCount: size / 4096, staging: config)?.dataBytes ?? 0) < dataBytes {
            size += 16 << 20
        }
        return size
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
