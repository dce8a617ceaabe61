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

            A violation writes the execution's trace to --out (which `plumb check` rejects \
            with the same invariant), shrunk to a short schedule, and prints a replay token: \
            `plumb replay TOKEN` re-runs it exactly.

            Exit codes: 0 no violation (a search cut short by its bounds says exhaustive: false), \
            1 violation, 2 bad input.

            Examples:
              plumb explore mirror --streams 2 --paths 2 --records 3 --crashes 1
              plumb explore driver --ifaces 2 --requests 4 --crashes 1 --torn
              plumb explore recovery --consumers 5 --workers 2 --failures 1
              plumb explore mirror --records 6 --strategy pct --executions 20000
              plumb explore driver --requests 6 --shard 3/8 --format json
              plumb explore selftest          # every seeded bug found, shrunk and replayed
              plumb explore mirror --shard auto --shards 8 --format json   # a Kubernetes Indexed Job
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

    @Option(help: "Streams the log is parsed into.") var streams = 2
    @Option(help: "Interconnect paths.") var paths = 2
    @Option(help: "Client writes.") var records = 3
    @Option(help: "Crashes: 1 crashes the primary (the secondary takes over) or the secondary; 2 both.") var crashes = 1
    @Option(help: "Path failures (each may come back).") var pathFailures = 1
    @Option(help: "A barrier every N records (0: none).") var barriers = 2
    @OptionGroup var options: ExploreOptions

    func validate() throws {
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

    @Option(help: "Interfaces submitting writes.") var ifaces = 2
    @Option(help: "Write requests in all (overlapping ranges, deps across interfaces, a sync).") var requests = 4
    @Option(help: "Power losses (also during recovery).") var crashes = 1
    @Flag(help: "Cached writes may tear at sector boundaries when power fails.") var torn = false
    @OptionGroup var options: ExploreOptions

    func validate() throws {
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

    @Option(help: "Consumers (a fixed graph of deps, after and logs edges, drawn from --graph-seed).") var consumers = 5
    @Option(help: "Workers.") var workers = 2
    @Option(help: "Consumers that may fail or time out.") var failures = 1
    @Option(help: "Crashes of the framework (then a new run begins).") var crashes = 1
    @Option(help: "Seed of the dependency graph.") var graphSeed: UInt64 = 0
    @OptionGroup var options: ExploreOptions

    var configurationValue: RecoverySimulation.Configuration {
        RecoverySimulation.Configuration(
            consumers: consumers, workers: workers, failures: failures, crashes: crashes, seed: graphSeed)
    }

    func validate() throws {
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
