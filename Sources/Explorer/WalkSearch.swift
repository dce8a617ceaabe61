import Trace

/// The random and PCT engine of one thread: independent seeded walks from the start, each to
/// its end, a violation, or the walk length limit. Walk `w` is seeded from the strategy's seed
/// and `w` alone, so any subset of walks (a shard, a thread) reproduces the same walks.
final class WalkSearch<System: Explorable> {
    let start: System
    let options: ExplorationOptions
    let control: SearchControl
    let thread: Int
    /// What this thread counted and found.
    var tally = SearchTally()
    private var ticks = 0
    private var stopped = false

    init(start: System, options: ExplorationOptions, control: SearchControl, thread: Int) {
        self.start = start
        self.options = options
        self.control = control
        self.thread = thread
    }

    /// The longest walk.
    var lengthLimit: Int { options.depthBound ?? ExplorationOptions.walkLengthLimit }

    /// The generator of walk `walk`.
    static func generator(seed: UInt64, walk: UInt64) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed ^ (walk &* 0xD1B5_4A32_D192_ED03))
        return SplitMix64(seed: mixer.next())
    }

    /// The walk length PCT plans its change points over, when not given: the length of one
    /// uniform walk with its own seed, the same in every shard.
    func probeLength(seed: UInt64) -> Int {
        var rng = Self.generator(seed: seed, walk: .max)
        var state = start
        var steps = 0
        while steps < lengthLimit, state.violation() == nil {
            let choices = state.choices()
            if choices.isEmpty { break }
            state.apply(choices[Int(rng.next() % UInt64(choices.count))])
            steps += 1
        }
        return max(1, steps)
    }

    /// Takes the walks in `walks`, in order, until done or stopped.
    func run(_ walks: some Sequence<Int>) {
        var expectedLength = 1
        if case .pct(let seed, _, let length) = options.strategy {
            expectedLength = length ?? probeLength(seed: seed)
        }
        // A thread that starts after the time is up (queued behind the others) does nothing.
        if control.isOver() { stopped = true }
        for walk in walks {
            if shouldStop(depth: 0) { break }
            self.walk(walk, expectedLength: expectedLength)
            tally.executions += 1
        }
        tally.finished = !stopped
        _ = control.checkpoint(thread: thread, snapshot, depth: 0)
    }

    private func walk(_ walk: Int, expectedLength: Int) {
        var uniform: SplitMix64?
        var pct: PCTScheduler?
        switch options.strategy {
        case .exhaustive, .random:
            uniform = Self.generator(seed: seed, walk: UInt64(walk))
        case .pct(_, let depth, _):
            pct = PCTScheduler(rng: Self.generator(seed: seed, walk: UInt64(walk)), depth: depth,
                               expectedLength: expectedLength)
        }
        var state = start
        var path: [Int] = []
        while true {
            tally.seen.insert(state.fingerprint())
            tally.maxDepth = max(tally.maxDepth, path.count)
            if let violation = state.violation() {
                record(violation, path: path)
                return
            }
            let choices = state.choices()
            if choices.isEmpty { return }
            if path.count >= lengthLimit {
                tally.depthCuts += 1
                return
            }
            if shouldStop(depth: path.count) { return }
            let index: Int
            if pct != nil {
                index = pct!.pick(choices, in: state, step: path.count + 1)
            } else {
                index = Int(uniform!.next() % UInt64(choices.count))
            }
            state.apply(choices[index])
            tally.transitions += 1
            path.append(index)
        }
    }

    private var seed: UInt64 {
        switch options.strategy {
        case .exhaustive: return 0
        case .random(let seed), .pct(let seed, _, _): return seed
        }
    }

    private func record(_ violation: ExplorationViolation, path: [Int]) {
        tally.violations += 1
        if tally.counterexamples.count < options.maxCounterexamples {
            tally.counterexamples.append(Counterexample(path: path, steps: [], violation: violation))
        }
        if !options.keepGoing {
            control.stop(.violation)
            stopped = true
        }
    }

    private var snapshot: SearchControl.Snapshot {
        SearchControl.Snapshot(states: tally.seen.count, executions: tally.executions,
                               transitions: tally.transitions)
    }

    private func shouldStop(depth: Int) -> Bool {
        if stopped { return true }
        ticks += 1
        if ticks >= 32 {
            ticks = 0
            if !control.checkpoint(thread: thread, snapshot, depth: depth).goOn { stopped = true }
        }
        return stopped
    }
}
