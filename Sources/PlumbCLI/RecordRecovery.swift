import ArgumentParser
import Foundation
import Recovery
import RecoveryLive
import Trace

/// `plumb record recovery`: run a recovery graph with real concurrency and record its trace.
struct RecordRecovery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recovery",
        abstract: "Run a recovery-consumer graph on a bounded number of workers and record its trace.",
        discussion: """
            Generates a random dependency graph of --consumers consumers from --seed (each depends \
            on up to three earlier ones, about one in ten also runs after another or processes \
            another's log, each takes 1...--max-ms ms), or reads one from --graph. Actions wait by \
            suspending (Task.sleep). --fail N makes N consumers throw; --timeout-one makes one \
            more ignore cancellation and hang past a --timeout-ms timeout, so that the framework \
            records its timeout and abandons it. Both choices come from --seed.

            Each consumer owns a log NAME.log: it tags it when it starts, untags it halfway, and \
            a consumer naming it in "logs" processes that log only after the untag.

            Graph file (JSON), every field but "name" optional:
              {"consumers": [
                {"name": "journal", "ms": 40},
                {"name": "replay", "deps": ["journal"], "ms": 25, "timeoutMs": 500},
                {"name": "scrub", "logs": ["journal"], "after": ["replay"], "ms": 10,
                 "fail": false, "hang": false}
              ]}
            "deps": must have succeeded first; "after": must have finished first, whatever \
            their outcome; "logs": per-log dependencies; "ms": how long the action suspends \
            (default 10); "timeoutMs": the consumer's timeout; "fail": throw at the end; \
            "hang": ignore cancellation and run far past "timeoutMs". Unknown names and cycles \
            are rejected (recorded as reject) when recovery begins.

            The trace goes to DIR/recovery.jsonl; check it with `plumb check DIR/recovery.jsonl`. \
            The summary gives the recovery time against the graph's critical path (over the \
            consumers that ran), against the bound the worker count allows, and against \
            running everything in series.

            Examples:
              plumb record recovery --consumers 200 --workers 8 --fail 3 --timeout-one \\
                  --out /tmp/rec
              echo '{"consumers": [{"name": "journal"},' \\
                   '{"name": "replay", "deps": ["journal"]}]}' > /tmp/graph.json
              plumb record recovery --graph /tmp/graph.json --workers 4 --out /tmp/rec2
            """
    )

    /// Consumers of the random graph.
    @Option(help: "Consumers in the random graph, 1...\(Self.maxConsumers) (ignored with --graph).")
    var consumers = 200

    /// Workers.
    @Option(help: "Workers: consumers running at once at most (1...1024).")
    var workers = 8

    /// Consumers made to fail.
    @Option(help: "Consumers made to fail (0...--consumers).")
    var fail = 0

    @Flag(name: .customLong("timeout-one"), help: "Make one consumer hang until its timeout.")
    var timeoutOne = false

    /// The hanging consumer's timeout.
    @Option(name: .customLong("timeout-ms"), help: "The hanging consumer's timeout, in ms (1...\(OptionRange.maxMilliseconds)).")
    var timeoutMs = 100

    /// Longest consumer duration.
    @Option(name: .customLong("max-ms"), help: "Longest consumer duration in the random graph, in ms (1...\(Self.maxDuration)).")
    var maxMs = 20

    /// Seed.
    @Option(help: "Seed of the random graph and of the failure choices (any 64-bit unsigned number).")
    var seed: UInt64 = 1

    /// The most consumers of a random graph, and the longest duration of one, in ms.
    static let maxConsumers = 1_000_000, maxDuration = 60_000

    @Option(help: ArgumentHelp("Read the graph from a JSON file (format above).", valueName: "FILE"))
    var graph: String?

    @Option(name: .customLong("out"), help: ArgumentHelp("Directory for recovery.jsonl.", valueName: "DIR"))
    var out: String

    /// Checks each option's range (see `OptionRange`), the graph file and the output folder.
    func validate() throws {
        if graph == nil { try OptionRange.check("--consumers", consumers, 1...Self.maxConsumers) }
        try OptionRange.check("--workers", workers, 1...1024)
        try OptionRange.check("--fail", fail, 0...Self.maxConsumers)
        try OptionRange.check("--timeout-ms", timeoutMs, 1...OptionRange.maxMilliseconds, "ms")
        try OptionRange.check("--max-ms", maxMs, 1...Self.maxDuration, "ms")
        try OutputError.validateFolder(out)
        if graph == nil, fail + (timeoutOne ? 1 : 0) > consumers {
            throw ValidationError("--fail \(fail)\(timeoutOne ? " and --timeout-one" : "") need\(timeoutOne ? "" : "s") at least "
                                  + "\(fail + (timeoutOne ? 1 : 0)) consumers (each fails or hangs once); --consumers is \(consumers).")
        }
        if let graph, !FileManager.default.isReadableFile(atPath: graph) {
            throw ValidationError("--graph \(graph): no readable file there.")
        }
    }

    func run() async throws {
        var workload = try loadWorkload()
        let failingBefore = workload.consumers.filter { $0.fail == true }.count
        workload.inject(failures: fail, hang: timeoutOne, timeoutMs: timeoutMs, seed: seed)
        // No failing consumer may be another's ancestor, so a graph may take fewer: say so.
        let failed = workload.consumers.filter { $0.fail == true }.count - failingBefore
        if failed < fail {
            FileHandle.standardError.write(Data(("plumb record recovery: --fail \(fail): only \(failed) consumer"
                + "\(failed == 1 ? "" : "s") of this graph can fail (none may be the ancestor of another)\n").utf8))
        }
        try OutputError.createFolder(out)
        let path = (out as NSString).appendingPathComponent("recovery.jsonl")
        let recorder = try OutputError.writing(path) {
            try FileRecorder(path: path, system: .recovery, meta: [
                "consumers": "\(workload.consumers.count)", "workers": "\(workers)", "seed": "\(seed)",
            ], partialUntilFinished: true)
        }
        let recovery = LiveRecovery(workers: workers, recorder: recorder)
        // Refused at registration: said now, and not again from the outcome below.
        var said: Set<String> = []
        for consumer in workload.recoveryConsumers() {
            do {
                try recovery.register(consumer)
            } catch {
                print("rejected:      \(error)")
                said.insert("\(error)")
            }
        }
        let clock = ContinuousClock()
        let started = clock.now
        // A signal ends the run at once (the framework does not stop early): what the
        // recorder buffered goes to recovery.jsonl.partial first.
        let report = try await Interrupts.shared.closing(with: { try? recorder.close() }) {
            try await recovery.run()
        }
        let elapsed = started.duration(to: clock.now)
        try recorder.finish()
        guard let outcome = report.outcome else { throw ExitCode(1) }
        for rejection in outcome.rejected where !said.contains("\(rejection)") { print("rejected:      \(rejection)") }
        printSummary(workload, outcome, elapsed: elapsed, path: path)
    }

    private func loadWorkload() throws -> RecoveryWorkload {
        guard let graph else { return .random(count: consumers, maxMs: maxMs, seed: seed) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: graph))
        } catch {
            throw ValidationError("--graph \(graph): cannot read it: \(error.localizedDescription)")
        }
        do {
            return try RecoveryWorkload.decode(data)
        } catch {
            let place = error.line.map { "\(graph):\($0)" } ?? graph
            throw ValidationError("--graph \(place): not a graph file (format in --help): \(error.message)")
        }
    }

    private func printSummary(_ workload: RecoveryWorkload, _ outcome: RecoveryOutcome, elapsed: Duration, path: String) {
        let ran = Set(outcome.succeeded + outcome.failed.map(\.consumer))
        let critical = workload.criticalPath(ran: ran)
        let series = workload.seriesTime(ran: ran)
        let bound = max(critical, series / workers)
        let timedOut = outcome.failed.filter { $0.reason == "timeout" }.count
        func ms(_ d: Duration) -> String { String(format: "%8.1f ms", d.milliseconds) }
        func ratio(_ d: Duration) -> String {
            Ratio.times(elapsed.milliseconds, over: d.milliseconds, tiny: 1e-3)
        }
        for failure in outcome.failed {
            print(failure.reason == "timeout" ? "timed out:     \(failure.consumer)" : "failed:        \(failure.consumer): \(failure.reason)")
        }
        print("""
            consumers:     \(workload.consumers.count) on \(workers) workers: \(outcome.succeeded.count) succeeded, \
            \(outcome.failed.count - timedOut) failed, \(timedOut) timed out, \(outcome.skipped.count) skipped, \
            \(outcome.rejected.count) rejected
            recovery time: \(ms(elapsed))
            critical path: \(ms(critical))  (recovery took \(ratio(critical)))
            worker bound:  \(ms(bound))  (max of critical path and work / \(workers) workers; \(ratio(bound)))
            in series:     \(ms(series))  (\(ratio(series)))
            trace:         \(path)
            """)
    }

}
