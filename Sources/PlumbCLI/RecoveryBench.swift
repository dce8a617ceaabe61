import ArgumentParser
import Foundation
import Recovery
import RecoveryLive
import Trace

/// `plumb bench recovery`: the live recovery framework's makespan against its lower bound, and
/// its overhead per consumer.
struct RecoveryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recovery",
        abstract: "Measure the live recovery framework: makespan against its lower bound, overhead per consumer.",
        discussion: """
            Runs LiveRecovery in this process (real Swift concurrency, as `plumb record \
            recovery` does) and measures two things.

            Makespan: a random graph of --consumers consumers from the round's seed (the graph \
            of `plumb record recovery`: each depends on up to three earlier ones, about one in \
            ten also runs after another or processes another's log), each suspending for \
            1...--max-ms ms, on --workers workers, nothing failing. No schedule can beat \
            max(critical path, total work / workers), the bound the worker count allows; the \
            makespan (the wall time of run(), sealing included) is reported against it (aim: \
            1.05x or less). The bound is computed twice: from the nominal durations, and from \
            each action's measured run time (its begin to its return, on the runtime's clock), \
            which also counts the timer's overshoot of Task.sleep and waits for another's log, \
            so that the second ratio shows the framework's scheduling alone.

            Overhead: --overhead-consumers no-op consumers with the same random graph shape \
            on --workers workers. The runtime stamps, on its monotonic clock (never in the \
            deterministic core), when it carries out the core's decision to start a consumer \
            (the step that records its notify and start), when the action begins in its task, \
            when it returns, and when handling that end notifies the next consumer. Reported: \
            notify to begin (handing a consumer to a worker) and end to next notify (waking the \
            worker, feeding the end to the core and dispatching the next one), each as p50 and \
            p99 over the consumers of a round, and the wall time of the run per consumer.

            Events go to a recorder that discards them, so that encoding and file I/O do not \
            dominate what is measured (the core still makes every event and the runtime stamps \
            its time); --trace DIR records every run to DIR/makespan-seedN.jsonl and \
            DIR/overhead-seedN.jsonl instead (checkable with `plumb check`), and the figures \
            then include the writing.

            A round runs one makespan graph and one overhead graph, both from seed --seed + \
            round - 1; the table shows each round and the median of the rounds. Figures are \
            measured, not asserted; build with -c release first.
            """
    )

    @Option(help: "Consumers in each makespan graph (1...\(RecordRecovery.maxConsumers)).")
    var consumers = 1_000

    @Option(help: "Workers: consumers running at once at most (1...1024).")
    var workers = 8

    @Option(name: .customLong("max-ms"), help: "Longest consumer duration in the makespan graphs, in ms (1...\(RecordRecovery.maxDuration)).")
    var maxMs = 20

    @Option(name: .customLong("overhead-consumers"), help: "No-op consumers in each overhead graph (1...\(RecordRecovery.maxConsumers)).")
    var overheadConsumers = 10_000

    @Option(help: "Rounds, each with its own seed; the median of the rounds is reported (1...\(OptionRange.maxRounds)).")
    var rounds = 5

    @Option(help: "Seed of the first round's graphs (any 64-bit unsigned number; round k, from 1, takes seed + k - 1).")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Record every run's trace to files in DIR instead of discarding the events.", valueName: "DIR"))
    var trace: String?

    /// Checks each option's range (see `OptionRange`) and that --trace can be written.
    func validate() throws {
        try OptionRange.check("--consumers", consumers, 1...RecordRecovery.maxConsumers)
        try OptionRange.check("--overhead-consumers", overheadConsumers, 1...RecordRecovery.maxConsumers)
        try OptionRange.check("--workers", workers, 1...1024)
        try OptionRange.check("--max-ms", maxMs, 1...RecordRecovery.maxDuration, "ms")
        try OptionRange.check("--rounds", rounds, 1...OptionRange.maxRounds)
        if let trace { try OutputError.validateFolder(trace) }
    }

    /// One makespan run.
    struct Makespan {
        var makespan: Duration
        var criticalPath: Duration
        var work: Duration
        var measuredCriticalPath: Duration
        var measuredWork: Duration

        /// The nominal bound: max(critical path, work / workers).
        func bound(_ workers: Int) -> Duration { max(criticalPath, work / workers) }
        /// The bound from measured run times.
        func measuredBound(_ workers: Int) -> Duration { max(measuredCriticalPath, measuredWork / workers) }
    }

    /// One overhead run.
    struct Overhead {
        var wall: Duration
        var consumers: Int
        var notifyToBegin: (p50: Duration, p99: Duration)
        var endToNextNotify: (p50: Duration, p99: Duration)
        var handoffs: Int
    }

    func run() async throws {
        if let trace { try OutputError.createFolder(trace) }
        print("recovery bench: makespan of \(consumers) consumers (1...\(maxMs) ms), overhead at \(overheadConsumers) no-op consumers; "
              + "\(workers) workers, \(ProcessInfo.processInfo.activeProcessorCount) cores; events "
              + (trace.map { "recorded to \($0)" } ?? "discarded"))
        var makespans: [Makespan] = []
        var overheads: [Overhead] = []
        for round in 1...rounds {
            let roundSeed = seed &+ UInt64(round - 1)
            let m = try await makespan(seed: roundSeed)
            let o = try await overhead(seed: roundSeed)
            makespans.append(m)
            overheads.append(o)
            print("  round \(round) seed \(roundSeed): makespan \(Self.ms(m.makespan)) / bound \(Self.ms(m.bound(workers))) = "
                  + Self.ratio(m.makespan, m.bound(workers))
                  + " (measured bound \(Self.ms(m.measuredBound(workers))) = \(Self.ratio(m.makespan, m.measuredBound(workers))))"
                  + "; overhead \(Self.us(o.wall / o.consumers))/consumer, notify→begin p50 \(Self.us(o.notifyToBegin.p50))"
                  + " p99 \(Self.us(o.notifyToBegin.p99)), end→next notify p50 \(Self.us(o.endToNextNotify.p50))"
                  + " p99 \(Self.us(o.endToNextNotify.p99))")
        }
        printTable(makespans, overheads)
    }

    /// Runs one random graph with real durations; its makespan and bounds.
    private func makespan(seed: UInt64) async throws -> Makespan {
        let workload = RecoveryWorkload.random(count: consumers, maxMs: maxMs, seed: seed)
        let (elapsed, outcome, timings) = try await walk(
            workload.recoveryConsumers(), file: "makespan-seed\(seed).jsonl", seed: seed)
        let ran = Set(outcome.succeeded + outcome.failed.map(\.consumer))
        var measured: [String: Duration] = [:]
        for t in timings { measured[t.ticket.consumer] = t.busy ?? .zero }
        return Makespan(
            makespan: elapsed,
            criticalPath: workload.criticalPath(ran: ran),
            work: workload.seriesTime(ran: ran),
            measuredCriticalPath: Self.criticalPath(workload, ran: ran, weight: measured),
            measuredWork: measured.values.reduce(.zero, +))
    }

    /// Runs no-op consumers on the random graph shape; the runtime's per-consumer latencies.
    private func overhead(seed: UInt64) async throws -> Overhead {
        let workload = RecoveryWorkload.random(count: overheadConsumers, maxMs: 1, seed: seed)
        let noOps = workload.consumers.map { c in
            RecoveryConsumer(c.name, deps: c.deps ?? [], after: c.after ?? [], logs: c.logs ?? []) { _ in }
        }
        let (elapsed, outcome, timings) = try await walk(noOps, file: "overhead-seed\(seed).jsonl", seed: seed)
        let ran = outcome.succeeded.count + outcome.failed.count
        let begins = timings.compactMap(\.notifyToBegin).sorted()
        let handoffs = timings.compactMap(\.endToNextNotify).sorted()
        return Overhead(
            wall: elapsed, consumers: max(ran, 1),
            notifyToBegin: (Self.percentile(begins, 0.50), Self.percentile(begins, 0.99)),
            endToNextNotify: (Self.percentile(handoffs, 0.50), Self.percentile(handoffs, 0.99)),
            handoffs: handoffs.count)
    }

    /// Registers `consumers` on a fresh timed runtime and runs them; the wall time of `run()`,
    /// the outcome and the runtime's timings. Every consumer must succeed.
    private func walk(
        _ consumers: [RecoveryConsumer], file: String, seed: UInt64
    ) async throws -> (Duration, RecoveryOutcome, [ConsumerTiming]) {
        var fileRecorder: FileRecorder?
        if let trace {
            fileRecorder = try FileRecorder(
                path: (trace as NSString).appendingPathComponent(file), system: .recovery,
                meta: ["consumers": "\(consumers.count)", "workers": "\(workers)", "seed": "\(seed)",
                       "generator": "plumb bench recovery"])
        }
        let recovery = LiveRecovery(workers: workers, recorder: fileRecorder ?? DiscardingRecorder(), timing: true)
        for consumer in consumers { try recovery.register(consumer) }
        let clock = ContinuousClock()
        let started = clock.now
        let report = try await recovery.run()
        let elapsed = started.duration(to: clock.now)
        try fileRecorder?.close()
        guard let outcome = report.outcome, outcome.ok, outcome.succeeded.count == consumers.count else {
            throw ValidationError("\(file): not every consumer succeeded: \(String(describing: report.outcome))")
        }
        return (elapsed, outcome, recovery.timings())
    }

    private func printTable(_ makespans: [Makespan], _ overheads: [Overhead]) {
        func median(_ values: [Duration]) -> Duration { values.sorted()[values.count / 2] }
        func medianRatio(_ values: [Double]) -> String { String(format: "%.3fx", values.sorted()[values.count / 2]) }
        let w = workers
        let rows: [(String, String)] = [
            ("makespan", Self.ms(median(makespans.map(\.makespan)))),
            ("critical path (nominal)", Self.ms(median(makespans.map(\.criticalPath)))),
            ("work / \(w) workers (nominal)", Self.ms(median(makespans.map { $0.work / w }))),
            ("makespan / nominal bound", medianRatio(makespans.map { Self.ratioValue($0.makespan, $0.bound(w)) })),
            ("critical path (measured)", Self.ms(median(makespans.map(\.measuredCriticalPath)))),
            ("work / \(w) workers (measured)", Self.ms(median(makespans.map { $0.measuredWork / w }))),
            ("makespan / measured bound", medianRatio(makespans.map { Self.ratioValue($0.makespan, $0.measuredBound(w)) })),
            ("overhead: wall / consumer", Self.us(median(overheads.map { $0.wall / $0.consumers }))),
            ("overhead: notify→begin p50", Self.us(median(overheads.map(\.notifyToBegin.p50)))),
            ("overhead: notify→begin p99", Self.us(median(overheads.map(\.notifyToBegin.p99)))),
            ("overhead: end→next notify p50", Self.us(median(overheads.map(\.endToNextNotify.p50)))),
            ("overhead: end→next notify p99", Self.us(median(overheads.map(\.endToNextNotify.p99)))),
        ]
        print("\nmedian of \(makespans.count) rounds (makespan: \(consumers) consumers, 1...\(maxMs) ms; "
              + "overhead: \(overheadConsumers) no-op consumers, \(overheads.map(\.handoffs).min() ?? 0)+ end→next hand-offs a round; \(w) workers):")
        for (name, value) in rows {
            print("  " + name.padding(toLength: 34, withPad: " ", startingAt: 0) + value.leftPadded(12))
        }
    }

    /// The longest chain of `deps` and `after` edges among `ran`, each consumer weighted by
    /// `weight` (as `RecoveryWorkload.criticalPath`, with measured times).
    static func criticalPath(_ workload: RecoveryWorkload, ran: Set<String>, weight: [String: Duration]) -> Duration {
        var finish: [String: Duration] = [:]
        var longest = Duration.zero
        // The random graphs name only earlier consumers, so registration order is topological.
        for c in workload.consumers where ran.contains(c.name) {
            let start = Set((c.deps ?? []) + (c.after ?? [])).compactMap { finish[$0] }.max() ?? .zero
            let end = start + (weight[c.name] ?? .zero)
            finish[c.name] = end
            longest = max(longest, end)
        }
        return longest
    }

    /// The `p` quantile (nearest rank) of sorted `values`; zero when empty.
    static func percentile(_ sorted: [Duration], _ p: Double) -> Duration {
        guard !sorted.isEmpty else { return .zero }
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    static func ratioValue(_ a: Duration, _ b: Duration) -> Double { a.seconds / max(b.seconds, 1e-12) }
    static func ratio(_ a: Duration, _ b: Duration) -> String { String(format: "%.3fx", ratioValue(a, b)) }
    static func ms(_ d: Duration) -> String { String(format: "%.1f ms", d.seconds * 1e3) }
    static func us(_ d: Duration) -> String { String(format: "%.1f µs", d.seconds * 1e6) }
}

private extension String {
    /// The string right-aligned in `width` columns.
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

