import ArgumentParser
import Driver
import Explorer
import Foundation

/// `plumb explore`: search every schedule of a system's core within bounds.
struct Explore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explore",
        abstract: "Explore every schedule, crash point and crash outcome of a system within bounds.",
        discussion: """
            Drives the system's real core through a simulated runtime in which the explorer makes \
            every choice: which path delivers next, which I/O completes, where power fails, which \
            cached writes survive a power cut (and which sectors of them), which consumer \
            finishes first. Each execution's trace is checked with the same specifications as \
            `plumb check`. Exhaustive search uses state caching and partial-order reduction \
            (sleep sets; the driver's only with --no-cache, since it tries pairs of steps both \
            ways and that costs more than caching leaves to prune); random and pct search walk \
            seeded schedules within a budget.

            A violation writes the execution's trace to --out as INVARIANT-N.jsonl, with the \
            first N not taken (a later run never overwrites it; `plumb check` rejects the trace \
            with the same invariant), shrunk to a short schedule, and prints a replay token: \
            `plumb replay TOKEN` re-runs it exactly. With --keep-going, counterexamples with \
            the same invariant and shrunk schedule are reported once, with how many were found.

            --from TRACE... explores around a captured trace (files, directories, rotated and gzip \
            files forming one trace, as for `plumb check`) instead of a generated workload: the \
            driver replays the trace's submits, syncs and crashes through its real core and tries \
            power loss at every step (each fate of the cached writes, decided lazily); the mirror \
            replays the trace's records, streams, barriers and path failures, with other delivery \
            orders, path failures and a primary crash; recovery \
            walks the trace's graph with its outcomes in every order, the framework crashing at \
            every step. --window N lets each execution stray from the recorded schedule in at most \
            N choices (another I/O completing first, another interface's submit, another outcome); \
            --window 0 replays the trace exactly, exploring only crash points and crash states. \
            The report says how many crash points were covered. Counterexample tokens name the \
            trace's files (absolute) and a digest of its events: `plumb replay` reads them again \
            (--from there if the trace moved). A trace the explorer cannot use exits 2 with file, \
            line and reason.

            Off a terminal, a progress line (states, executions, depth, rate) goes to standard \
            error every 10 s; on one, a line is rewritten in place.

            Exit codes: 0 no violation (a search that is not exhaustive, cut short by its bounds or \
            with sampled crash states, says exhaustive: false and why), \
            1 violation, 2 bad input. Stopped by SIGINT or SIGTERM, it prints what it covered \
            (states, executions, depth, violations found so far) on standard error and exits \
            130 (143 for SIGTERM), with no verdict.

            Examples:
              plumb explore mirror --streams 2 --paths 2 --records 3 --crashes 1
              plumb explore driver --ifaces 2 --requests 4 --crashes 1 --torn
              plumb explore driver --ifaces 1 --requests 12 --crashes 1 --torn \\
                  --crash-states lazy
              plumb explore recovery --consumers 5 --workers 2 --failures 1
              plumb record driver --requests 300 --crash-at 200 --device /tmp/d.img \\
                  --out /tmp/d
              # around that trace:
              plumb explore driver --from /tmp/d/driver.jsonl --window 1
              plumb record mirror --records 300 --out /tmp/m
              plumb explore mirror --from /tmp/m --window 1 --crashes 1
              plumb record recovery --consumers 10 --out /tmp/r
              # with a seeded bug:
              plumb explore recovery --from /tmp/r --inject-fault releaseDependentsAtStart
              plumb explore mirror --records 6 --strategy pct --executions 20000
              plumb explore driver --requests 6 --shard 3/8 --format json
              plumb explore selftest          # every seeded bug found, shrunk and replayed
              # a Kubernetes Indexed Job, then one verdict from the shards' reports:
              plumb explore mirror --shard auto --shards 8 --format json \\
                  > shard-$JOB_COMPLETION_INDEX.json
              plumb explore merge shard-*.json
            """,
        subcommands: [ExploreMirror.self, ExploreDriver.self, ExploreRecovery.self, ExploreSelftest.self, ExploreMerge.self]
    )
}

/// `plumb explore mirror`.
struct ExploreMirror: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror",
        abstract: "Explore the mirror: deliveries on every path in any order, path failures and returns, crashes.")

    /// Streams of the log.
    @Option(help: "Streams the log is parsed into (1...64; default 2).") var streams: Int?
    /// Interconnect paths.
    @Option(help: "Interconnect paths (1...64; default 2).") var paths: Int?
    /// Client writes.
    @Option(help: "Client writes (0...\(Self.maxRecords); default 3).") var records: Int?
    /// Crashes.
    @Option(help: "Crashes (0...2): 1 crashes the primary (the secondary takes over) or the secondary; 2 both.") var crashes = 1
    /// Path failures.
    @Option(help: "Path failures, each may come back (0...\(Self.maxRecords); default 1).") var pathFailures: Int?
    /// A barrier every N records.
    @Option(help: "A barrier every N records (0: none; 0...\(Self.maxRecords); default 2).") var barriers: Int?
    /// The most records, path failures and records between barriers taken.
    static let maxRecords = 10_000
    @OptionGroup var recorded: ExploreFromOptions
    @OptionGroup var options: ExploreOptions

    /// The configuration the options describe (the defaults where a bound is not given).
    var configurationValue: MirrorSimulation.Configuration {
        MirrorSimulation.Configuration(
            streams: streams ?? 2, paths: paths ?? 2, records: records ?? 3, crashes: crashes,
            pathFailures: pathFailures ?? 1, barrierEvery: barriers ?? 2)
    }

    /// Checks each bound's range, then the seeded bugs and the configuration as a whole.
    func validate() throws {
        try recorded.refuse(["--streams": streams, "--paths": paths, "--records": records,
                             "--path-failures": pathFailures, "--barriers": barriers])
        let c = configurationValue
        try OptionRange.check("--streams", c.streams, 1...64)
        try OptionRange.check("--paths", c.paths, 1...64)
        try OptionRange.check("--records", c.records, 0...Self.maxRecords)
        try OptionRange.check("--crashes", crashes, 0...2)
        try OptionRange.check("--path-failures", c.pathFailures, 0...Self.maxRecords)
        try OptionRange.check("--barriers", c.barrierEvery, 0...Self.maxRecords)
        try options.validateFaults(for: MirrorSimulation.system)
        guard c.isValid else {
            throw ValidationError("bounds out of range: 1-64 streams and paths, 0-2 crashes, nothing negative")
        }
    }

    func run() async throws {
        if recorded.isOn {
            var settings: [(key: String, value: String)] = []
            if !options.injectedFaults.isEmpty {
                settings.append(("faults", options.injectedFaults.map(\.rawValue).joined(separator: "+")))
            }
            let start = try recorded.start(MirrorPlan.self, crashes: crashes, settings: settings)
            throw recorded.explore(start, runner: ExploreRunner(options: options))
        }
        let c = configurationValue
        guard let start = MirrorSimulation(parsing: options.configuration(c.description)) else {
            throw ValidationError("the configuration \(options.configuration(c.description)) does not parse")
        }
        throw ExploreRunner(options: options).explore(start)
    }
}

/// `plumb explore driver`.
struct ExploreDriver: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "driver",
        abstract: "Explore the driver: I/O completions in any order, power loss at every step, every fate of the cache.")

    /// Interfaces.
    @Option(help: "Interfaces submitting writes (1...8; default 2).") var ifaces: Int?
    /// Write requests.
    @Option(help: "Write requests in all, 0...16 (overlapping ranges, deps across interfaces, a sync; default 4).")
    var requests: Int?
    /// Power losses.
    @Option(help: "Power losses, also during recovery (0...4).") var crashes = 1
    @Flag(help: "Cached writes may tear at sector boundaries when power fails.") var torn = false
    /// Staging regions of the simulated device.
    @Option(help: "Staging regions of the simulated device, 2...16 (more let more writes wait in the cache for one flush).")
    var regions = 2
    /// What the requests write.
    @Option(help: ArgumentHelp(
        "mixed (the default): requests of half a staging region, every fourth a whole chunk written out of place; "
            + "region-sized: each request fills a region alone and is written inline, one journal segment each, so with "
            + "--regions enough a cached write per request can wait for one flush (deep crash states).",
        valueName: "mixed|region-sized"))
    var workload: DriverSimulation.Workload.Kind?
    /// How power losses decide the cached writes' fates.
    @Option(help: ArgumentHelp(
        "lazy (the default): the cached writes' fates stay undecided at a power loss; a read branches once per distinct "
            + "content it can return (a read with more than 4,096, counted by the fates that tell them apart, gets a "
            + "sample of them, and the report says the search was not exhaustive), and Z3 proves the data area right for every remaining fate; eager: every fate of "
            + "every cached write is enumerated at the power loss (the reference).",
        valueName: "lazy|eager"))
    var crashStates: DriverSimulation.Configuration.CrashStates = .lazy
    /// With --from: the data area's size, if not the trace's largest offset and length.
    @Option(name: .customLong("size"), help: ArgumentHelp(
        "With --from: bytes of the simulated device's data area (KiB, MiB, GiB suffixes), at most 1GiB (default: the trace's "
            + "largest offset + length; past 256MiB, the 4KiB chunks the trace writes, laid side by side: offsets move, overlaps "
            + "stay). A long trace gets a larger device than this, so that the driver's ledger holds its longest epoch.",
        valueName: "BYTES"))
    var sizeOption: ByteCount?
    /// `--size` in bytes.
    var size: Int? { sizeOption?.bytes }
    @OptionGroup var recorded: ExploreFromOptions
    @OptionGroup var options: ExploreOptions

    /// The configuration the options describe.
    var configurationValue: DriverSimulation.Configuration {
        var c = DriverSimulation.Configuration(ifaces: ifaces ?? 2, requests: requests ?? 4, crashes: crashes, torn: torn,
                                               crashStates: crashStates)
        c.regions = regions
        c.workload = workload ?? .mixed
        return c
    }

    /// Checks each bound's range, then the seeded bugs and the configuration as a whole.
    func validate() throws {
        try recorded.refuse(["--ifaces": ifaces, "--requests": requests, "--workload": workload.map { _ in 1 }])
        let c = configurationValue
        try OptionRange.check("--ifaces", c.ifaces, 1...8)
        try OptionRange.check("--requests", c.requests, 0...16)
        try OptionRange.check("--crashes", crashes, 0...4)
        try OptionRange.check("--regions", regions, 2...16)
        try options.validateFaults(for: DriverSimulation.system)
        if let size {
            guard recorded.isOn else { throw ValidationError("--size goes with --from TRACE...") }
            try OptionRange.check("--size", size, 1...OffsetCompaction.mostSimulated, "bytes")
        }
        guard c.isValid else {
            throw ValidationError("bounds out of range: 1-8 interfaces, 0-16 requests, 0-4 crashes, 2-16 regions")
        }
    }

    func run() async throws {
        if recorded.isOn { throw try exploreFrom() }
        let c = configurationValue
        guard let start = DriverSimulation(parsing: options.configuration(c.description)) else {
            throw ValidationError("the configuration \(options.configuration(c.description)) does not parse")
        }
        let statistics = CrashStatistics()
        let z3Before = CrashFatesProver.shared.tally
        throw ExploreRunner(options: options).explore(start.collecting(statistics)) { report in
            CrashStatesReport(statistics, mode: c.crashStates, exploration: report, z3Before: z3Before)
        }
    }
}

extension ExploreDriver {
    /// `--from TRACE`: the trace's workload, with --crashes more power losses, --torn, --crash-states, --size,
    /// --regions and --inject-fault as settings.
    func exploreFrom() throws -> ExitCode {
        var settings: [(key: String, value: String)] = [("torn", torn ? "1" : "0"), ("states", crashStates.rawValue)]
        if let size { settings.append(("size", "\(size)")) }
        if regions != 2 { settings.append(("regions", "\(regions)")) }
        if !options.injectedFaults.isEmpty { settings.append(("faults", options.injectedFaults.map(\.rawValue).joined(separator: "+"))) }
        let start = try recorded.start(DriverPlan.self, crashes: crashes, settings: settings)
        let statistics = CrashStatistics()
        let z3Before = CrashFatesProver.shared.tally
        return recorded.explore(start.collecting(statistics), runner: ExploreRunner(options: options)) { report in
            CrashStatesReport(statistics, mode: crashStates, exploration: report, z3Before: z3Before)
        }
    }
}

extension DriverSimulation.Configuration.CrashStates: ExpressibleByArgument {}
extension DriverSimulation.Workload.Kind: ExpressibleByArgument {}

/// `plumb explore recovery`.
struct ExploreRecovery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recovery",
        abstract: "Explore the recovery framework: consumers finishing in any order, failures, timeouts, crashes.")

    /// Consumers.
    @Option(help: "Consumers, 1...1000 (a fixed graph of deps, after and logs edges, drawn from --graph-seed; default 5).")
    var consumers: Int?
    /// Workers.
    @Option(help: "Workers (1...64; default 2).") var workers: Int?
    /// Consumers that may fail.
    @Option(help: "Consumers that may fail or time out (0...--consumers; default 1).") var failures: Int?
    /// Crashes of the framework.
    @Option(help: "Crashes of the framework, then a new run begins (0...64).") var crashes = 1
    /// Seed of the graph.
    @Option(help: "Seed of the dependency graph (any 64-bit unsigned number; default 0).") var graphSeed: UInt64?
    @OptionGroup var recorded: ExploreFromOptions
    @OptionGroup var options: ExploreOptions

    var configurationValue: RecoverySimulation.Configuration {
        RecoverySimulation.Configuration(
            consumers: consumers ?? 5, workers: workers ?? 2, failures: failures ?? 1, crashes: crashes,
            seed: graphSeed ?? 0)
    }

    /// Checks each bound's range, then the configuration as a whole and the seeded bugs.
    func validate() throws {
        try recorded.refuse(["--consumers": consumers, "--workers": workers, "--failures": failures,
                             "--graph-seed": graphSeed.map { Int(truncatingIfNeeded: $0) }])
        let c = configurationValue
        try OptionRange.check("--consumers", c.consumers, 1...1_000)
        try OptionRange.check("--workers", c.workers, 1...64)
        try OptionRange.check("--failures", c.failures, 0...c.consumers, "(at most --consumers)")
        try OptionRange.check("--crashes", crashes, 0...64)
        if let problem = configurationValue.problem { throw ValidationError(problem) }
        try options.validateFaults(for: RecoverySimulation.system)
    }

    func run() async throws {
        if recorded.isOn {
            var settings: [(key: String, value: String)] = []
            if !options.injectedFaults.isEmpty {
                settings.append(("faults", options.injectedFaults.map(\.rawValue).joined(separator: "+")))
            }
            let start = try recorded.start(RecoveryPlan.self, crashes: crashes, settings: settings)
            throw recorded.explore(start, runner: ExploreRunner(options: options))
        }
        guard let start = RecoverySimulation(parsing: options.configuration(configurationValue.description)) else {
            throw ValidationError("the configuration \(options.configuration(configurationValue.description)) does not parse")
        }
        throw ExploreRunner(options: options).explore(start)
    }
}

/// The crash-state section of `plumb explore driver`'s report (`crash_states` in JSON, whose
/// keys are snake_case like the rest of the report: `recovery_runs`, `eager_recovery_runs`,
/// `eager_estimated`, `max_cached_writes`, `z3_closed_crash_points`): in all, and for the
/// crash point with the most cached writes, measured again on its own (every recovery from it,
/// lazily and, up to `eagerLimit` fate assignments, eagerly; beyond, the eager count is the
/// number of fate assignments, one recovery each, with `eager_estimated`).
struct CrashStatesReport: Codable {
    /// The recoveries from one crash point, lazily and eagerly.
    struct Point: Codable {
        var cachedWrites: Int
        var fateAssignments: Double
        var recoveryRuns: Int
        var recoverySeconds: Double
        var eagerRecoveryRuns: Double
        var eagerEstimated: Bool
        /// CPU seconds of the eager recoveries, when they ran.
        var eagerSeconds: Double?
        /// The distinct images the eager fates leave, when they ran (a cached search runs
        /// recovery once per image).
        var eagerImages: Int?
        var z3Closed: Bool
        /// Whether a lazy recovery's read got a sample of its contents (then the lazy runs
        /// are not all there are, and no ratio is given); nil in reports of older builds.
        var sampled: Bool?
    }

    var mode: String
    var crashPoints: Int
    var maxCachedWrites: Int
    var recoveryRuns: Int
    var eagerRecoveryRuns: Double
    var eagerEstimated: Bool
    var fateAssignments: Double
    var z3ClosedCrashPoints: Int
    var z3Queries: Int
    var z3Unsat: Int
    var z3Sat: Int
    var z3Seconds: Double
    var checksClosedWithoutQuery: Int
    /// Reads of undecided sectors that got a sample of their contents, too many to enumerate
    /// (the search is then not exhaustive); nil in reports of older builds.
    var sampledReads: Int?
    /// The most fate combinations one read of undecided sectors told apart; nil in reports of
    /// older builds.
    var mostReadCombinations: Double?
    var largestCrashPoint: Point?

    /// The most eager recoveries run again to measure the largest crash point.
    static let eagerLimit = 1 << 14

    /// The section for an exploration that tallied into `statistics`; Z3's answers are those
    /// since `z3Before`.
    init(_ statistics: CrashStatistics, mode: DriverSimulation.Configuration.CrashStates, exploration _: ExplorationReport,
         z3Before: CrashFatesProver.Tally = CrashFatesProver.Tally()) {
        let summary = statistics.summary
        let z3 = CrashFatesProver.shared.tally
        self.mode = mode.rawValue
        crashPoints = summary.crashPoints
        maxCachedWrites = summary.maxCachedWrites
        recoveryRuns = summary.recoveryRuns
        fateAssignments = summary.fateAssignments
        eagerEstimated = mode == .lazy
        eagerRecoveryRuns = mode == .lazy ? summary.fateAssignments : Double(summary.recoveryRuns)
        z3ClosedCrashPoints = summary.z3ClosedCrashPoints
        z3Queries = z3.queries - z3Before.queries
        z3Unsat = z3.unsat - z3Before.unsat
        z3Sat = z3.sat - z3Before.sat
        z3Seconds = z3.seconds - z3Before.seconds
        checksClosedWithoutQuery = summary.closedWithoutQuery
        sampledReads = summary.sampledReads
        mostReadCombinations = summary.mostReadCombinations
        if let (state, point) = statistics.largest {
            largestCrashPoint = Self.measure(state, z3Closed: point.z3Closed)
        }
    }

    /// Every recovery from the power loss at `state`, lazily, and eagerly when the fate
    /// assignments are at most `eagerLimit`.
    static func measure(_ state: DriverSimulation, z3Closed: Bool, eagerLimit: Int = CrashStatesReport.eagerLimit) -> Point? {
        let assignments = state.cachedFateAssignments
        var cpu = ExploreBench.cpuSeconds(RUSAGE_SELF)
        guard let lazy = state.recoveriesAfterPowerLoss(.lazy, limit: 1 << 22) else { return nil }
        let lazySeconds = ExploreBench.cpuSeconds(RUSAGE_SELF) - cpu
        var point = Point(cachedWrites: state.cachedWrites, fateAssignments: assignments, recoveryRuns: lazy.runs,
                          recoverySeconds: lazySeconds, eagerRecoveryRuns: assignments, eagerEstimated: true,
                          z3Closed: z3Closed, sampled: lazy.sampled)
        if assignments <= Double(eagerLimit) {
            cpu = ExploreBench.cpuSeconds(RUSAGE_SELF)
            if let eager = state.recoveriesAfterPowerLoss(.eager, limit: eagerLimit + 1), eager.complete {
                point.eagerSeconds = ExploreBench.cpuSeconds(RUSAGE_SELF) - cpu
                point.eagerRecoveryRuns = Double(eager.runs)
                point.eagerImages = eager.images
                point.eagerEstimated = false
            }
        }
        return point
    }

    /// The section in words, for the text report.
    var lines: [String] {
        var lines = [
            "crash states: \(mode); \(crashPoints) crash point\(crashPoints == 1 ? "" : "s") (distinct states of the driver at a "
                + "power loss), at most \(maxCachedWrites) cached write\(maxCachedWrites == 1 ? "" : "s"); \(recoveryRuns) "
                + "recovery run\(recoveryRuns == 1 ? "" : "s")" + (mode == "lazy"
                    ? String(format: " (eager: %.3g fate assignments, one recovery each, estimated)", eagerRecoveryRuns) : ""),
            String(format: "Z3: %d queries (%d UNSAT, %d SAT), %.3f s in all; %d crash points closed by Z3; "
                   + "%d contents checks closed with no query", z3Queries, z3Unsat, z3Sat, z3Seconds, z3ClosedCrashPoints,
                   checksClosedWithoutQuery),
        ]
        if let sampled = sampledReads, sampled > 0 {
            lines.append(String(format: "sampled reads: %d reads of undecided sectors could return more than %d contents "
                                + "(counted by the fates that tell them apart; or %d MiB of them; up to %.3g combinations "
                                + "of fates): each got a sample (no write shows, every one shows, each one alone lost, "
                                + "each piece alone torn halfway with the rest of its write lost), so the crash states were not all explored", sampled, CrashFates.mostContents,
                                CrashFates.mostContentBytes >> 20, mostReadCombinations ?? 0))
        }
        if let p = largestCrashPoint {
            let eager = p.eagerEstimated
                ? String(format: "%.3g eagerly (the fate assignments, estimated)", p.eagerRecoveryRuns)
                : String(format: "%.0f eagerly (%.2f s; %d distinct images)", p.eagerRecoveryRuns, p.eagerSeconds ?? 0,
                         p.eagerImages ?? 0)
            if p.sampled == true {
                lines.append(String(format: "largest crash point: %d cached writes: %d recovery runs lazily (%.2f s), some "
                                    + "of whose reads got a sample of their contents, against %@: no ratio, lazy did not "
                                    + "cover them all", p.cachedWrites, p.recoveryRuns, p.recoverySeconds, eager))
            } else {
                lines.append(String(format: "largest crash point: %d cached writes: %d recovery runs lazily (%.2f s) against %@: %.0fx fewer",
                                    p.cachedWrites, p.recoveryRuns, p.recoverySeconds, eager,
                                    p.eagerRecoveryRuns / Double(max(p.recoveryRuns, 1))))
            }
        }
        return lines
    }
}
