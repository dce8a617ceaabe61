import ArgumentParser
import Checker
import Foundation
import Trace

#if canImport(Glibc)
import Glibc
#endif

/// `plumb bench check`: throughput and peak memory of `plumb check` against CPython parsing.
struct CheckBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Time `plumb check` (Z3 and graph engines) on a generated good mirror trace.",
        discussion: """
            Generates a mirror trace that obeys every invariant (two files, one per controller), \
            then runs, as separate processes and interleaved, `plumb check --engine graph`, the \
            same with --parallel-read (each file parsed on a thread of its own), `plumb check` \
            (Z3 proving every obligation) and CPython's json.loads over the same lines. Reports \
            each one's median CPU seconds (user + system, every thread: what a shared machine can \
            compare), wall time, events per CPU second and peak resident memory, the ratios in \
            CPU seconds measured in this one run (and --parallel-read's CPU and wall time over \
            the graph engine's), and the load average. \
            With --dir and --reuse, a trace generated there before (same --events) is read \
            again instead of written anew. --format json prints one JSON object on standard \
            output (progress goes to standard error): events, bytes, each command's median CPU \
            and wall seconds and peak memory in MB, the ratios, and the load averages, e.g. \
            `plumb bench check --format json | jq .ratios.graph_speedup_over_cpython`. Build \
            with -c release first.
            """
    )

    /// Events generated.
    @Option(help: ArgumentHelp("Events in the generated trace, about (100...\(OptionRange.maxCount); it ends with whole "
            + "records, so a few more)."))
    var events = 1_000_000

    @Option(help: "Directory for the generated trace (default: a temporary one, removed after).")
    var dir: String?

    /// Runs of each command.
    @Option(help: "Runs of each command; the median is reported (1...\(OptionRange.maxRounds)).")
    var repeats = 3

    @Option(help: "The Python interpreter to compare against.")
    var python = "python3"

    /// Reads the trace an earlier run kept in --dir rather than generating it again.
    @Flag(help: "With --dir: read the trace generated there by an earlier run with the same --events, if there is one.")
    var reuse = false

    @Option(help: "Output: text (for people) or json (for tools; progress goes to standard error).")
    var format: CheckBenchReport.Format = .text

    /// Checks the options' ranges (see `OptionRange`) and that --dir can be written.
    func validate() throws {
        try OptionRange.check("--events", events, 100...OptionRange.maxCount)
        try OptionRange.check("--repeats", repeats, 1...OptionRange.maxRounds)
        if let dir { try OutputError.validateFolder(dir) }
        if reuse && dir == nil { throw ValidationError("--reuse reads a trace kept by an earlier run: give its --dir") }
    }

    func run() async throws {
        let fm = FileManager.default
        let directory = dir ?? fm.temporaryDirectory.appendingPathComponent("plumb-bench-\(getpid())").path
        try OutputError.createFolder(directory)
        defer { if dir == nil { try? fm.removeItem(atPath: directory) } }

        let files = [directory + "/primary.jsonl", directory + "/secondary.jsonl"]
        let stamp = directory + "/events-\(events)"
        let generated: Int
        if reuse, let kept = try? String(contentsOfFile: stamp, encoding: .utf8), let count = Int(kept),
           files.allSatisfy({ fm.fileExists(atPath: $0) }) {
            generated = count
        } else {
            // Every stamp goes: the files they vouched for are about to be written over.
            for name in (try? fm.contentsOfDirectory(atPath: directory)) ?? []
            where name.hasPrefix("events-") && Int(name.dropFirst("events-".count)) != nil {
                try? fm.removeItem(atPath: directory + "/" + name)
            }
            generated = try OutputError.writing(directory) { try generate(into: files) }
            try OutputError.writing(stamp) { try "\(generated)".write(toFile: stamp, atomically: true, encoding: .utf8) }
        }
        let bytes = files.reduce(0) { $0 + ((try? fm.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
        let progress: (String) -> Void = format == .json
            ? { FileHandle.standardError.write(Data(($0 + "\n").utf8)) } : { print($0) }
        progress("trace: \(generated) events, \(String(format: "%.1f", Double(bytes) / 1e6)) MB in \(directory)")

        let me = selfPath()
        let commands: [(name: String, argv: [String])] = [
            ("plumb check --engine graph", [me, "check", "--engine", "graph", "--format", "json"] + files),
            ("plumb check --engine graph --parallel-read", [me, "check", "--engine", "graph", "--parallel-read", "--format", "json"] + files),
            ("plumb check (z3)", [me, "check", "--format", "json"] + files),
            ("python3 json.loads", [python, "-c", Self.pythonParse] + files),
        ]
        let loadBefore = CheckBenchReport.LoadAverage.now()
        var samples = Array(repeating: [Measurement](), count: commands.count)
        for round in 1...repeats {
            for (i, command) in commands.enumerated() {
                let m = try measure(command.argv)
                if m.status != 0 {
                    throw ValidationError("\(command.name) exited \(m.status) (round \(round)); expected 0 on a good trace")
                }
                samples[i].append(m)
                progress("  round \(round)  " + command.name.padding(toLength: 44, withPad: " ", startingAt: 0)
                    + String(format: " %8.3f s CPU  %8.3f s wall  %7.1f MB", m.cpuSeconds, m.seconds, m.peakMB))
            }
        }
        let measured = commands.indices.map {
            CheckBenchReport.Command(name: commands[$0].name, median: Measurement.median(samples[$0]), rounds: samples[$0])
        }
        let report = CheckBenchReport(
            events: generated, bytes: bytes, directory: directory, repeats: repeats, python: python,
            graph: measured[0], graphParallel: measured[1], z3: measured[2], cpython: measured[3],
            loadBefore: loadBefore, loadAfter: CheckBenchReport.LoadAverage.now())
        switch format {
        case .text: print(report.text)
        case .json: print(report.json)
        }
    }

    /// "is 2.4x faster than", "is 1.4x slower than" or "is about as fast as": how a time
    /// compares with another; "is too fast to compare with" when either is about zero.
    static func compare(_ seconds: Double, _ other: Double) -> String {
        guard seconds > Ratio.tinySeconds, other > Ratio.tinySeconds else { return "is too fast to compare with" }
        let faster = other / seconds, slower = seconds / other
        if faster > 1 && Ratio.number(faster) != "1.0" { return "is \(Ratio.number(faster))x faster than" }
        if slower > 1 && Ratio.number(slower) != "1.0" { return "is \(Ratio.number(slower))x slower than" }
        return "is about as fast as"
    }

    /// Writes a good mirror trace, one file per node; returns the number of events.
    private func generate(into files: [String]) throws -> Int {
        let primary = try FileRecorder(path: files[0], system: .mirror, meta: ["generator": "plumb bench check"])
        let secondary = try FileRecorder(path: files[1], system: .mirror, meta: ["generator": "plumb bench check"])
        var count = 0
        SyntheticMirrorTrace().generate(events: events) { event in
            (event.node == "primary" ? primary : secondary).record(event)
            count += 1
        }
        try primary.close()
        try secondary.close()
        return count
    }

    /// CPython merely parsing every line of every file.
    static let pythonParse = """
        import json, sys
        n = 0
        for path in sys.argv[1:]:
            with open(path, 'rb') as f:
                for line in f:
                    json.loads(line)
                    n += 1
        print(n)
        """

    struct Measurement {
        /// Wall time.
        var seconds: Double
        /// User and system CPU time of the process and every thread of it.
        var cpuSeconds: Double
        var peakMB: Double
        var status: Int32

        /// The run with the median CPU time, with the largest peak of all runs.
        static func median(_ ms: [Measurement]) -> Measurement {
            let sorted = ms.sorted { $0.cpuSeconds < $1.cpuSeconds }
            var m = sorted[sorted.count / 2]
            m.peakMB = ms.map(\.peakMB).max() ?? 0
            return m
        }
    }

    /// Runs `argv` with its output discarded; its wall time and peak resident memory.
    private func measure(_ argv: [String]) throws -> Measurement {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        // The child starts with no signal blocked (plumb blocks SIGINT and SIGTERM to receive
        // them itself, see `Interrupts`), and is sent the signal that interrupts this run.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let clock = ContinuousClock()
        let start = clock.now
        let spawned = posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, environ)
        guard spawned == 0 else { throw ValidationError("cannot start \(argv[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        let child = pid
        Interrupts.shared.stopping(with: { kill(child, Interrupts.shared.signal ?? SIGTERM) }) {
            while wait4(child, &status, 0, &usage) < 0 && errno == EINTR {}
        }
        try Interrupts.shared.checkInterrupted()
        let elapsed = start.duration(to: clock.now)
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return Measurement(
            seconds: elapsed.seconds,
            cpuSeconds: seconds(usage.ru_utime) + seconds(usage.ru_stime),
            peakMB: Double(usage.ru_maxrss) / 1024, status: exit)
    }

    private func selfPath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
