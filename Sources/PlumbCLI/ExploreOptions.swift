import ArgumentParser
import Explorer
import Foundation

/// The flags every `plumb explore` subcommand shares: how to search, how far, where to write
/// counterexamples, and how to print the report.
struct ExploreOptions: ParsableArguments {
    /// The search strategies.
    enum Strategy: String, ExpressibleByArgument, CaseIterable {
        case exhaustive, random, pct
    }

    /// The report formats.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(help: "exhaustive (every schedule within the bounds), random (seeded random walks) or pct (seeded priority schedules with --pct-depth change points).")
    var strategy: Strategy = .exhaustive

    @Option(help: "Seed of random and pct search (any 64-bit unsigned number).")
    var seed: UInt64 = 1

    @Option(help: "Priority change points of pct search (1...\(ExploreOptions.maxPCTDepth)).")
    var pctDepth: Int = 3

    @Option(help: "Stop after this many executions (walks for random and pct: 1000 by default there, unbounded when --time is given); 1 or more.")
    var executions: Int?

    @Option(name: .customLong("time"), help: ArgumentHelp("Stop after this many seconds (0.001...31536000, a year), whatever --jobs; shortening "
            + "a counterexample found takes at most 2 s more."))
    var seconds: Double?

    @Option(help: "The most steps on one execution (1...\(ExploreOptions.maxDepth)).")
    var depth: Int?

    @Option(help: ArgumentHelp(
        "Explore part i of n (0-based, n in 1...\(OptionRange.maxShards)), e.g. 2/8: the n parts together cover the whole search. "
            + "`auto` takes i from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) and n from --shards; "
            + "`plumb explore merge` joins the parts' JSON reports.",
        valueName: "i/n|auto"))
    var shard: String?

    @Option(help: "The number of parts, with --shard auto (1...\(OptionRange.maxShards)).")
    var shards: Int?

    @Option(help: """
        Threads to explore with: \(OptionRange.jobsHelp). They share the states they have \
        entered and hand untaken choices to a thread that waits: the verdict and the first \
        counterexample are the same on any number, and so are the states of a search that runs \
        to its end (one stopped at a violation counts what it reached; executions and \
        transitions may differ by a few).
        """)
    var jobs: Int = 1

    @Flag(help: "Turn partial-order reduction (sleep sets) off (the driver reduces only with --no-cache anyway).")
    var noReduction = false

    @Flag(help: "Turn state caching off (every path explored to its end).")
    var noCache = false

    @Flag(help: "Go on after a violation, collecting up to 10 counterexamples (those with the same invariant and shrunk schedule reported once, with a count).")
    var keepGoing = false

    @Option(help: "Where counterexample traces are written (created if missing).")
    var out: String = "plumb-counterexamples"

    @Option(help: "Report format: text (for people) or json (for tools).")
    var format: Format = .text

    /// `--html FILE`: the first counterexample drawn as a page.
    @OptionGroup var html: HTMLOutput

    @Flag(help: "Also write each counterexample of a trace invariant minimized (the smallest trace that still fails the same way) as INVARIANT-N.min.jsonl beside it.")
    var minimize = false

    /// Off a terminal, the seconds between two progress lines on standard error (tests set it
    /// short; not shown in the help).
    @Option(help: ArgumentHelp(visibility: .private))
    var progressInterval: Double = ExploreProgressLine.defaultInterval.seconds

    @Option(name: .customLong("inject-fault"), help: ArgumentHelp(
        "Turn on a seeded bug of the core (repeatable), to see the explorer find it; `plumb explore selftest` tries them all. "
            + "Each system takes its own: "
            + ["mirror", "driver", "recovery"].map { system in
                "\(system): " + SeededFault.allCases.filter { $0.system == system }.map(\.rawValue).joined(separator: ", ")
            }.joined(separator: "; ") + ".",
        valueName: "FAULT"))
    var injectedFaults: [SeededFault] = []

    /// The most steps on one execution `--depth` takes (a path is kept in memory).
    static let maxDepth = 1_000_000
    /// The most change points `--pct-depth` takes.
    static let maxPCTDepth = 10_000

    /// Checks every option's range (see `OptionRange`) and that the shard options fit together.
    func validate() throws {
        if let shards { try OptionRange.check("--shards", shards, 1...OptionRange.maxShards) }
        if let shard, shard != "auto", let parsed = Shard(parsing: shard), parsed.count > OptionRange.maxShards {
            throw ValidationError(OptionRange.message("--shard", shard, "i/n with n in 1...\(OptionRange.maxShards)", ""))
        }
        if shard == "auto" {
            _ = try autoShard()
        } else if let shard, Shard(parsing: shard) == nil {
            throw ValidationError("--shard must be i/n with 0 <= i < n, e.g. 0/4, or auto; got \(shard)")
        } else if shards != nil {
            throw ValidationError("--shards goes with --shard auto (with --shard i/n the count is n)")
        }
        try OptionRange.check("--jobs", jobs, 1...OptionRange.maxJobs,
                              "threads (4 × the \(ProcessInfo.processInfo.activeProcessorCount) cores here)")
        if let executions { try OptionRange.check("--executions", executions, 1...Int.max) }
        if let seconds { try OptionRange.seconds("--time", seconds) }
        if let depth { try OptionRange.check("--depth", depth, 1...Self.maxDepth, "steps") }
        try OptionRange.check("--pct-depth", pctDepth, 1...Self.maxPCTDepth)
        try OptionRange.seconds("--progress-interval", progressInterval)
        try OutputError.validateFolder(out)
    }

    /// The engine's options.
    var exploration: ExplorationOptions {
        let strategy: ExplorationStrategy = switch self.strategy {
        case .exhaustive: .exhaustive
        case .random: .random(seed: seed)
        case .pct: .pct(seed: seed, depth: pctDepth)
        }
        var options = ExplorationOptions(
            strategy: strategy, depthBound: depth, stateCaching: !noCache,
            partialOrderReduction: !noReduction, keepGoing: keepGoing,
            budget: ExplorationBudget(executions: executions, time: seconds.map { .milliseconds(Int64($0 * 1000)) }),
            parallelism: jobs)
        options.shard = (try? resolvedShard()) ?? .whole
        return options
    }

    /// The environment variable a Kubernetes Indexed Job sets to each pod's index.
    static let indexVariable = "JOB_COMPLETION_INDEX"

    /// The part to explore: `--shard i/n`, or `--shard auto` resolved, or the whole search.
    func resolvedShard() throws -> Shard {
        if shard == "auto" { return try autoShard() }
        return shard.flatMap(Shard.init(parsing:)) ?? .whole
    }

    /// `--shard auto`: the index from JOB_COMPLETION_INDEX, the count from --shards.
    func autoShard() throws -> Shard {
        guard let shards else { throw ValidationError("--shard auto needs --shards N (Kubernetes sets no count variable)") }
        guard let text = ProcessInfo.processInfo.environment[Self.indexVariable] else {
            throw ValidationError("--shard auto reads the part's index from \(Self.indexVariable), which is not set")
        }
        guard let index = Int(text), let shard = Shard(index: index, count: shards) else {
            throw ValidationError("--shard auto: \(Self.indexVariable)=\(text) is not an index in 0..<\(shards) (--shards \(shards))")
        }
        return shard
    }

    /// The configuration text with the injected faults (tests and demonstrations only).
    func configuration(_ text: String) -> String {
        injectedFaults.isEmpty ? text : text + " faults=" + injectedFaults.map(\.rawValue).joined(separator: "+")
    }

    /// Refuses a seeded bug of another system's core.
    func validateFaults(for system: String) throws {
        let foreign = injectedFaults.filter { $0.system != system }
        guard foreign.isEmpty else {
            let names = SeededFault.allCases.filter { $0.system == system }.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("--inject-fault \(foreign.map(\.rawValue).joined(separator: ", ")) is not a seeded bug of the "
                                  + "\(system); its seeded bugs are: \(names)")
        }
    }
}
