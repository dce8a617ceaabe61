import Recovery
import Specs
import Trace

/// The recovery framework under the explorer: the real `RecoveryCore`, fed by a simulated
/// runtime that owns every choice the live runtime (`LiveRecovery`) leaves to timing: which
/// running consumer's action takes its next step or ends next and how (returns, throws, times
/// out), and when the framework crashes.
///
/// It carries out the core's actions as the live runtime does: `.record` events are appended
/// to `events` in the order returned, `.start` runs a consumer's action (its `Step`s, see
/// `Configuration.registrations`), `.proceed` lets a waiting `process` go on, `.abandon` stops
/// listening to a consumer. A crash is fed to the core, and the next run registers the same
/// consumers and begins at once, like a restarted process calling `register` and `run()`.
///
/// Left out on purpose: calls an abandoned action makes later (the core drops every input
/// whose ticket is not running, so they change nothing), and crashes before a run begins or
/// after `done` (an execution ends at `done`). The failure budget counts over the whole
/// execution, across runs.
///
/// A value type: the explorer copies it to branch. Deterministic: no clock (the core's
/// timeouts fire when the explorer says so; events keep `t` unset), no randomness (the graph
/// comes from the configuration's seed), no iteration over hashed collections.
package struct RecoverySimulation: Explorable {
    /// The system name replay tokens carry.
    package static let system = "recovery"

    /// What a consumer's action is doing in the current run.
    enum Program: Sendable, Hashable {
        /// Not started in this run (waiting, skipped, or the run has not reached it).
        case idle
        /// Running: `step` steps of its script done; `waiting` while a `process` waits for
        /// the framework's go-ahead.
        case running(step: Int, waiting: Bool)
        /// Ended, timed out or abandoned: the core hears nothing more from it in this run.
        case finished
    }

    /// The bounds.
    package let configuration: Configuration
    /// What every run registers.
    let registrations: [ConsumerRegistration]
    /// Each consumer's steps (see `scripts(_:)`).
    let scripts: [[Step]]
    /// Consumer index by name.
    let index: [String: Int]
    /// The core, as the live runtime would hold it.
    package private(set) var core: RecoveryCore
    /// Each consumer's action in the current run.
    var programs: [Program]
    /// Failures (throws and timeouts) still allowed.
    package private(set) var failuresLeft: Int
    /// Crashes still allowed.
    package private(set) var crashesLeft: Int
    /// Every event recorded so far, in the order the core returned them: a valid trace.
    package private(set) var events: [TraceEvent] = []
    /// Whether `events` is kept (replays) or only judged (searches, see `withoutTrace()`).
    var keepsTrace = true
    /// Per node (framework, then `w0`, `w1`, ...): its last seq.
    var lastSeq: [Int]
    /// Per node: its last seq before the current run (seqs are fingerprinted relative to it).
    var runBase: [Int]
    /// Per node: a stable hash of the node's events in the current run, in seq order.
    var runDigest: [UInt64]
    /// The recovery spec run along with `events`.
    var monitor = SpecMonitor<RecoverySpec>()
    /// The spec's verdict on `events`, kept up to date by `apply`.
    var verdict: ExplorationViolation?

    /// The start state: run 1 has registered every consumer and begun (the core already
    /// started what was ready), with the configuration's seeded bugs, if any.
    package init(_ configuration: Configuration) {
        self.init(configuration, faults: configuration.faults)
    }

    /// The start state with the seeded bugs `faults` on (they join the configuration, so replay
    /// tokens carry them).
    package init(_ configuration: Configuration, faults: RecoveryCoreFaults) {
        var configuration = configuration
        configuration.faults = faults
        precondition(configuration.problem == nil, configuration.problem ?? "")
        self.configuration = configuration
        registrations = configuration.registrations
        scripts = Self.scripts(registrations)
        var index: [String: Int] = [:]
        for (i, r) in registrations.enumerated() { index[r.name] = i }
        self.index = index
        core = RecoveryCore(workers: configuration.workers)
        core.faults = faults
        programs = Array(repeating: .idle, count: registrations.count)
        failuresLeft = configuration.failures
        crashesLeft = configuration.crashes
        lastSeq = Array(repeating: 0, count: configuration.workers + 1)
        runBase = lastSeq
        runDigest = Array(repeating: RecoveryDigest.basis, count: lastSeq.count)
        beginRun()
        verdict = judge()
    }

    /// The choices enabled now: for each running consumer in order, its next step (or its
    /// return, once its steps are done), its failure and its timeout while failures remain;
    /// then a crash while crashes remain. None once the run is done.
    package func choices() -> [Choice] {
        guard core.phase == .walking else { return [] }
        var result = consumerChoices()
        if crashesLeft > 0 { result.append(.crash) }
        return result
    }

    /// The enabled choices of consumers (all but the crash).
    func consumerChoices() -> [Choice] {
        var result: [Choice] = []
        for c in programs.indices {
            guard case let .running(step, waiting) = programs[c] else { continue }
            if !waiting {
                if step < scripts[c].count {
                    switch scripts[c][step] {
                    case .tag: result.append(.tag(consumer: c))
                    case .untag: result.append(.untag(consumer: c))
                    case let .process(log): result.append(.process(consumer: c, log: log))
                    }
                } else {
                    result.append(.end(consumer: c, .ok))
                }
                if failuresLeft > 0 { result.append(.end(consumer: c, .failed)) }
            }
            if failuresLeft > 0, registrations[c].timeout != nil { result.append(.end(consumer: c, .timeout)) }
        }
        return result
    }

    /// Takes one enabled choice: feeds the core what the consumer or the power did, carries
    /// out the actions, and judges the trace so far.
    package mutating func apply(_ choice: Choice) {
        let recorded = monitor.observed
        switch choice {
        case let .tag(c):
            advance(c)
            feed(.tag(ticket(c), log: Self.logName(of: c)))
        case let .untag(c):
            advance(c)
            feed(.untag(ticket(c), log: Self.logName(of: c)))
        case let .process(c, log):
            guard case let .running(step, _) = programs[c] else { return }
            programs[c] = .running(step: step, waiting: true)
            feed(.process(ticket(c), log: Self.logName(of: log)))
        case let .end(c, .ok):
            programs[c] = .finished
            feed(.ended(ticket(c), failure: nil))
        case let .end(c, .failed):
            failuresLeft -= 1
            programs[c] = .finished
            feed(.ended(ticket(c), failure: "injected failure"))
        case let .end(c, .timeout):
            failuresLeft -= 1
            feed(.timeoutFired(ticket(c)))
        case .crash:
            crashesLeft -= 1
            feed(.crash)
            programs = Array(repeating: .idle, count: programs.count)
            runBase = lastSeq
            runDigest = Array(repeating: RecoveryDigest.basis, count: lastSeq.count)
            beginRun()
        }
        // A `process` that waits records nothing: the verdict stands.
        if monitor.observed != recorded { verdict = judge() }
    }

    /// Registers every consumer and begins the run, as a (re)started process does.
    mutating func beginRun() {
        for r in registrations { feed(.register(r)) }
        feed(.begin)
    }

    /// Moves consumer `c` past its current step.
    mutating func advance(_ c: Int) {
        guard case let .running(step, _) = programs[c] else { return }
        programs[c] = .running(step: step + 1, waiting: false)
    }

    /// The ticket of consumer `c` in the current run.
    func ticket(_ c: Int) -> Ticket { Ticket(run: core.run, consumer: registrations[c].name) }

    /// Feeds one input and carries out the actions in order, as `LiveRecovery.carryOut` does.
    mutating func feed(_ input: RecoveryCore.Input) {
        for action in core.handle(input) {
            switch action {
            case let .record(event):
                record(event)
            case let .start(ticket, _, _):
                if let c = index[ticket.consumer] { programs[c] = .running(step: 0, waiting: false) }
            case let .abandon(ticket):
                if let c = index[ticket.consumer] { programs[c] = .finished }
            case let .proceed(ticket, _):
                if let c = index[ticket.consumer] { advance(c) }
            case .rejected, .refused, .finished:
                // The generated graph is valid and the scripts never retag a log, so nothing is
                // refused; `done` shows in the core's phase.
                break
            }
        }
    }

    /// Appends `event` and folds it into its node's digest of the current run.
    mutating func record(_ event: TraceEvent) {
        let node = Self.nodeIndex(event.node)
        lastSeq[node] = event.seq
        var hasher = RecoveryDigest(runDigest[node])
        hasher.event(event, base: runBase)
        runDigest[node] = hasher.value
        if keepsTrace { events.append(event) }
        monitor.observe(event)
    }

    /// 0 for the framework, `k + 1` for worker `wk`.
    static func nodeIndex(_ node: String) -> Int {
        node == RecoveryCore.frameworkNode ? 0 : (Int(node.dropFirst()) ?? -1) + 1
    }
}
