import ArgumentParser
import Explorer
import Foundation
import Trace

// `plumb bench explore`: exploring around recorded driver traces (`--from`).
extension ExploreBench {
    /// The trace sizes measured, in events (about 4.7 events a request: submit, stage,
    /// complete, durable, recovered, and the syncs and crash).
    static let fromEventTargets = [200, 1_000, 5_000]

    /// `plumb explore driver --from` on traces of `plumb record driver` of about 200, 1,000 and
    /// 5,000 events (recorded here by this binary, 2 interfaces, a power cut at two thirds),
    /// and of 300 requests as the recorder makes them by default (with and without tearing),
    /// window 0, one crash off the recording, lazy crash states, one thread: crash points
    /// covered per CPU second. Each search stops after `seconds` of wall time
    /// (every crash point's continuation replays the rest of the workload, so the work grows
    /// with the square of the trace; the rate is what a budget buys).
    func fromTraces(seconds: Double) {
        emit("explore --from a recorded driver trace (window 0, 1 crash beyond the trace's, lazy, not torn unless said, one thread, "
             + "at most \(String(format: "%.0f", seconds)) s each; load \(Self.loadAverage())):")
        emit(Self.row(["events", "trace", "crash pts", "states", "executions", "CPU s", "pts/CPU s", "complete"],
                      widths: [9, 40, 11, 11, 11, 9, 11, 9]))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-bench-from-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The sizes above on a small staging area; then, but for --quick, the README's example
        // as `plumb record driver` makes it by default (16 MiB of staging, on a device of
        // 199 MB), without and with tearing.
        let runs: [(requests: Int, defaults: Bool, torn: Bool)] =
            (quick ? [200] : Self.fromEventTargets).map { (max(10, $0 * 10 / 47), false, false) }
                + (quick ? [] : [(300, true, false), (300, true, true)])
        var traces: [String: String] = [:]  // one recording for both rows of the defaults
        for run in runs {
            let requests = run.requests
            let key = "\(requests) \(run.defaults)"
            guard let trace = traces[key] ?? Self.recordDriverTrace(requests: requests, defaults: run.defaults, in: folder) else {
                emit("  could not record a driver trace of \(requests) requests (plumb record driver failed)")
                continue
            }
            traces[key] = trace
            let events = (try? RecordedTrace(files: [trace]).events.count) ?? 0
            let label = run.defaults ? "\(requests) requests, record's defaults" + (run.torn ? ", torn" : "") : "\(requests) requests"
            do {
                let recorded = try RecordedTrace(files: [trace])
                let plan = try DriverPlan(trace: recorded, crashes: 1, settings: [("torn", run.torn ? "1" : "0")])
                let tally = CrashPointTally()
                let statistics = CrashStatistics()
                let start = Recorded(plan: plan, window: 0, crashes: 1,
                                     source: RecordedSource(files: [trace], digest: RecordedTrace.digest(recorded.events)))
                let options = ExplorationOptions(budget: ExplorationBudget(time: .milliseconds(Int64(seconds * 1000))))
                let (report, cpu) = Self.measure(start.collecting(tally).collecting(statistics), options)
                // A read with too many contents got a sample of them: not every crash state.
                let sampled = statistics.summary.sampledReads
                emit(Self.row([
                    "\(events)", label, "\(tally.count)", "\(report.states)", "\(report.executions)",
                    String(format: "%.2f", cpu), String(format: "%.1f", cpu > 0 ? Double(tally.count) / cpu : 0),
                    !report.exhaustive ? "budget" : sampled > 0 ? "sampled \(sampled)" : "yes",
                ], widths: [9, 40, 11, 11, 11, 9, 11, 9]))
            } catch {
                emit("  the recorded trace cannot be explored: \(error)")
            }
        }
    }

    /// Records a driver trace of `requests` requests with this binary (`plumb record driver`,
    /// a 1 MiB image, 2 interfaces, the power cut at two thirds; with `defaults`, the
    /// recorder's own image, staging and interfaces) into `folder`; its path.
    static func recordDriverTrace(requests: Int, defaults: Bool = false, in folder: String) -> String? {
        let name = "r\(requests)" + (defaults ? "d" : "")
        let out = (folder as NSString).appendingPathComponent(name)
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let image = (folder as NSString).appendingPathComponent(name + ".img")
        let size = requests > 400 ? "4MiB" : "1MiB"
        let arguments = defaults
            ? ["record", "driver", "--device", image, "--requests", "\(requests)", "--crash-at", "\(requests * 2 / 3)", "--out", out]
            : ["record", "driver", "--device", image, "--size", size, "--staging", "32KiB", "--region", "16KiB",
               "--ifaces", "2", "--requests", "\(requests)", "--crash-at", "\(requests * 2 / 3)", "--out", out]
        guard shell([Bundle.main.executablePath ?? CommandLine.arguments[0]] + arguments, in: folder) != nil else { return nil }
        let trace = (out as NSString).appendingPathComponent("driver.jsonl")
        return FileManager.default.fileExists(atPath: trace) ? trace : nil
    }
}
