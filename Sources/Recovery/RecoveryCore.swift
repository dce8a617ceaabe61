import Trace

/// The recovery framework's core: registration, sealing, and the walk of the dependency graph
/// over a bounded number of workers, as a deterministic state machine.
///
/// A value type with no I/O, clock or randomness: `handle(_:)` takes one input and returns the
/// actions a runtime carries out in order. Trace events come back as `.record` actions, placed
/// before the effects they announce (a worker's `start` before the `.start` that runs the action),
/// and already numbered: the core keeps the framework's and every worker's seq counter, so a
/// runtime that records the events in the order returned writes a valid trace. It leaves `t`
/// unset for the runtime to stamp.
///
/// Semantics, in short:
/// - `register` refuses a repeated name, a non-positive timeout, or any registration once the
///   run has begun, at once (`reject` recorded, `.rejected` returned). `begin` seals the graph:
///   a consumer naming an unknown or refused consumer, or lying on a cycle, is refused with an
///   error naming it; then every registration is recorded (`reject` or `register`, in
///   registration order) before `begin`.
/// - The walk starts a consumer once its hard deps succeeded, its `after` consumers finished and
///   its `logs` consumers started, on the lowest-numbered idle worker, earliest registered first.
///   Whenever a worker is idle and a consumer is ready, it is started within the same step.
/// - A failure (thrown error or timeout) skips every transitive hard dependent. A timeout is
///   recorded by the framework as `end(ok: false, reason: "timeout")`; the consumer is abandoned:
///   its worker is free again and nothing it does later is recorded.
/// - A `process` of log L by consumer B proceeds once every consumer A in B's `logs` has
///   untagged L, ended or been skipped; its `process` event names that event as its cause.
/// - `crash` ends the run; the next `register` or `begin` opens the next run. Seq counters
///   survive, so one trace file holds every run.
public struct RecoveryCore: Sendable {
    /// One input to the core.
    public enum Input: Sendable, Equatable {
        /// A consumer registers for the next (or current, not yet begun) run.
        case register(ConsumerRegistration)
        /// Seal the graph and start the walk.
        case begin
        /// The consumer's action returned (`nil`) or threw (the error's description).
        case ended(Ticket, failure: String?)
        /// The consumer's timeout elapsed.
        case timeoutFired(Ticket)
        /// The consumer has `log` still to process.
        case tag(Ticket, log: String)
        /// The consumer has finished with `log`.
        case untag(Ticket, log: String)
        /// The consumer asks to process `log`; answered by `.proceed`, maybe later.
        case process(Ticket, log: String)
        /// The framework loses power: the run ends unfinished.
        case crash
    }

    /// What the runtime must do, in order.
    public enum Action: Sendable, Equatable {
        /// Record this trace event.
        case record(TraceEvent)
        /// A registration was refused (already recorded as `reject`).
        case rejected(RegistrationError)
        /// An input did not fit the core's state; nothing was recorded.
        case refused(RecoveryUsageError)
        /// Run the consumer's action on `worker`, arming its timeout if it has one.
        case start(Ticket, worker: Int, timeout: Duration?)
        /// Stop waiting for the consumer: cancel its action and drop whatever it does later.
        case abandon(Ticket)
        /// The consumer may process `log` now (its `process` event is recorded).
        case proceed(Ticket, log: String)
        /// The run reached `done`.
        case finished(RecoveryOutcome)
    }

    /// Where the core is.
    public enum Phase: Sendable, Equatable {
        /// Taking registrations for the current run.
        case registering
        /// The run has begun and is walking its graph.
        case walking
        /// The run reached `done`.
        case finished
        /// The framework crashed during the run.
        case crashed
    }

    /// The number of workers consumers run on (`w0` ...).
    public let workerCount: Int
    /// The current run, from 1.
    public internal(set) var run = 1
    /// Where the core is.
    public internal(set) var phase = Phase.registering

    /// The current run's registrations, before sealing.
    var pending: [ConsumerRegistration] = []
    /// Names in `pending`, to refuse duplicates at once.
    var pendingNames: Set<String> = []
    /// Registrations refused at once in the current run.
    var earlyRejections: [RegistrationError] = []
    /// The sealed graph of the current run (empty before `begin`).
    var graph = RecoveryGraph.seal([])
    /// Per consumer of `graph`: what it is doing.
    var states: [ConsumerState] = []
    /// Per worker: the consumer running on it.
    var workers: [Int?]
    /// Consumers ready to start, smallest index first.
    var ready = MinHeap<Int>()
    /// Consumers neither ended nor skipped.
    var unfinished = 0
    /// Log requests not granted yet, oldest first.
    var waitingProcesses: [(consumer: Int, log: String)] = []
    /// The framework's last seq.
    var frameworkSeq = 0
    /// Each worker's last seq.
    var workerSeqs: [Int]
    /// Deliberate bugs, for the explorer's tests only (see `RecoveryCoreFaults`); none by default.
    package var faults = RecoveryCoreFaults.none

    /// The framework's node name.
    package static let frameworkNode = "framework"

    /// A worker's node name: `w0`, `w1`, ...
    static func workerNode(_ worker: Int) -> String { "w\(worker)" }

    /// Makes a core with `workers` workers (at least one), ready for registrations of run 1.
    public init(workers: Int) {
        workerCount = max(workers, 1)
        self.workers = Array(repeating: nil, count: workerCount)
        workerSeqs = Array(repeating: 0, count: workerCount)
    }

    /// Takes one input and returns what to do.
    public mutating func handle(_ input: Input) -> [Action] {
        var actions: [Action] = []
        switch input {
        case let .register(registration): register(registration, &actions)
        case .begin: begin(&actions)
        case let .ended(ticket, failure): ended(ticket, failure: failure, &actions)
        case let .timeoutFired(ticket): timedOut(ticket, &actions)
        case let .tag(ticket, log): tag(ticket, log, &actions)
        case let .untag(ticket, log): untag(ticket, log, &actions)
        case let .process(ticket, log): process(ticket, log, &actions)
        case .crash: crash(&actions)
        }
        return actions
    }

    /// Whether `ticket` names a consumer running in the current run, and which.
    func running(_ ticket: Ticket) -> Int? {
        guard phase == .walking, ticket.run == run, let c = graph.indexOf(ticket.consumer),
            case .running = states[c].status
        else { return nil }
        return c
    }
}

// MARK: - Registration and sealing

extension RecoveryCore {
    /// Opens the next run when the current one has ended.
    mutating func openRunIfEnded() {
        guard phase == .finished || phase == .crashed else { return }
        run += 1
        phase = .registering
        pending = []
        pendingNames = []
        earlyRejections = []
        graph = RecoveryGraph.seal([])
        states = []
    }

    mutating func register(_ registration: ConsumerRegistration, _ actions: inout [Action]) {
        openRunIfEnded()
        let name = registration.name
        var error: RegistrationError?
        if phase == .walking {
            error = .late(consumer: name)
        } else if pendingNames.contains(name) {
            error = .duplicate(consumer: name)
        } else if let timeout = registration.timeout, timeout <= .zero {
            error = .invalidTimeout(consumer: name, timeout)
        }
        if let error {
            if phase == .registering { earlyRejections.append(error) }
            emit(.reject(consumer: name, reason: error.description), &actions)
            actions.append(.rejected(error))
            return
        }
        pending.append(registration)
        pendingNames.insert(name)
    }

    mutating func begin(_ actions: inout [Action]) {
        openRunIfEnded()
        guard phase == .registering else {
            actions.append(.refused(.alreadyBegun(run: run)))
            return
        }
        graph = RecoveryGraph.seal(pending)
        pending = []
        pendingNames = []
        for (r, verdict) in graph.verdicts {
            switch verdict {
            case .success:
                emit(.register(consumer: r.name, deps: r.deps, after: r.after, logs: r.logs), &actions)
            case let .failure(error):
                emit(.reject(consumer: r.name, reason: error.description), &actions)
                actions.append(.rejected(error))
            }
        }
        emit(.begin, &actions)
        phase = .walking
        startWalk(&actions)
    }

    mutating func crash(_ actions: inout [Action]) {
        emit(.crash, &actions)
        if phase == .walking {
            for worker in workers.indices {
                guard let c = workers[worker] else { continue }
                actions.append(.abandon(ticket(c)))
                workers[worker] = nil
            }
            waitingProcesses = []
            ready = MinHeap<Int>()
        }
        phase = .crashed
    }
}

// MARK: - Recording

extension RecoveryCore {
    /// Records `kind` on the framework and returns its id.
    @discardableResult
    mutating func emit(_ kind: EventKind, causes: [EventID] = [], _ actions: inout [Action]) -> EventID {
        frameworkSeq += 1
        let event = TraceEvent(node: Self.frameworkNode, seq: frameworkSeq, kind: kind, causes: causes)
        actions.append(.record(event))
        return event.id
    }

    /// Records `kind` on `worker` and returns its id.
    @discardableResult
    mutating func emit(
        _ kind: EventKind, on worker: Int, causes: [EventID] = [], _ actions: inout [Action]
    ) -> EventID {
        workerSeqs[worker] += 1
        let event = TraceEvent(node: Self.workerNode(worker), seq: workerSeqs[worker], kind: kind, causes: causes)
        actions.append(.record(event))
        return event.id
    }

    /// The ticket of consumer `c` in the current run.
    func ticket(_ c: Int) -> Ticket { Ticket(run: run, consumer: graph.consumers[c].name) }
}
