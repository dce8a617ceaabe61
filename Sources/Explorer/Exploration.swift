import Trace

/// One exploration: the explorer's search engine, independent of any system. Runs the search
/// the options describe from an `Explorable` start state and returns what it found and covered;
/// it prints nothing (the CLI formats the report and the progress). Not named `Explorer`, so
/// that `Explorer.` still names the module.
public struct Exploration<System: Explorable>: Sendable {
    /// The state every execution starts from (one configuration of a system).
    public var start: System
    /// How to explore.
    public var options: ExplorationOptions

    /// Makes an exploration.
    public init(start: System, options: ExplorationOptions = ExplorationOptions()) {
        self.start = start
        self.options = options
    }

    /// Runs the exploration (on `options.parallelism` threads); then shrinks the counterexamples
    /// found and, when there are any, puts the canonical one first (see
    /// `ExplorationOptions.canonicalLimit`).
    // Specialized as `run(progress:cancellation:)` is, for the `plumb` commands that call this.
    @_specialize(exported: true, where System == MirrorSimulation)
    @_specialize(exported: true, where System == DriverSimulation)
    @_specialize(exported: true, where System == RecoverySimulation)
    @_specialize(exported: true, where System == Recorded<DriverPlan>)
    @_specialize(exported: true, where System == Recorded<RecoveryPlan>)
    @_specialize(exported: true, where System == Recorded<MirrorPlan>)
    public func run() -> ExplorationReport {
        run(progress: nil, cancellation: nil)
    }

    /// Runs the exploration as `run()` does, calling `progress` at most about four times a
    /// second from whichever thread is running. Once `cancellation` is cancelled the search
    /// stops at the threads' next checkpoints and the report says `interrupted`: its
    /// counterexamples are the ones found so far, neither shrunk nor described.
    // The shipped systems' searches are compiled for their types here (clients then call these
    // copies): generic code through witness tables costs about half the time of a search.
    @_specialize(exported: true, where System == MirrorSimulation)
    @_specialize(exported: true, where System == DriverSimulation)
    @_specialize(exported: true, where System == RecoverySimulation)
    @_specialize(exported: true, where System == Recorded<DriverPlan>)
    @_specialize(exported: true, where System == Recorded<RecoveryPlan>)
    @_specialize(exported: true, where System == Recorded<MirrorPlan>)
    package func run(
        progress: (@Sendable (ExplorationProgress) -> Void)? = nil, cancellation: ExplorationCancellation? = nil
    ) -> ExplorationReport {
        let threads = max(1, options.parallelism)
        let control = SearchControl(
            budget: options.budget, threads: threads, progress: progress, cancellation: cancellation)
        var tally: SearchTally
        switch options.strategy {
        case .exhaustive: tally = exhaustive(control: control, threads: threads)
        case .random, .pct: tally = walks(control: control, threads: threads)
        }
        var interrupted = control.stopReason == .cancelled
        // Shrinking and the canonical counterexample keep to the search's time budget (what is
        // shortest by then stands) and stop on its cancellation, which makes the run
        // interrupted with the counterexamples as the search found them.
        let found = tally.counterexamples
        // With at least 2 s of their own, so a counterexample found near the end is shortened some.
        // With no time budget they are bounded by counts (`shrinkAttempts`, `canonicalLimit`),
        // so that the first counterexample does not depend on the machine's speed.
        let clock = control.clock
        let deadline = options.budget.time.map { max(control.started + $0, clock.now + .seconds(2)) }
        let shouldStop = { cancellation?.isCancelled == true || deadline.map { clock.now >= $0 } == true }
        // They go over states the search counted already: the report's tallies stay the search's.
        let quiet = start.untallied()
        let shrinker = Shrinker(start: quiet, maxAttempts: options.shrinkAttempts)
        if !interrupted {
            tally.counterexamples = tally.counterexamples.map { found in
                options.shrinkAttempts > 0 ? shrinker.shrink(found, shouldStop: shouldStop) : described(found)
            }
        }
        if !interrupted, tally.violations > 0, options.shrinkAttempts > 0, options.canonicalLimit > 0,
           let canonical = BreadthFirstSearch(start: quiet, limit: options.canonicalLimit,
                                              depthBound: options.depthBound).firstViolation(shouldStop: shouldStop) {
            // The same first counterexample whatever the split; with `keepGoing`, the search's own
            // ones follow. Without it the search stopped at its first: the canonical one stands
            // for it (one violation, one counterexample).
            if let same = tally.counterexamples.firstIndex(where: { $0.path == canonical.path }) {
                tally.counterexamples.insert(tally.counterexamples.remove(at: same), at: 0)
            } else {
                var first = described(canonical)
                first.originalLength = tally.counterexamples.first.map { $0.originalLength ?? $0.path.count }
                tally.counterexamples.insert(first, at: 0)
                tally.counterexamples = Array(tally.counterexamples.prefix(options.maxCounterexamples))
            }
        }
        // Without `keepGoing`, threads that found a violation each before the search stopped
        // still make one counterexample: the first (the canonical one when it was found).
        if !interrupted, !options.keepGoing { tally.counterexamples = Array(tally.counterexamples.prefix(1)) }
        var whileShrinking = false
        if !interrupted, tally.violations > 0, cancellation?.isCancelled == true {
            interrupted = true
            whileShrinking = true
            tally.counterexamples = found
        }
        let stop = control.stopReason
        let isExhaustive = options.strategy == .exhaustive && tally.finished && tally.depthCuts == 0 && stop == nil
        var report = ExplorationReport(
            verdict: tally.violations > 0 ? .violation : .pass,
            exhaustive: isExhaustive,
            states: tally.states,
            executions: tally.executions,
            transitions: tally.transitions,
            maxDepth: tally.maxDepth,
            depthCuts: tally.depthCuts,
            // Random and pct walks end at the --executions count without being stopped.
            budgetExhausted: stop == .budget || (options.strategy != .exhaustive
                && options.budget.executions.map { tally.executions >= Self.walks(of: options.shard, in: $0) } == true),
            violationsFound: tally.violations,
            elapsed: control.clock.now - control.started,
            counterexamples: tally.counterexamples,
            options: options,
            fingerprints: options.recordFingerprints ? tally.fingerprints.sorted() : nil,
            bytesPerState: tally.bytesPerState,
            interrupted: interrupted)
        report.interruptedWhileShrinking = whileShrinking
        return report
    }

    /// Exhaustive search: split the tree for the shard and the threads, then search each part.
    private func exhaustive(control: SearchControl, threads: Int) -> SearchTally {
        let splitter = DepthFirstSearch<System>(options: options, control: control, thread: 0)
        var nodes = [SearchNode(state: start, depth: 0, sleep: [], path: [])]
        let shard = options.shard
        if shard.count > 1 {
            nodes = Self.deal(splitter.split(nodes, target: 4 * shard.count), parts: shard.count)[shard.index]
        }
        // Threads take the subtrees from one queue, in depth-first order, as they finish one.
        let queue = SearchQueue(threads > 1 ? splitter.split(nodes, target: 4 * threads) : nodes)
        var total = splitter.tally
        total.finished = true
        let claimed = options.stateCaching && options.depthBound == nil ? ClaimedStates(threads: threads) : nil
        for part in Self.inParallel(threads, { thread in
            let search = DepthFirstSearch<System>(options: options, control: control, thread: thread, claimed: claimed)
            let own = threads > 1 ? start.rebuilt().flatMap { $0.fingerprint() == start.fingerprint() ? $0 : nil } : nil
            search.run(queue: queue, start: own)
            return search.tally
        }) {
            total.merge(part, limit: options.maxCounterexamples)
        }
        total.claimed = claimed
        return total
    }

    /// Random or PCT search: walk `w` belongs to shard `w % n`, and within the shard to thread
    /// `(w / n) % k`.
    private func walks(control: SearchControl, threads: Int) -> SearchTally {
        let budget = options.budget
        let count = budget.executions ?? (budget.time == nil ? ExplorationOptions.defaultWalks : Int.max)
        let shard = options.shard
        var total = SearchTally()
        total.finished = true
        for part in Self.inParallel(threads, { thread in
            let search = WalkSearch(start: start, options: options, control: control, thread: thread)
            search.run(stride(from: shard.index + shard.count * thread, to: count, by: shard.count * threads))
            return search.tally
        }) {
            total.merge(part, limit: options.maxCounterexamples)
        }
        return total
    }

    /// How many of walks `0..<count` belong to `shard` (walk `w` to shard `w % n`).
    static func walks(of shard: Shard, in count: Int) -> Int {
        count > shard.index ? (count - shard.index + shard.count - 1) / shard.count : 0
    }

    /// `found` with its steps' descriptions, replayed from the start.
    private func described(_ found: Counterexample) -> Counterexample {
        var result = found
        result.steps = (try? replay(start.untallied(), path: found.path))?.steps ?? []
        return result
    }
}
