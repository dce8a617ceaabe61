import ArgumentParser
import Controller
import Foundation

/// `plumb record controller`: a whole controller loses power and the recovery framework brings
/// it back with the driver's and the mirror's consumers.
struct RecordController: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "controller",
        abstract: "Crash a whole controller (mirror and driver) and recover it with the recovery framework.",
        discussion: """
            In this process: a primary mirrors RECORDS client writes to a secondary over \
            authenticated TCP paths and destages the first --destaged of them to its persistent \
            device (the driver, on DIR/device.img under a volatile write cache); the writes after \
            its last sync go out with the device's flushes held, so they are still in the cache. \
            Then the primary controller loses power: the mirror's primary crashes and the driver \
            dies with it (its staging is gone; each unflushed cached write is lost, kept or torn, \
            half of those of several sectors torn, decided by --seed). The \
            recovery framework then runs four consumers on the surviving side:

              driver-journal  restarts the driver: recovery replays its journal
              mirror-log      waits for the secondary's takeover, rebuilds its log
                              from its log file and checks every committed write
                              is in it; tags each stream as a log and untags it
                              once checked
              destage         (deps driver-journal, logs mirror-log) writes each
                              stream's records to the device as soon as that
                              stream is released, then syncs
              serve           (deps destage) checks every key's value on the
                              device is the one the secondary serves

            Each system records its own trace: DIR/primary.jsonl and DIR/secondary.jsonl (mirror), \
            DIR/driver.jsonl, DIR/recovery.jsonl. Check each with `plumb check`.
            """)

    /// Client writes.
    @Option(help: "Client writes before the primary loses power (1...\(Self.maxRecords)).") var records = 2_000
    /// Writes destaged.
    @Option(help: "Writes the primary destages to its device before the crash (0...--records).") var destaged = 1_000
    /// Seed of the power cut.
    @Option(help: "Seed of the power cut of the device's cache (any 64-bit unsigned number).") var seed: UInt64 = 1
    /// The most client writes taken (each is mirrored and may be destaged, in this process).
    static let maxRecords = 10_000_000
    @Option(help: "Directory for the traces, the device image and the secondary's log.") var out: String

    /// Checks the options' ranges (see `OptionRange`) and that the output folder can be written.
    func validate() throws {
        try OptionRange.check("--records", records, 1...Self.maxRecords)
        try OptionRange.check("--destaged", destaged, 0...records, "(at most --records)")
        try OutputError.validateFolder(out)
        // A folder already there may hold a folder where an output goes.
        if FileManager.default.fileExists(atPath: out) {
            for name in ["primary.jsonl", "secondary.jsonl", "driver.jsonl", "recovery.jsonl", "device.img", "secondary.log"] {
                try OutputError.validateFile(out + "/" + name)
            }
        }
    }

    func run() async throws {
        var options = ControllerRun.Options(outputDirectory: out)
        options.records = records
        options.destaged = destaged
        options.seed = seed
        let summary = try await OutputError.recording(into: out) {
            try await ControllerRun(options: options).run { line in print("  \(line)") }
        }
        print("mirror:    \(summary.committed) writes committed before the primary lost power")
        print("driver:    \(summary.destagedBeforeCrash) writes destaged before; cache cut: \(summary.cut.writes) pending, "
              + "\(summary.cut.lost) lost, \(summary.cut.durable) kept, \(summary.cut.torn) torn")
        if let r = summary.driverRecovery {
            print("journal:   \(r.segments) segments replayed, \(r.recovered) requests recovered (scan stopped: \(r.stop))")
        }
        if let outcome = summary.outcome {
            print("recovery:  \(outcome.succeeded.count) succeeded, \(outcome.failed.count) failed, "
                  + "\(outcome.skipped.count) skipped in \(String(format: "%.1f", summary.recoveryTime.seconds * 1000)) ms")
            for failure in outcome.failed { print("  failed: \(failure.consumer): \(failure.reason)") }
        } else {
            print("recovery:  did not finish")
        }
        print("serve:     \(summary.destagedAtRecovery) records destaged at recovery, \(summary.served) keys served from the device")
        for files in summary.traces { print("check:     plumb check \(files.joined(separator: " "))") }
        if summary.outcome?.ok != true { throw ExitCode(1) }
    }
}
