import ArgumentParser
import Explorer
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `plumb bench explore`: the explorer's cost per state and how it grows, its reduction, its
/// parallel speed-up, and SPIN on the mirror's Promela model side by side.
struct ExploreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explore",
        abstract: "Measure the explorer: cost per state at three sizes, reduction, parallel speed-up, SPIN side by side.",
        discussion: """
            One run, in this process, one search at a time (build with -c release first). CPU \
            seconds are user plus system time of this process (or of SPIN's), so a loaded machine \
            moves them less than wall time.

            Scaling: each system exhaustively at three sizes on one thread (a size that takes under \
            a second is run again until a second has passed, and averaged): states, transitions, \
            executions, CPU seconds, microseconds per state, and the growth factor of the states \
            per extra record (mirror), request (driver) or consumer (recovery). A flat cost per \
            state is the aim: a step costs what its own events cost, not the trace so far.

            Flat cost: the mirror's µs per state at 5 records over that at 3, with --crashes 0 \
            and 1, in --flat-rounds paired rounds (each round runs both sizes, so both see the \
            same load); the median ratio is the figure. Beside it the same ratio per \
            transition, and the transitions per state at each size (with crashes these grow with \
            the bound: the states a crash leaves behind take few steps and merge more), and with \
            crashes the share of states before any crash (the --crashes 0 space), whose steps \
            cost most: it grows with the bound too.

            Reduction: the middle size with partial-order reduction on and off (state caching \
            on): executions, transitions and CPU seconds of each, and whether the states and \
            verdicts match. The driver's reduction tries pairs both ways and costs more than it \
            prunes once states are cached, so `plumb explore driver` (and the other parts here) \
            reduce it only with --no-cache; this part turns it on for the driver anyway, to show \
            that cost.

            Crash states: every recovery from one power loss, lazily and eagerly, at crash points \
            with 4, 8, 12 and 16 writes in the device's cache (one interface, 16 requests, \
            --regions 16 --workload region-sized: one journal segment per request; with the \
            default workload no crash point past 8 was found), with recovery runs, CPU seconds and how many times fewer \
            lazily; eager runs past 2^16 fate assignments are counted, not run (est.). Then one \
            exhaustive lazy search with Z3's queries, and the seeded bug Z3 finds.

            Parallel: the middle size on --jobs threads against one in paired rounds, with the load average of \
            the machine before and after (another process on the machine makes a poor speed-up).

            SPIN: when `spin` and `gcc` are installed (bash scripts/setup.sh --bench) and --spin-model \
            names the mirror's Promela model, SPIN's exhaustive search of R records per stream \
            (2 streams, 2 paths) beside `plumb explore mirror --records 2R --crashes 0` (the same \
            number of records in all; the models differ, see the model's README): states, CPU \
            seconds (SPIN's user time, averaged over runs until half a second has passed; its \
            system time, mostly zeroing its hash table, beside it), \
            microseconds per state, and the ratio of CPU time.

            From a trace: `plumb explore driver --from` on traces this binary records with `plumb \
            record driver` of about 200, 1,000 and 5,000 events on a small staging area, and of 300 \
            requests as the recorder makes them by default (a device of 199 MB; not torn, then \
            torn) (window 0, one crash beyond the trace's, lazy), each for at most --from-seconds: \
            crash points covered per CPU second, and whether the search was complete (yes), ran out \
            of time (budget) or gave N reads a sample of their contents (sampled N).
            """)

    /// Threads of the parallel run.
    @Option(help: "Threads for the parallel run: \(OptionRange.jobsHelp).")
    var jobs = 2

    @Option(help: "The SPIN model of the mirror.")
    var spinModel = "../shared/peers/spin/mirror.pml"

    /// Records per stream for SPIN, comma-separated.
    @Option(help: "Records per stream for the SPIN comparison, comma-separated, each 1...\(Self.maxSpinRecords).")
    var spinRecords = "2,3"

    /// The most records per stream of the SPIN comparison (plumb explores twice as many).
    static let maxSpinRecords = 64

    /// Checks --jobs and each of --spin-records against its range (see `OptionRange`).
    func validate() throws {
        try OptionRange.check("--jobs", jobs, 1...OptionRange.maxJobs,
                              "threads (4 × the \(ProcessInfo.processInfo.activeProcessorCount) cores here)")
        for item in spinRecords.split(separator: ",", omittingEmptySubsequences: false) {
            let text = item.trimmingCharacters(in: .whitespaces)
            guard let r = Int(text) else {
                throw ValidationError("--spin-records \(spinRecords): \"\(text)\" is not a number; give numbers 1...\(Self.maxSpinRecords), comma-separated")
            }
            try OptionRange.check("--spin-records", r, 1...Self.maxSpinRecords)
        }
        try OptionRange.check("--flat-rounds", flatRounds, 1...100)
        for name in onlyParts ?? [] where !Self.parts.contains(name) {
            throw ValidationError("--only \(only ?? ""): \"\(name)\" is not a part; give some of "
                + Self.parts.joined(separator: ", ") + ", comma-separated")
        }
        guard (1...3600).contains(fromSeconds) else { throw ValidationError("--from-seconds must be in 1...3600; got \(fromSeconds)") }
    }

    /// Paired rounds of the flat-cost measurement.
    @Option(help: "Paired rounds of the flat cost-per-state measurement (1...100).")
    var flatRounds = 5

    @Flag(help: "Small configurations: a quick run for tests.")
    var quick = false

    /// The parts to run (all when nil).
    @Option(help: ArgumentHelp(
        "The parts to run, comma-separated: \(Self.parts.joined(separator: ", ")) (default: all).",
        valueName: "parts"))
    var only: String?

    /// Every part, in the order the benchmark runs them.
    static let parts = ["scaling", "flat", "reduction", "crash-states", "parallel", "from", "spin"]

    /// The parts `--only` names, as given (nil: every part).
    var onlyParts: [String]? {
        only?.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Whether to run `part` (see `--only`).
    func runs(_ part: String) -> Bool { onlyParts?.contains(part) ?? true }

    /// Wall seconds each `--from` search may take (see `fromTraces`).
    @Option(help: "Seconds each explore --from search of a recorded driver trace may take (1...3600).")
    var fromSeconds = 60.0

    func run() async throws {
        emit("explorer benchmark (one run; \(ProcessInfo.processInfo.activeProcessorCount) cores, load \(Self.loadAverage()))")
        emit("")
        let mirrorSizes = quick ? [1, 2, 3] : [5, 6, 7]
        let driverSizes = quick ? [1, 2, 3] : [3, 4, 5]
        let recoverySizes = quick ? [3, 4, 5] : [5, 6, 7]
        if runs("scaling") {
            emit("scaling (exhaustive, one thread, caching on, reduction as plumb explore runs it):")
            emit(Self.row(["system", "configuration", "states", "transitions", "executions", "CPU s", "µs/state", "growth"]))
            scale(mirrorSizes.map { MirrorSimulation(.init(streams: 2, paths: 2, records: $0, crashes: 0)) })
            scale(driverSizes.map { DriverSimulation(.init(ifaces: 2, requests: $0, crashes: 1, torn: true)) })
            scale(recoverySizes.map { RecoverySimulation(.init(consumers: $0, workers: 2, failures: 1, crashes: 1)) })
            emit("")
        }
        if runs("flat") {
            flatness(rounds: quick ? 1 : flatRounds)
            emit("")
        }
        if runs("reduction") {
            emit("reduction (caching on; reduction on against off):")
            emit(Self.row(["system", "configuration", "execs on", "execs off", "trans on", "trans off", "ratio", "cpu on",
                           "cpu off", "same"]))
            reduction(MirrorSimulation(.init(streams: 2, paths: 2, records: mirrorSizes[1], crashes: 0)))
            reduction(DriverSimulation(.init(ifaces: 2, requests: driverSizes[1], crashes: 1, torn: true)))
            reduction(RecoverySimulation(.init(consumers: recoverySizes[1], workers: 2, failures: 1, crashes: 1)))
            emit("")
        }
        if runs("crash-states") {
            crashStates()
            emit("")
        }
        if runs("parallel") {
            emit("parallel (--jobs \(jobs) against one thread, wall time):")
            parallel(MirrorSimulation(.init(streams: 2, paths: 2, records: mirrorSizes[1], crashes: 0)))
            parallel(DriverSimulation(.init(ifaces: 2, requests: driverSizes[1], crashes: 1, torn: true)))
            emit("")
        }
        if runs("from") {
            fromTraces(seconds: quick ? 5 : fromSeconds)
            emit("")
        }
        if runs("spin") { spin() }
    }

    // MARK: Parts

    func scale<S: ExplorationTarget>(_ starts: [S]) {
        var previous: Int?
        for start in starts {
            // Small sizes run again until a second of CPU has passed, so their cost per state is
            // not one short, noisy run.
            var (report, cpu) = Self.measure(start, ExplorationOptions())
            var runs = 1
            while cpu < 1, runs < 50 {
                cpu += Self.measure(start, ExplorationOptions()).1
                runs += 1
            }
            cpu /= Double(runs)
            let growth = previous.map { String(format: "%.1fx", Double(report.states) / Double($0)) } ?? "-"
            previous = report.states
            emit(Self.row([S.system, start.configurationText, "\(report.states)", "\(report.transitions)",
                            "\(report.executions)", String(format: "%.2f", cpu),
                            String(format: "%.1f", cpu * 1e6 / Double(max(report.states, 1))), growth]))
        }
    }

    func reduction<S: ExplorationTarget>(_ start: S) {
        var options = ExplorationOptions()
        options.recordFingerprints = true
        let (on, cpuOn) = Self.measure(start, options, asGiven: true)
        options.partialOrderReduction = false
        let (off, cpuOff) = Self.measure(start, options, asGiven: true)
        let same = on.verdict == off.verdict && on.fingerprints == off.fingerprints
        emit(Self.row([S.system, start.configurationText, "\(on.executions)", "\(off.executions)", "\(on.transitions)",
                        "\(off.transitions)", String(format: "%.2fx", Double(off.transitions) / Double(max(on.transitions, 1))),
                        String(format: "%.2f s", cpuOn), String(format: "%.2f s", cpuOff),
                        same ? "yes" : "NO (\(on.states)/\(off.states) states)"]))
    }

    /// Paired rounds (one thread, then `jobs`) until the single-thread runs add up to two
    /// seconds (at least 3 rounds, at most 15; one with --quick): a short search timed once is
    /// mostly noise.
    func parallel<S: ExplorationTarget>(_ start: S) {
        let before = Self.loadAverage()
        var ones: [Double] = [], manys: [Double] = [], ratios: [Double] = []
        var states = (one: 0, many: 0)
        repeat {
            let one = Exploration(start: start.withoutTrace(), options: ExplorationOptions().suited(to: S.self)).run()
            let many = Exploration(start: start.withoutTrace(),
                                   options: ExplorationOptions(parallelism: jobs).suited(to: S.self)).run()
            ones.append(one.elapsed.seconds)
            manys.append(many.elapsed.seconds)
            ratios.append(one.elapsed.seconds / max(many.elapsed.seconds, 1e-9))
            states = (one.states, many.states)
        } while !quick && (ratios.count < 3 || (ones.reduce(0, +) < 2 && ratios.count < 15))
        emit("  \(S.system) [\(start.configurationText)]: "
              + String(format: "%.2fx median of %d paired rounds (%.2f-%.2fx; %.2f s on one thread, %.2f s on %d, medians)",
                       Self.median(ratios), ratios.count, ratios.min()!, ratios.max()!, Self.median(ones), Self.median(manys), jobs)
              + "; load average \(before) before, \(Self.loadAverage()) after; states \(states.one) / \(states.many)")
    }

    /// Lazy crash states against eager ones: at crash points with 4, 8, 12 and 16 cached
    /// writes (found by `DriverSimulation.crashPoint` on one interface, 16 region-sized
    /// requests, 16 regions, torn writes; see `DriverSimulation.Workload` for why not the
    /// default workload), every recovery from the power loss each way; eager recoveries past 2^16
    /// fate assignments are not run (their count is the assignments, their time extrapolated
    /// from a run of 2^12, both marked est.). Then one exhaustive lazy search: its crash
    /// points, recovery runs, and Z3's queries, and the same for the seeded bug Z3 finds
    /// (`trustsDataArea`).
    func crashStates() {
        var configuration = DriverSimulation.Configuration(ifaces: 1, requests: 16, crashes: 1, torn: true)
        configuration.regions = 16
        configuration.workload = .regionSized
        emit("crash states (driver [\(configuration)]; every recovery from one power loss):")
        let widths = [8, 16, 14, 12, 22, 16, 12]
        emit(Self.row(["cached", "fate assignments", "lazy runs", "lazy CPU s", "eager runs", "eager CPU s", "fewer"],
                      widths: widths))
        for k in quick ? [2, 4] : [4, 8, 12, 16] {
            guard let point = DriverSimulation.crashPoint(cachedWrites: k, configuration),
                  let measured = CrashStatesReport.measure(point, z3Closed: false, eagerLimit: 1 << 16) else {
                emit("  \(k): no crash point with that many cached writes")
                continue
            }
            var eagerSeconds = measured.eagerSeconds.map { String(format: "%.3f", $0) }
            if eagerSeconds == nil {
                // Time a sample of 2^12 eager recoveries and scale it to every assignment.
                let before = Self.cpuSeconds(RUSAGE_SELF)
                let counted = point.recoveriesAfterPowerLoss(.eager, limit: 1 << 12)
                let seconds = Self.cpuSeconds(RUSAGE_SELF) - before
                if let counted, counted.runs > 0 {
                    eagerSeconds = String(format: "%.1f est.", seconds / Double(counted.runs) * measured.fateAssignments)
                }
            }
            emit(Self.row([
                "\(measured.cachedWrites)", String(format: "%.0f", measured.fateAssignments), "\(measured.recoveryRuns)",
                String(format: "%.3f", measured.recoverySeconds),
                measured.eagerEstimated ? String(format: "%.0f est.", measured.eagerRecoveryRuns)
                    : String(format: "%.0f (%d images)", measured.eagerRecoveryRuns, measured.eagerImages ?? 0),
                eagerSeconds ?? "-",
                String(format: "%.0fx", measured.eagerRecoveryRuns / Double(max(measured.recoveryRuns, 1))),
            ], widths: widths))
        }
        for text in [quick ? "ifaces=1 requests=3 crashes=1 torn=1" : "ifaces=1 requests=6 crashes=1 torn=1",
                     "ifaces=2 requests=2 crashes=1 torn=1 faults=trustsDataArea"] {
            guard let start = DriverSimulation(parsing: text) else { continue }
            searchCrashStates(start)
        }
    }

    /// One exhaustive lazy search with its crash-state figures.
    func searchCrashStates(_ start: DriverSimulation) {
        let statistics = CrashStatistics()
        let z3Before = CrashFatesProver.shared.tally
        let (report, cpu) = Self.measure(start.collecting(statistics), ExplorationOptions(shrinkAttempts: 0))
        let section = CrashStatesReport(statistics, mode: .lazy, exploration: report, z3Before: z3Before)
        emit("  search [\(start.configurationText)]: \(report.states) states, " + String(format: "%.2f CPU s", cpu)
             + ", exhaustive \(report.exhaustive), verdict \(report.verdict.rawValue)")
        emit("  " + String(format: "%d crash points (at most %d cached writes), %d recovery runs lazily against %.3g fate assignments",
                           section.crashPoints, section.maxCachedWrites, section.recoveryRuns, section.fateAssignments))
        emit("  " + String(format: "Z3: %d queries (%d UNSAT, %d SAT), %.4f s in all, %.0f µs a query; %d crash points closed by Z3; "
                           + "%d contents checks closed with no query", section.z3Queries, section.z3Unsat, section.z3Sat,
                           section.z3Seconds, section.z3Seconds * 1e6 / Double(max(section.z3Queries, 1)),
                           section.z3ClosedCrashPoints, section.checksClosedWithoutQuery))
    }

    /// SPIN on the Promela model, beside plumb on as many records in all.
    func spin() {
        guard Self.which("spin") != nil, Self.which("gcc") != nil else {
            emit("spin: not installed (bash scripts/setup.sh --bench installs it), so no side-by-side figures")
            return
        }
        guard FileManager.default.fileExists(atPath: spinModel) else {
            emit("spin: no model at \(spinModel) (--spin-model)")
            return
        }
        emit("SPIN side by side (2 streams x 2 paths; SPIN: R records per stream, its model; plumb: 2R records in all, --crashes 0):")
        let widths = [4, 12, 22, 12, 14, 13, 13, 10]
        emit(Self.row(["R", "SPIN states", "SPIN user s", "SPIN µs/st", "plumb states", "plumb CPU s", "plumb µs/st", "CPU ratio"],
                      widths: widths))
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-spin-\(getpid())")
        try? FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let model = URL(fileURLWithPath: spinModel).standardizedFileURL.path
        for r in spinRecords.split(separator: ",").compactMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
            guard Self.shell(["spin", "-DS=2", "-DP=2", "-DR=\(r)", "-a", model], in: work.path) != nil,
                  Self.shell(["gcc", "-O2", "-DSAFETY", "-DNOREDUCE", "-o", "pan", "pan.c"], in: work.path) != nil else {
                emit("  R=\(r): SPIN or gcc failed")
                continue
            }
            // pan's own CPU time, as bash's `time` reports it (user and system), averaged over
            // runs until half a second of user time has passed: a small model takes a few
            // milliseconds, too few for one reading to compare.
            var out = ""
            var user = 0.0, system = 0.0, runs = 0
            while runs == 0 || (user < 0.5 && runs < 50) {
                guard let run = Self.shell(["bash", "-c", "TIMEFORMAT='cpu %U %S'; time ./pan -m10000000 2>&1"],
                                           in: work.path, stderr: true) else { break }
                let times = run.split(separator: "\n").last { $0.hasPrefix("cpu ") }?.split(separator: " ").dropFirst()
                    .compactMap { Double($0) } ?? []
                user += times.first ?? 0
                system += times.dropFirst().first ?? 0
                runs += 1
                out = run
            }
            guard runs > 0 else {
                emit("  R=\(r): pan failed")
                continue
            }
            // User time, as SPIN's README quotes it: pan's system time is mostly the zeroing of
            // its default hash table, a fixed cost printed beside it.
            let spinCPU = user / Double(runs)
            let spinSystem = system / Double(runs)
            let spinStates = Self.number(after: "states, stored", in: out) ?? 0
            let (report, cpu) = Self.measure(MirrorSimulation(.init(streams: 2, paths: 2, records: 2 * r, crashes: 0)),
                                             ExplorationOptions())
            emit(Self.row(["\(r)", "\(spinStates)", String(format: "%.3f (+%.2f sys)", spinCPU, spinSystem),
                            String(format: "%.2f", spinCPU * 1e6 / Double(max(spinStates, 1))),
                            "\(report.states)" + (report.exhaustive ? "" : " (cut)"), String(format: "%.2f", cpu),
                            String(format: "%.2f", cpu * 1e6 / Double(max(report.states, 1))),
                            String(format: "%.1fx", cpu / max(spinCPU, 1e-6))], widths: widths))
        }
    }

    // MARK: Helpers

    /// Prints a line at once (a long run shows its figures as they come, also into a file).
    func emit(_ line: String = "") {
        // Through stdio, whose error `Plumb.main` reports (exit 2) at the end.
        print(line)
        fflush(nil)
    }

    /// Runs an exploration with `options` as `plumb explore` runs them (`suited(to:)`), or
    /// `asGiven`; returns its report and the CPU seconds it took.
    static func measure<S: ExplorationTarget>(_ start: S, _ options: ExplorationOptions,
                                              asGiven: Bool = false) -> (ExplorationReport, Double) {
        let before = cpuSeconds(RUSAGE_SELF)
        let report = Exploration(start: start.withoutTrace(), options: asGiven ? options : options.suited(to: S.self)).run()
        return (report, cpuSeconds(RUSAGE_SELF) - before)
    }

    /// User plus system CPU seconds of this process or its waited-for children.
    static func cpuSeconds(_ who: __rusage_who) -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(who.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// The first three fields of /proc/loadavg.
    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "?" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// The path of `tool` on PATH, if any.
    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Runs `arguments` in `directory`; its standard output (and error, with `stderr`), or nil
    /// when it failed.
    static func shell(_ arguments: [String], in directory: String, stderr: Bool = false) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = stderr ? pipe : FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }

    /// The integer before `label` on a line of `text` (`19453 states, stored`).
    static func number(after label: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") where line.contains(label) {
            let fields = line.split(separator: " ")
            if let value = fields.compactMap({ Int($0) }).first { return value }
        }
        return nil
    }

    static func row(_ cells: [String], widths: [Int] = [9, 62, 11, 12, 11, 11, 11, 8]) -> String {
        return zip(cells, widths + Array(repeating: 10, count: max(0, cells.count - widths.count)))
            .map { cell, width in cell.count >= width ? cell + " " : cell + String(repeating: " ", count: width - cell.count) }
            .joined()
    }
}
