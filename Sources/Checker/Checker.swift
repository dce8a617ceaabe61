import Foundation
import Specs
import Trace

/// Checks traces: replays them through the system's spec in happens-before order, proves the
/// ordering obligations with Z3, and reports a verdict.
public struct Checker: Sendable {
    /// How to check.
    public struct Options: Sendable {
        /// Prove obligations with Z3 (`true`), or trust the graph engine alone.
        public var useSolver = true
        /// Accept captures whose tails were cut off (see TRACE-FORMAT.md).
        public var allowTruncated = false
        /// The longest one solver query may take before its obligations count as unknown.
        public var solverTimeout: Duration = .seconds(30)
        /// Z3's work bound per query (`rlimit`): like the timeout, but the same on every machine
        /// and load, so an inconclusive run reproduces; nil for none.
        public var solverResourceLimit: Int?
        /// Obligations per solver query.
        public var window = 4096
        /// The most events that may wait for their causes at once (`--max-pending`); more is an
        /// input error that names the option.
        public var maxPending = CausalOrder.defaultMaxPending
        /// Parse each trace file ahead on a thread of its own (`--parallel-read`): less wall
        /// time when cores are free, more CPU time. Off, the checking thread parses the files.
        public var parallelRead = false
        /// Stops the check from another thread; the report is then marked `interrupted`.
        public var cancellation: CheckCancellation?
        /// Clock changes kept before the replay first forgets those that no question still
        /// open needs (`Spec.forEachHeldEvent`); after each time, twice what it kept. Small in
        /// tests, so that forgetting runs often.
        package var forgetClockChangesAt = 1 << 15
        /// Told how far the replay got, every thousand or so events, from the replaying thread
        /// (`plumb check`'s progress line); it must return quickly.
        public var progress: (@Sendable (Progress) -> Void)?

        /// How far a check got.
        public struct Progress: Sendable, Equatable {
            /// Events replayed so far.
            public var events: Int
            /// Bytes of the trace's files read so far (of the compressed files, for gzip), a
            /// little ahead of the events.
            public var bytesRead: Int

            /// Progress of `events` replayed, `bytesRead` bytes read.
            package init(events: Int, bytesRead: Int) {
                self.events = events
                self.bytesRead = bytesRead
            }
        }

        /// The defaults: Z3 on, strict about truncation, 30 s per query.
        public init() {}
    }

    /// The options in force.
    public var options: Options

    /// Makes a checker.
    public init(options: Options = Options()) { self.options = options }

    /// Checks the files as one trace. Never throws: input errors are part of the report.
    public func check(files: [String]) -> CheckReport {
        let clock = ContinuousClock()
        let start = clock.now
        var report: CheckReport
        // Known once the headers are read, so that a later input error still names it.
        var system: TraceSystem?
        do {
            report = try run(files: files, prescan: false, system: &system)
        } catch .needsPrescan {
            do { report = try run(files: files, prescan: true, system: &system) } catch {
                report = Self.failureReport(error, files: files, system: system)
            }
        } catch {
            report = Self.failureReport(error, files: files, system: system)
        }
        report.stats.ms = start.duration(to: clock.now).milliseconds
        report.interrupted = options.cancellation?.isCancelled ?? false
        return report
    }

    private static func failureReport(_ failure: CausalOrder.Failure, files: [String], system: TraceSystem?) -> CheckReport {
        var report: CheckReport
        switch failure {
        case .input(let error):
            report = .inputError(error, files: files)
        case .needsPrescan(let node):
            report = .inputError(TraceInputError(file: "", line: 0, message: "node \(node): seqs could not be ordered across files"), files: files)
        }
        report.system = system
        return report
    }

    /// One pass over the files; sets `system` as soon as their headers are read.
    private func run(files: [String], prescan: Bool, system: inout TraceSystem?) throws(CausalOrder.Failure) -> CheckReport {
        var order = try CausalOrder(
            paths: files, allowTruncated: options.allowTruncated, prescan: prescan, maxPending: options.maxPending,
            parallelRead: options.parallelRead)
        system = order.system
        let cancellation = options.cancellation
        let engine = options.useSolver
            ? ProofEngine(timeout: options.solverTimeout, resourceLimit: options.solverResourceLimit, cancellation: cancellation) : nil
        let sink = CheckSink(
            engine: engine, timeout: options.solverTimeout, resourceLimit: options.solverResourceLimit,
            window: options.window, cancellation: cancellation)
        let clock = ContinuousClock()
        let start = clock.now
        do {
            switch order.system {
            case .mirror: try Self.replay(MirrorSpec.self, &order, sink, options)
            case .driver: try Self.replay(DriverSpec.self, &order, sink, options)
            case .recovery: try Self.replay(RecoverySpec.self, &order, sink, options)
            }
        } catch {
            _ = engine?.finish()
            throw error
        }
        if cancellation?.isCancelled != true { sink.flushAll() }
        let replayMs = start.duration(to: clock.now).milliseconds
        let outcomes = engine?.finish() ?? []

        var stats = CheckReport.Stats()
        stats.events = order.eventCount
        stats.nodes = sink.clocks.nodeNames.count
        stats.peakPending = order.peakPending
        stats.clockSnapshots = sink.clocks.snapshotCount
        stats.peakClockChanges = sink.clocks.peakKeptChangeCount
        stats.droppedTruncatedCauses = order.droppedTruncatedCauses
        stats.droppedTruncatedLines = order.droppedTruncatedLines
        stats.droppedExtensionCauses = order.droppedExtensionCauses
        stats.prescanned = prescan
        var report = CheckReport(
            error: nil, violations: sink.violations, suppressed: sink.suppressed,
            proofs: Self.proofs(system: order.system, sink: sink, outcomes: outcomes, replayMs: replayMs),
            disagreements: sink.disagreements + outcomes.flatMap(\.disagreements),
            files: files, system: order.system, stats: stats)
        report.decidedAt = sink.decisions
        let undecided = outcomes.sorted { $0.invariant < $1.invariant }
        report.unprovedCount = undecided.reduce(0) { $0 + $1.unprovedCount }
        report.unproved = undecided.flatMap { outcome in
            outcome.unproved.map { ob in
                CheckReport.UnprovedObligation(invariant: outcome.invariant, events: [
                    EventStamp(id: ob.before, name: "", location: .none),
                    EventStamp(id: ob.after, name: "", location: .none),
                ])
            }
        }.prefix(CheckReport.unprovedKept).map { $0 }
        if cancellation?.isCancelled != true { report.nameUnnamedEvents(allowTruncated: options.allowTruncated) }
        return report
    }

    /// Replays the trace through the spec; stops early, without the spec's final checks, once
    /// the cancellation is cancelled (looked at every `cancellationInterval` events).
    private static func replay<S: Spec>(
        _: S.Type, _ order: inout CausalOrder, _ sink: CheckSink, _ options: Options
    ) throws(CausalOrder.Failure) {
        let cancellation = options.cancellation, progress = options.progress
        var spec = S()
        var forgetAt = options.forgetClockChangesAt
        let least = options.forgetClockChangesAt
        // The order pauses every `cancellationInterval` events for a look at the cancellation.
        var sinceLook = 0
        while try order.handOut(to: { event in
            sink.clocks.add(node: event.node, seq: event.seq, causes: event.causes)
            let kept = sink.violations.count
            spec.observe(event, sink: sink)
            if sink.violations.count != kept { sink.decided(by: event, since: kept) }
            if sink.clocks.keptChangeCount >= forgetAt { forgetAt = forgetHistory(spec, sink, least: least) }
            sinceLook += 1
            return sinceLook < cancellationInterval
        }) {
            sinceLook = 0
            if cancellation?.isCancelled == true { return }
            progress?(Options.Progress(events: order.eventCount, bytesRead: order.bytesRead))
        }
        sink.finishing = true
        spec.finish(sink: sink)
    }

    /// Forgets the clock changes that no question about the events `spec` holds, or about
    /// those waiting for the solver, needs. Returns the count of kept changes at which to
    /// forget again: twice what is kept, at least `least`; never, when the spec cannot say.
    private static func forgetHistory<S: Spec>(_ spec: S, _ sink: CheckSink, least: Int) -> Int {
        let names = sink.clocks.nodeNames
        var held = Array(repeating: [Int](), count: names.count)
        func note(_ id: EventID) {
            if let j = names.firstIndex(where: { $0.exactlyEquals(id.node) }) { held[j].append(id.seq) }
        }
        guard spec.forEachHeldEvent(note) else { return .max }
        sink.forEachPendingBefore(note)
        sink.clocks.forget(keeping: held)
        return max(least, 2 * sink.clocks.keptChangeCount)
    }

    /// Events replayed between looks at the cancellation: well under a millisecond of work.
    private static let cancellationInterval = 1024

    /// One graph entry per invariant, and one Z3 entry per invariant Z3 had obligations for.
    private static func proofs(
        system: TraceSystem, sink: CheckSink, outcomes: [BatchOutcome], replayMs: Double
    ) -> [CheckReport.Proof] {
        let broken = Set(sink.violations.map(\.invariant))
        var proofs: [CheckReport.Proof] = []
        for invariant in Invariant.all(for: system) {
            proofs.append(CheckReport.Proof(
                invariant: invariant, engine: .graph, result: broken.contains(invariant) ? .refuted : .proved,
                ms: replayMs, obligations: sink.obligationCounts[invariant] ?? 0))
            let mine = outcomes.filter { $0.invariant == invariant }
            let refutation = sink.refutations[invariant]
            guard !mine.isEmpty || refutation != nil else { continue }
            var result: CheckReport.ProofResult = .proved
            if mine.contains(where: { $0.result == .refuted }) || refutation?.result == .refuted { result = .refuted }
            if mine.contains(where: { $0.result == .unknown }) || refutation?.result == .unknown { result = .unknown }
            proofs.append(CheckReport.Proof(
                invariant: invariant, engine: .z3, result: result,
                ms: mine.reduce(0) { $0 + $1.ms } + (refutation?.ms ?? 0),
                obligations: mine.reduce(0) { $0 + $1.goals } + (refutation?.count ?? 0)))
        }
        return proofs
    }
}
