import ArgumentParser
import Explorer
import Foundation

/// `plumb bench explore`: the explorer's speed, its reduction, and how far it gets in a minute.
struct ExploreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explore",
        abstract: "Measure the explorer: states and executions per second, parallel speed-up, reduction, reach in 60 s.",
        discussion: """
            For each system, one run at a time in this process (build with -c release first):

            Rate: an exhaustive search of the system's default CLI configuration on one thread, \
            then on --jobs threads (in-process shards); states/s, executions/s and the speed-up.

            Reduction: the same exhaustive configuration with state caching off, with and without \
            partial-order reduction (sleep sets): executions explored by each, and whether the \
            verdicts and the distinct states match.

            Reach: configurations of growing size, each explored exhaustively with a time budget \
            of --budget seconds; the largest one that finished (exhaustive: true) is reported.
            """)

    @Option(help: "Threads for the parallel run.")
    var jobs = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Seconds each reach configuration may take.")
    var budget: Double = 60

    @Flag(help: "Small configurations and a 5 s budget: a quick run for tests.")
    var quick = false

    func run() async throws {
        let budget = quick ? 5 : self.budget
        print("explorer benchmark (one run; \(ProcessInfo.processInfo.activeProcessorCount) cores, --jobs \(jobs))")
        print("")
        print("rate (exhaustive, state caching and reduction on):")
        print(pad("system", 10) + pad("configuration", 52) + pad("states", 10) + pad("execs", 10)
              + pad("states/s", 10) + pad("execs/s", 10) + pad("x\(jobs) thr", 10))
        rate(MirrorSimulation(quick ? .init(streams: 2, paths: 2, records: 2) : .init()))
        rate(DriverSimulation(quick ? .init(ifaces: 2, requests: 2, crashes: 1, torn: false) : .init()))
        rate(RecoverySimulation(quick ? .init(consumers: 4) : .init()))

        print("")
        print("reduction (state caching off, so every path counts):")
        print(pad("system", 10) + pad("configuration", 52) + pad("with POR", 12) + pad("without", 12)
              + pad("ratio", 8) + "same verdict and states")
        reduction(MirrorSimulation(.init(streams: 1, paths: 2, records: 1)))
        reduction(DriverSimulation(.init(ifaces: 2, requests: 2, crashes: 1, torn: false)))
        reduction(RecoverySimulation(.init(consumers: 4, workers: 2, failures: 1, crashes: 0)))

        print("")
        print("reach (largest configuration exhausted within \(Int(budget)) s):")
        reach("mirror", budget, (quick ? 1 ... 2 : 1 ... 6).map { MirrorSimulation(.init(streams: 2, paths: 2, records: $0)) })
        reach("driver", budget, (quick ? 2 ... 3 : 2 ... 10).map { DriverSimulation(.init(ifaces: 2, requests: $0, crashes: 1, torn: true)) })
        reach("recovery", budget, (quick ? 4 ... 5 : 4 ... 12).map { RecoverySimulation(.init(consumers: $0)) })
    }

    func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }

    func rate<S: ExplorationTarget>(_ start: S) {
        let one = Exploration(start: start, options: ExplorationOptions()).run()
        let many = Exploration(start: start, options: ExplorationOptions(parallelism: jobs)).run()
        let s1 = one.elapsed.seconds, sN = many.elapsed.seconds
        print(pad(S.system, 10) + pad(start.configurationText, 52) + pad("\(one.states)", 10) + pad("\(one.executions)", 10)
              + pad(String(format: "%.0f", Double(one.states) / s1), 10) + pad(String(format: "%.0f", Double(one.executions) / s1), 10)
              + String(format: "%.2fx (%.2f s vs %.2f s)", s1 / sN, sN, s1))
    }

    func reduction<S: ExplorationTarget>(_ start: S) {
        let with = Exploration(start: start, options: ExplorationOptions(stateCaching: false, recordFingerprints: true)).run()
        let without = Exploration(start: start, options: ExplorationOptions(
            stateCaching: false, partialOrderReduction: false, recordFingerprints: true)).run()
        let same = with.verdict == without.verdict && with.fingerprints == without.fingerprints
        print(pad(S.system, 10) + pad(start.configurationText, 52) + pad("\(with.executions)", 12)
              + pad("\(without.executions)", 12) + pad(String(format: "%.1fx", Double(without.executions) / Double(max(with.executions, 1))), 8)
              + (same ? "yes" : "NO (\(with.verdict.rawValue)/\(without.verdict.rawValue), \(with.states)/\(without.states) states)"))
    }

    func reach<S: ExplorationTarget>(_ system: String, _ seconds: Double, _ starts: [S]) {
        var largest: (String, ExplorationReport)?
        for start in starts {
            let report = Exploration(start: start, options: ExplorationOptions(
                budget: ExplorationBudget(time: .milliseconds(Int64(seconds * 1000))))).run()
            guard report.exhaustive, report.verdict == .pass else {
                print(pad(system, 10) + pad(start.configurationText, 52)
                      + "not exhausted within \(Int(seconds)) s (\(report.states) states, \(report.executions) executions)")
                break
            }
            largest = (start.configurationText, report)
        }
        if let (text, report) = largest {
            print(pad(system, 10) + pad(text, 52) + String(format: "exhausted: %d states, %d executions, %.1f s",
                                                          report.states, report.executions, report.elapsed.seconds))
        }
    }
}
