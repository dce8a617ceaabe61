import ArgumentParser
import Driver
import DriverLive
import Foundation
import Trace

/// `plumb record driver`: run the live driver on a file with a random workload and a power cut,
/// verify what survived, and record its trace.
struct RecordDriver: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "driver",
        abstract: "Run the byte-addressable driver on a file with concurrent writers and a power cut; record its trace.",
        discussion: """
            The device is FILE, a block device of 4 KiB blocks behind a volatile write cache held \
            in memory (so a power cut loses what a real disk cache could: every write since the \
            last flush is lost, kept, or torn at 512-byte sectors, decided by --seed). If FILE \
            does not exist it is created with --size bytes and formatted with --staging bytes of \
            staging in --region regions; otherwise the image on it is mounted (its own staging \
            applies), and a file that is not a driver image, an image of an earlier layout \
            version, or one whose superblocks, ledger or chunk map are damaged, is refused (exit \
            2) and left untouched.

            --requests writes go through --ifaces interfaces at once, one writer task each, ids \
            1...N from one counter. Sizes are mostly 512 B...8 KiB at any offset, a few up to \
            256 KiB; about 5% name 1-3 earlier requests as dependencies; each interface syncs \
            every 200 requests. The bytes of each request are a function of --seed and its id.

            --crash-at N cuts the power once request N was staged, while writes sit in the \
            cache. The 1,000 requests up to N go out without their interfaces' periodic syncs \
            and with the disk's flushes held (a flush goes ahead only while a writer waits for \
            room in staging); at the cut no flush is carried out, the driver's other device \
            operations finish (journal segments, out-of-place data, checkpoint patches), and the \
            power goes when only flushes are left, so the cache holds every write since the \
            last flush that completed. Each of them is lost, kept whole or torn at 512-byte \
            sectors (half of those of several sectors tear); nothing the driver called durable \
            is at risk. The driver records `crash`, recovers (`recovered` ... `online`) and \
            serves again. Every byte any \
            request touched is then read through the driver and compared with a model: the \
            initial content with every surviving request (one not of the crashed epoch, or \
            recovered) applied in arrival order. The workload then goes on; at its end the \
            driver shuts down, the image is mounted again and verified once more.

            The trace goes to DIR/driver.jsonl; check it with `plumb check DIR/driver.jsonl`. \
            The summary gives the requests, bytes, syncs and time, what the cut did (the writes \
            in the cache: lost, kept whole, torn), what recovery found, and the verifications. Exit 1 if a verification failed.

            Examples:
              plumb record driver --device /tmp/x.img --size 256MiB --ifaces 4 \\
                --requests 200000 --crash-at 150000 --out /tmp/d
              plumb check /tmp/d/driver.jsonl
            """
    )

    @Option(help: ArgumentHelp("The image file (created and formatted if missing).", valueName: "FILE"))
    var device: String

    /// Size of a new image.
    @Option(help: ArgumentHelp("Size of a new image (KiB, MiB, GiB suffixes): a multiple of 4KiB, at most "
            + "\(ByteCount(Self.maxSize)), with room for a journal of about twice --staging and a data area as large "
            + "(128MiB with the default --staging).", valueName: "BYTES"))
    var size = ByteCount(256 << 20)

    /// Concurrent writers.
    @Option(help: "Interfaces: concurrent writers (1...1024).")
    var ifaces = 4

    /// Writes in all.
    @Option(help: "Writes in all (1...\(OptionRange.maxCount)).")
    var requests = 200_000

    @Option(name: .customLong("crash-at"), help: ArgumentHelp("Cut the power once request N was submitted (1...--requests).", valueName: "N"))
    var crashAt: Int?

    @Option(name: .customLong("out"), help: ArgumentHelp("Directory for driver.jsonl.", valueName: "DIR"))
    var out: String

    @Option(help: "Seed of the workload and of the power cut's outcome (any 64-bit unsigned number).")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Staging memory of a new image (held in memory): 2 regions...\(ByteCount(Self.maxStaging)).", valueName: "BYTES"))
    var staging = ByteCount(16 << 20)

    /// Staging region size.
    @Option(help: ArgumentHelp("Staging region size of a new image (the largest request is a region less its header): a multiple of 4KiB, at most half of --staging.", valueName: "BYTES"))
    var region = ByteCount(1 << 20)

    /// The device's block size.
    static let blockSize = 4096
    /// The largest new image (1 TiB) and the most staging (1 GiB, held in memory).
    static let maxSize = 1 << 40, maxStaging = 1 << 30

    /// Checks each option's range (see `OptionRange`), that the output folder can be written,
    /// and for a new image that its sizes make a layout.
    func validate() throws {
        try OptionRange.check("--requests", requests, 1...OptionRange.maxCount)
        try OptionRange.check("--ifaces", ifaces, 1...1024)
        if let crashAt { try OptionRange.check("--crash-at", crashAt, 1...requests, "(the request after which the power is cut)") }
        try OptionRange.bytes("--size", size, Self.blockSize...Self.maxSize)
        try OptionRange.bytes("--staging", staging, 2 * Self.blockSize...Self.maxStaging)
        try OptionRange.bytes("--region", region, Self.blockSize...Self.maxStaging / 2)
        try OutputError.validateFolder(out)
        guard !FileManager.default.fileExists(atPath: device) else { return }
        try OutputError.validateFile(device)
        guard size.bytes > 0, size.bytes % Self.blockSize == 0 else {
            throw ValidationError("--size must be a positive multiple of \(Self.blockSize) bytes.")
        }
        guard region.bytes >= Self.blockSize, region.bytes % Self.blockSize == 0 else {
            throw ValidationError("--region must be a multiple of \(Self.blockSize) bytes, at least one block.")
        }
        guard staging.bytes % region.bytes == 0, staging.bytes / region.bytes >= 2 else {
            throw ValidationError("--staging must be a multiple of --region holding at least 2 regions.")
        }
        let config = StagingConfig(stagingBytes: staging.bytes, regionBytes: region.bytes)
        guard DeviceLayout.make(blockSize: Self.blockSize, blockCount: size.bytes / Self.blockSize, staging: config) != nil else {
            throw ValidationError("--size \(size) is too small for --staging \(staging) in --region \(region): the image needs a journal "
                + "of about twice the staging and a data area at least as large; try --size \(ByteCount(Self.minimumSize(config))).")
        }
    }

    /// The smallest image (whole MiB) that holds a layout for `config`.
    static func minimumSize(_ config: StagingConfig) -> Int {
        var mib = 1
        while DeviceLayout.make(blockSize: blockSize, blockCount: (mib << 20) / blockSize, staging: config) == nil { mib *= 2 }
        return mib << 20
    }

    func run() async throws {
        let creating = !FileManager.default.fileExists(atPath: device)
        let file: FileBlockDevice
        do {
            file = creating ? try FileBlockDevice.create(path: device, bytes: size.bytes, blockSize: Self.blockSize)
                            : try FileBlockDevice.open(path: device, blockSize: Self.blockSize)
        } catch {
            fail("\(error)")
        }
        let outExisted = FileManager.default.fileExists(atPath: out)
        try OutputError.createFolder(out)
        let tracePath = (out as NSString).appendingPathComponent("driver.jsonl")
        let recorder = try OutputError.writing(tracePath) {
            try FileRecorder(path: tracePath, system: .driver, meta: [
                "device": device, "requests": "\(requests)", "ifaces": "\(ifaces)", "seed": "\(seed)",
                "crash_at": crashAt.map(String.init) ?? "-", "generator": "plumb record driver",
            ], partialUntilFinished: true)
        }
        let cache = VolatileCacheDevice(base: file, name: device)
        let model = DriverModel(seed: seed, forwardingTo: recorder)
        let driver: LiveDriver
        var mounted: RecoverySummary?
        do {
            if creating {
                driver = try await LiveDriver.format(
                    device: cache, staging: StagingConfig(stagingBytes: staging.bytes, regionBytes: region.bytes), recorder: model)
            } else {
                (driver, mounted) = try await LiveDriver.mount(device: cache, recorder: model)
            }
        } catch {
            try? recorder.close()
            try? FileManager.default.removeItem(atPath: recorder.writingPath)
            if creating { try? FileManager.default.removeItem(atPath: device) }
            if !outExisted { rmdir(out) }  // the folder this run made, now empty again
            if case let LiveDriverError.image(_, why) = error {
                fail("\(device): cannot mount: \(why). The file was not changed.")
            }
            fail("\(error)")
        }
        var workload = DriverWorkload(requests: requests, ifaces: ifaces, crashAt: crashAt, seed: seed)
        workload.largeMax = 256 << 10
        let report: DriverWorkload.Report
        do {
            // SIGINT or SIGTERM halts the driver as a power loss would (the image stays as the
            // journal left it, what sits in the volatile cache is dropped) and the trace keeps
            // its .partial name: an interrupted recording is never taken for a whole one.
            report = try await Interrupts.shared.stopping(with: { _ = driver.halt() }) {
                try await workload.run(
                    driver: driver, device: cache, model: model, initial: creating ? .zeros : .readFromDevice)
            }
            try Interrupts.shared.checkInterrupted()
        } catch {
            try? recorder.close()
            throw error
        }
        try recorder.finish()
        printSummary(report, driver: driver, created: creating, mounted: mounted, tracePath: tracePath)
        if !report.passed { throw ExitCode(1) }
    }

    /// Prints `message` to standard error and exits 2 (bad input: the device).
    private func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("plumb record driver: \(message)\n".utf8))
        Foundation.exit(2)
    }

    private func printSummary(
        _ r: DriverWorkload.Report, driver: LiveDriver, created: Bool, mounted: RecoverySummary?, tracePath: String
    ) {
        let layout = driver.layout
        let seconds = r.elapsed.seconds
        let origin = created ? "created and formatted"
            : "mounted (\(mounted?.segments ?? 0) segments replayed, epoch \(mounted?.epoch ?? 0))"
        print("device:    \(device): \(ByteCount(layout.blockCount * layout.blockSize)) \(origin); staging \(layout.staging.regionCount) × "
              + "\(ByteCount(layout.staging.regionBytes)); data area \(ByteCount(layout.dataBytes))")
        print("requests:  \(r.requests) on \(ifaces) interfaces: \(r.staged) completed, \(r.lostInFlight) failed in flight by the power cut, "
              + "\(r.withDeps) with deps")
        print("bytes:     \(ByteCount(r.bytes)) written by callers")
        print("syncs:     \(r.syncs) finished, \(r.syncsLost) ended by the power cut")
        print(String(format: "time:      %.2f s (%.0f requests/s, %.1f MB/s), verification excluded", seconds,
                     Double(r.requests) / max(seconds, 1e-9), Double(r.bytes) / 1e6 / max(seconds, 1e-9)))
        let s = driver.statistics
        print("device io: \(s.writes) block writes (\(ByteCount(s.bytesWritten))), \(s.patches) patches (\(ByteCount(s.bytesPatched))), "
              + "\(s.flushes) flushes, \(s.reads) reads")
        if let crash = r.crash {
            print("crash:     power cut after request \(crash.afterRequest): \(crash.cut.writes) unflushed writes in the cache: "
                  + "\(crash.cut.lost) lost, \(crash.cut.durable) kept whole, \(crash.cut.torn) torn")
            let rec = crash.recovery
            print("recovery:  \(rec.segments) journal segments replayed (\(ByteCount(rec.bytesReplayed))), \(rec.recovered) requests named "
                  + "recovered (journal and ledger), scan stopped: \(rec.stop); now epoch \(rec.epoch)")
            print("           of the crashed epoch's requests: \(crash.recovered) recovered, \(crash.lost) lost")
            printVerification(crash.verification)
        } else {
            print("crash:     none (no --crash-at)")
        }
        if let remount = r.remount {
            print("remount:   after shutdown: \(remount.segments) segments to replay, \(remount.recovered) ids in the ledger")
        }
        if let final = r.finalVerification { printVerification(final) }
        print("events:    \(r.events.submitted) submit, \(r.events.completed) complete, \(r.events.durable) durable, "
              + "\(r.events.syncsDone) sync_done, \(r.events.crashes) crash, \(r.events.recovered) recovered")
        print("trace:     \(tracePath)")
        print("check:     plumb check \(tracePath)")
    }

    private func printVerification(_ v: DriverVerification) {
        let verdict = v.passed ? "pass" : "FAIL"
        print("verify:    \(v.label): \(ByteCount(v.bytesCompared)) compared over \(v.requests) requests "
              + "(\(v.survivors) surviving, \(v.lost) lost), \(v.mismatchedBytes) bytes differ: \(verdict)"
              + (v.bytesNotCompared > 0 ? " (\(ByteCount(v.bytesNotCompared)) of unknown initial content skipped)" : ""))
        for m in v.mismatches { print("           mismatch at \(m)") }
    }
}

/// A byte count read with an optional KiB, MiB or GiB (or K, M, G) suffix, printed the same way.
struct ByteCount: ExpressibleByArgument, CustomStringConvertible, Sendable {
    /// The count.
    var bytes: Int

    init(_ bytes: Int) { self.bytes = bytes }

    init?(argument: String) {
        let units: [(String, Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10), ("B", 1)]
        var text = argument.trimmingCharacters(in: .whitespaces)
        var scale = 1
        for (suffix, value) in units where text.hasSuffix(suffix) {
            text.removeLast(suffix.count)
            scale = value
            break
        }
        guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n >= 0, n <= Int.max / scale else { return nil }
        bytes = n * scale
    }

    /// `256MiB`, `1.5GiB`, `4KiB` or `123B`.
    var description: String {
        for (suffix, value) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes >= value {
            return bytes % value == 0 ? "\(bytes / value)\(suffix)" : String(format: "%.1f", Double(bytes) / Double(value)) + suffix
        }
        return "\(bytes)B"
    }
}
