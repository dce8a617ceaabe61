import ArgumentParser
import Explorer
import Foundation

/// `plumb explore`: search every schedule of a system's core within bounds.
struct Explore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explore every schedule, crash point and crash outcome of a system within bounds.",
        discussion: """
            Drives the system's real core through a simulated runtime in which the explorer makes \
            every choice: which path delivers next, which I/O completes, where power fails, which \
            cached writes survive a power cut (and which sectors of them), which consumer \
            finishes first. Each execution's trace is checked with the same specifications as \
            `plumb check`. Exhaustive search uses state caching and partial-order reduction \
            (sleep sets); random and pct search walk seeded schedules within a budget.

            A violation writes the execution's trace to --out as INVARIANT-N.jsonl, with the \
            first N not taken (a later run never overwrites it; `plumb check` rejects the trace \
            with the same invariant), shrunk to a short schedule, and prints a replay token: \
            `plumb replay TOKEN` re-runs it exactly. With --keep-going, counterexamples with \
            the same invariant and shrunk schedule are reported once, with how many were found.

            Off a terminal, a progress line (states, executions, depth, rate) goes to standard \
            error every 10 s; on one, a line is rewritten in place.

            Exit codes: 0 no violation (a search cut short by its bounds says exhaustive: false), \
            1 violation, 2 bad input. Stopped by SIGINT or SIGTERM, it prints what it covered \
            (states, executions, depth, violations found so far) on standard error and exits \
            130 (143 for SIGTERM), with no verdict.

            Examples:
              plumb explore mirror --streams 2 --paths 2 --records 3 --crashes 1
              plumb explore driver --ifaces 2 --requests 4 --crashes 1 --torn
              plumb explore recovery --consumers 5 --workers 2 --failures 1
              plumb explore mirror --records 6 --strategy pct --executions 20000
              plumb explore driver --requests 6 --shard 3/8 --format json
              plumb explore selftest          # every seeded bug found, shrunk and replayed
              plumb explore mirror --shard auto --shards 8 --format json > shard-$JOB_COMPLETION_INDEX.json   # a Kubernetes Indexed Job
              plumb explore merge shard-*.json   # one verdict from the shards' reports
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
    @Option(help: "Streams the log is parsed into (1...64).") var streams = 2
    /// Interconnect paths.
    @Option(help: "Interconnect paths (1...64).") var paths = 2
    /// Client writes.
    @Option(help: "Client writes (0...\(Self.maxRecords)).") var records = 3
    /// Crashes.
    @Option(help: "Crashes (0...2): 1 crashes the primary (the secondary takes over) or the secondary; 2 both.") var crashes = 1
    /// Path failures.
    @Option(help: "Path failures, each may come back (0...\(Self.maxRecords)).") var pathFailures = 1
    /// A barrier every N records.
    @Option(help: "A barrier every N records (0: none; 0...\(Self.maxRecords)).") var barriers = 2
    /// The most records, path failures and records between barriers taken.
    static let maxRecords = 10_000
    @OptionGroup var options: ExploreOptions

    /// Checks each bound's range, then the seeded bugs and the configuration as a whole.
    func validate() throws {
        try OptionRange.check("--streams", streams, 1...64)
        try OptionRange.check("--paths", paths, 1...64)
        try OptionRange.check("--records", records, 0...Self.maxRecords)
        try OptionRange.check("--crashes", crashes, 0...2)
        try OptionRange.check("--path-failures", pathFailures, 0...Self.maxRecords)
        try OptionRange.check("--barriers", barriers, 0...Self.maxRecords)
        try options.validateFaults(for: MirrorSimulation.system)
        let c = MirrorSimulation.Configuration(
            streams: streams, paths: paths, records: records, crashes: crashes, pathFailures: pathFailures,
            barrierEvery: barriers)
        guard c.isValid else {
            throw ValidationError("bounds out of range: 1-64 streams and paths, 0-2 crashes, nothing negative")
        }
    }

    func run() async throws {
        let c = MirrorSimulation.Configuration(
            streams: streams, paths: paths, records: records, crashes: crashes, pathFailures: pathFailures,
            barrierEvery: barriers)
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
    @Option(help: "Interfaces submitting writes (1...8).") var ifaces = 2
    /// Write requests.
    @Option(help: "Write requests in all, 0...16 (overlapping ranges, deps across interfaces, a sync).") var requests = 4
    /// Power losses.
    @Option(help: "Power losses, also during recovery (0...4).") var crashes = 1
    @Flag(help: "Cached writes may tear at sector boundaries when power fails.") var torn = false
    @OptionGroup var options: ExploreOptions

    /// Checks each bound's range, then the seeded bugs and the configuration as a whole.
    func validate() throws {
        try OptionRange.check("--ifaces", ifaces, 1...8)
        try OptionRange.check("--requests", requests, 0...16)
        try OptionRange.check("--crashes", crashes, 0...4)
        try options.validateFaults(for: DriverSimulation.system)
        guard DriverSimulation.Configuration(ifaces: ifaces, requests: requests, crashes: crashes, torn: torn).isValid else {
            throw ValidationError("bounds out of range: 1-8 interfaces, 0-16 requests, 0-4 crashes")
        }
    }

    func run() async throws {
        let c = DriverSimulation.Configuration(ifaces: ifaces, requests: requests, crashes: crashes, torn: torn)
        guard let start = DriverSimulation(parsing: options.configuration(c.description)) else {
            throw ValidationError("the configuration \(options.configuration(c.description)) does not parse")
        }
        throw ExploreRunner(options: options).explore(start)
    }
}

/// `plumb explore recovery`.
struct ExploreRecovery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recovery",
        abstract: "Explore the recovery framework: consumers finishing in any order, failures, timeouts, crashes.")

    /// Consumers.
    @Option(help: "Consumers, 1...1000 (a fixed graph of deps, after and logs edges, drawn from --graph-seed).") var consumers = 5
    /// Workers.
    @Option(help: "Workers (1...64).") var workers = 2
    /// Consumers that may fail.
    @Option(help: "Consumers that may fail or time out (0...--consumers).") var failures = 1
    /// Crashes of the framework.
    @Option(help: "Crashes of the framework, then a new run begins (0...64).") var crashes = 1
    /// Seed of the graph.
    @Option(help: "Seed of the dependency graph (any 64-bit unsigned number).") var graphSeed: UInt64 = 0
    @OptionGroup var options: ExploreOptions

    var configurationValue: RecoverySimulation.Configuration {
        RecoverySimulation.Configuration(
            consumers: consumers, workers: workers, failures: failures, crashes: crashes, seed: graphSeed)
    }

    /// Checks each bound's range, then the configuration as a whole and the seeded bugs.
    func validate() throws {
        try OptionRange.check("--consumers", consumers, 1...1_000)
        try OptionRange.check("--workers", workers, 1...64)
        try OptionRange.check("--failures", failures, 0...consumers, "(at most --consumers)")
        try OptionRange.check("--crashes", crashes, 0...64)
        if let problem = configurationValue.problem { throw ValidationError(problem) }
        try options.validateFaults(for: RecoverySimulation.system)
    }

    func run() async throws {
        guard let start = RecoverySimulation(parsing: options.configuration(configurationValue.description)) else {
            throw ValidationError("the configuration \(options.configuration(configurationValue.description)) does not parse")
        }
        throw ExploreRunner(options: options).explore(start)
    }
}
