/// The exhaustive engine of one thread: an iterative depth-first search over every choice, with
/// state caching and sleep-set partial-order reduction, from one or more `SearchNode`s that
/// share one cache.
///
/// Sleep sets (Godefroid, 1996): a choice `t` asleep at a state was already explored from an
/// ancestor, before a choice independent of it, so every state reached through `t` here is
/// reached on that other path too. Sleep sets never prune states, only transitions, and paths
/// equal up to commuting independent choices have the same length, so depth-bounded coverage
/// is kept.
///
/// Caching with sleep sets (Godefroid's algorithm with `H(s).Sleep`): each visited fingerprint
/// stores the sleep set Z it was explored with; the exploration took every enabled choice
/// outside Z. A revisit with sleep set Z' would take the choices outside Z'. If Z ⊆ Z', those
/// were all taken before: prune. Otherwise only the choices in Z \ Z' are new: take them (with
/// Z' as the working sleep set, as a fresh visit would) and store Z ∩ Z', which is then again
/// exactly the set of enabled choices never taken from the state. Stored sets only shrink, so
/// this ends. Pruning plain states is sound because the future depends only on the fingerprint.
///
/// Caching with a depth bound: a state first explored deep, where the bound cut its subtree,
/// may be revisited shallower with more steps left. Each entry keeps the deepest depth it was
/// explored at and whether anything below it was cut (`truncated`); a truncated entry
/// revisited shallower is explored again in full, and a path ending at (or partly re-exploring)
/// a truncated entry counts as truncated too. A cycle back to a state still being explored
/// counts as truncated when there is a bound, since its entry is not complete yet.
///
/// Successor keys (`Explorable.fingerprint(successorKeys:)`), without a depth bound: a step
/// whose key led earlier to a state whose stored mask the step's sleep set covers would be
/// pruned on arrival, so it is counted as taken (a transition and the end of a path, as the
/// pruned visit counts) without copying the state or applying the step. A key that led to a
/// violation is not remembered: each visit of a violating state counts.
///
/// Threads: each search is one thread's. Without a depth bound the threads of one exploration
/// keep one table between them (`ClaimedStates`: another thread's visit is one more earlier
/// visit under the rule above; depths and on-stack counts are then not needed), and a thread
/// hands the untaken choices of its shallowest frame to a thread that waits (`SearchQueue`),
/// with the sleep sets it would have given them.
final class DepthFirstSearch<System: Explorable> {
    typealias Choice = System.Choice

    private struct Frame {
        /// The state; taken (nil) when its last child is made, so that child is changed in
        /// place rather than copied on write.
        var state: System?
        var fingerprint: UInt64
        var depth: Int
        var choices: [Choice]
        /// The indices of the choices to take, in order; nil for all of them (no array to make
        /// for most frames).
        var toExplore: [Int]?
        var next = 0
        var sleep: [Choice]
        var cached: Bool
        var truncated = false
        /// Successor keys by index into `choices` (see the type's doc).
        var keys: [(index: Int, key: UInt64)] = []

        /// How many choices the frame takes.
        var exploreCount: Int { toExplore?.count ?? choices.count }

        /// The index in `choices` of the `k`th choice the frame takes.
        func choiceIndex(_ k: Int) -> Int { toExplore?[k] ?? k }

        /// The successor key of choice `index`, if it has one.
        func key(of index: Int) -> UInt64? {
            for entry in keys where entry.index == index { return entry.key }
            return nil
        }
    }

    /// The entry of a node: its frame pushed on the stack, or the end of a path (and whether
    /// it was cut).
    private enum Entry {
        case pushed
        case leaf(truncated: Bool)
    }

    let options: ExplorationOptions
    let control: SearchControl
    let thread: Int
    /// The threads' shared visited set, when there is no depth bound.
    let claimed: ClaimedStates?
    /// Where to hand over work to waiting threads, when there are other threads.
    private var queue: SearchQueue<System>?
    // A search is one thread's (see above), so Swift's run-time exclusivity checks on the
    // fields each step touches have nothing to catch: left out (3% of a driver search).
    /// What this thread counted and found.
    @exclusivity(unchecked) var tally = SearchTally()
    @exclusivity(unchecked) private var stack: [Frame] = []
    @exclusivity(unchecked) private var path: [Int] = []
    private var ticks = 0
    private var othersExecutions = 0
    private var stopped = false
    /// Where successor keys led (only with `claimed`, the table a skip consults).
    private var memo: SuccessorMemo<Choice>?
    /// Scratch for `fingerprint(successorKeys:)`.
    @exclusivity(unchecked) private var keys: [(choice: Choice, key: UInt64)] = []
    /// The last state entered (nil when it broke an invariant).
    @exclusivity(unchecked) private var entered: SuccessorMemo<Choice>.Successor?

    /// Steps between checkpoints with the shared control.
    static var checkpointInterval: Int { 32 }

    init(options: ExplorationOptions, control: SearchControl, thread: Int, claimed: ClaimedStates? = nil) {
        self.options = options
        self.control = control
        self.thread = thread
        self.claimed = claimed
        if claimed != nil { memo = SuccessorMemo() }
    }

    /// Explores the subtrees of the nodes the threads' `queue` hands out, handing over work
    /// when another thread waits for some (without a depth bound: a subtree handed over could
    /// be cut by it, and the cache entry above would not know); sets `tally.finished` unless
    /// stopped. With `start`, this thread's own copy of the start state, each node's state is
    /// replayed from it (see `Explorable.rebuilt()`).
    func run(queue: SearchQueue<System>, start: System? = nil) {
        queue.begin()
        if options.depthBound == nil { self.queue = queue }
        run {
            guard let node = queue.take(isOver: control.isOver) else { return nil }
            return start.map { node.replayed(from: $0) } ?? node
        }
    }

    private func run(next: () -> SearchNode<System>?) {
        // A thread that starts after the time is up (queued behind the others) does nothing.
        if control.isOver() { stopped = true }
        while let node = next() {
            if shouldStop() { break }
            explore(node)
        }
        tally.finished = !stopped
        _ = control.checkpoint(thread: thread, snapshot, depth: 0)
    }

    private func explore(_ node: SearchNode<System>) {
        path = node.path
        stack.removeAll(keepingCapacity: true)
        guard case .pushed = enter(node.state, depth: node.depth, sleep: node.sleep) else { return }
        while !stack.isEmpty {
            let top = stack.count - 1
            if stack[top].next == stack[top].exploreCount {
                finish(stack.removeLast())
                continue
            }
            if shouldStop() { break }
            // A checkpoint may have handed the frame's last choices over.
            if stack[top].next == stack[top].exploreCount { continue }
            let index = stack[top].choiceIndex(stack[top].next)
            stack[top].next += 1
            let choice = stack[top].choices[index]
            var childSleep: [Choice] = []
            if options.partialOrderReduction {
                // The state is moved out to be asked and back (reading it in place copies it
                // once per question where `independent` reads the state).
                let parent = stack[top].state.take()!
                childSleep = stack[top].sleep.filter { parent.independent($0, choice) }
                stack[top].state = consume parent
                stack[top].sleep.append(choice)
            }
            let key = stack[top].key(of: index)
            if let key, let claimed, let successor = memo?.successor(of: key),
               let mask = claimed.sleepMask(of: successor.fingerprint),
               Self.covers(childSleep, mask, of: successor.choices) {
                if stack[top].next == stack[top].exploreCount { stack[top].state = nil }
                tally.transitions += 1
                tally.maxDepth = max(tally.maxDepth, stack[top].depth + 1)
                _ = endPath(truncated: false)
                continue
            }
            // The frame's last choice takes its state: moved out, not copied and then released.
            var child = stack[top].next == stack[top].exploreCount ? stack[top].state.take()! : stack[top].state!
            child.apply(choice)
            tally.transitions += 1
            path.append(index)
            // `consume`: the child moves into its frame (without it Swift copies the whole state
            // once more, a tenth of a mirror search's time).
            let entry = enter(consume child, depth: stack[top].depth + 1, sleep: childSleep)
            if let key, let entered { memo?.remember(key, led: entered) }
            switch entry {
            case .pushed:
                break
            case .leaf(let truncated):
                path.removeLast()
                if truncated { stack[top].truncated = true }
            }
        }
        stack.removeAll()
    }

    /// Pops a finished frame: completes its cache entry and passes truncation to its parent.
    private func finish(_ frame: Frame) {
        finishLeaf(frame)
        guard !stack.isEmpty else { return }
        path.removeLast()
        if frame.truncated { stack[stack.count - 1].truncated = true }
    }

    /// Visits a state reached with `sleep`: checks it, consults the cache and the bound, and
    /// pushes its frame when there is something to explore below it (the state moves into
    /// the frame on the stack: no copy).
    private func enter(_ state: consuming System, depth: Int, sleep sleepIn: [Choice]) -> Entry {
        keys.removeAll(keepingCapacity: true)
        let fingerprint = claimed == nil ? state.fingerprint() : state.fingerprint(successorKeys: &keys)
        entered = nil
        // Without a depth bound the threads' shared table is the cache (see `ClaimedStates`);
        // a state that ends a path is claimed as explored (mask 0).
        let isNew = claimed == nil ? tally.seen.insert(fingerprint) : false
        tally.maxDepth = max(tally.maxDepth, depth)
        if let violation = state.violation() {
            if let claimed, claimed.claim(fingerprint, sleep: 0) == nil { tally.claims += 1 }
            record(violation)
            return endPath(truncated: false)
        }
        // Without a sleep set the claim needs no choices: a state some visit claimed in full
        // ends here before they are asked for (most visits are such revisits, and the choices
        // cost a tenth of a driver search). What the memo keeps for it then has no choices,
        // which a stored mask of 0 does not read.
        var claimedEarly: UInt64??
        if let claimed, sleepIn.isEmpty {
            let other = claimed.claim(fingerprint, sleep: 0)
            if other == nil { tally.claims += 1 }
            if other == 0 {
                entered = .init(fingerprint: fingerprint, choices: [])
                return endPath(truncated: false)
            }
            claimedEarly = .some(other)
        }
        let choices = state.choices()
        entered = .init(fingerprint: fingerprint, choices: choices)
        if choices.isEmpty {
            if claimedEarly == nil, let claimed, claimed.claim(fingerprint, sleep: 0) == nil { tally.claims += 1 }
            return endPath(truncated: false)
        }
        // The sleep set as indices into `choices`; those past the mask's reach are woken.
        var sleepMask: UInt64 = 0
        var sleep: [Choice] = []
        if options.partialOrderReduction {
            for choice in sleepIn {
                if let i = choices.firstIndex(of: choice), i < 64 {
                    sleepMask |= 1 << UInt64(i)
                    sleep.append(choice)
                }
            }
        }
        func asleep(_ mask: UInt64, _ i: Int) -> Bool { i < 64 && mask & (1 << UInt64(i)) != 0 }
        var toExplore: [Int]?
        // Whether what an earlier visit covered from here may be cut short (see the type's doc).
        var inherited = false
        if let claimed {
            // Another thread's visit, or an earlier one of this thread: take only what it left.
            let other: UInt64?
            if let early = claimedEarly {
                other = early
            } else {
                other = claimed.claim(fingerprint, sleep: sleepMask)
                if other == nil { tally.claims += 1 }
            }
            if let other, other & ~sleepMask == 0 { return endPath(truncated: false) }
            toExplore = sleepMask == 0 && other == nil
                ? nil : choices.indices.filter { i in !asleep(sleepMask, i) && (other.map { asleep($0, i) } ?? true) }
        } else if options.stateCaching {
            if !isNew, let old = tally.seen.entry(fingerprint) {
                inherited = old.truncated || (old.onStack > 0 && options.depthBound != nil)
                if old.truncated && depth < old.depth {
                    inherited = false
                    toExplore = sleepMask == 0 ? nil : choices.indices.filter { !asleep(sleepMask, $0) }
                    tally.seen.set(fingerprint, .init(sleep: sleepMask, depth: depth, truncated: false,
                                                      onStack: old.onStack + 1, countedOnly: false))
                } else if old.sleep & ~sleepMask == 0 {
                    return endPath(truncated: inherited)
                } else {
                    toExplore = choices.indices.filter { asleep(old.sleep, $0) && !asleep(sleepMask, $0) }
                    tally.seen.set(fingerprint, .init(sleep: old.sleep & sleepMask, depth: max(old.depth, depth),
                                                      truncated: old.truncated, onStack: old.onStack + 1,
                                                      countedOnly: false))
                }
            } else {
                toExplore = sleepMask == 0 ? nil : choices.indices.filter { !asleep(sleepMask, $0) }
                tally.seen.set(fingerprint, .init(sleep: sleepMask, depth: depth, truncated: false, onStack: 1,
                                                  countedOnly: false))
            }
        } else {
            toExplore = sleepMask == 0 ? nil : choices.indices.filter { !asleep(sleepMask, $0) }
        }
        var frame = Frame(state: state, fingerprint: fingerprint, depth: depth, choices: choices, toExplore: toExplore,
                          sleep: sleep, cached: options.stateCaching && claimed == nil, truncated: inherited)
        for (choice, key) in keys {
            if let i = choices.firstIndex(of: choice) { frame.keys.append((i, key)) }
        }
        if toExplore?.isEmpty == true {
            finishLeaf(frame)
            return endPath(truncated: inherited)
        }
        if let bound = options.depthBound, depth >= bound {
            tally.depthCuts += 1
            frame.truncated = true
            finishLeaf(frame)
            return endPath(truncated: true)
        }
        stack.append(consume frame) // moved, not copied (as the child above)
        return .pushed
    }

    /// Whether a visit with sleep set `sleep` to a state whose enabled choices are `choices`
    /// would be pruned by its stored mask `mask`: every choice the mask names is asleep.
    private static func covers(_ sleep: [Choice], _ mask: UInt64, of choices: [Choice]) -> Bool {
        var rest = mask
        while rest != 0 {
            let i = rest.trailingZeroBitCount
            guard i < choices.count, sleep.contains(choices[i]) else { return false }
            rest &= rest - 1
        }
        return true
    }

    /// Completes the cache entry of a node whose exploration is over.
    private func finishLeaf(_ frame: Frame) {
        guard frame.cached, var entry = tally.seen.entry(frame.fingerprint) else { return }
        entry.onStack -= 1
        if frame.truncated { entry.truncated = true }
        tally.seen.set(frame.fingerprint, entry)
    }

    private func endPath(truncated: Bool) -> Entry {
        tally.executions += 1
        return .leaf(truncated: truncated)
    }

    private func record(_ violation: ExplorationViolation) {
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
        SearchControl.Snapshot(states: tally.seen.count + tally.claims, executions: tally.executions,
                               transitions: tally.transitions)
    }

    /// Whether to stop before the next step: a violation, the budget, or another thread said so.
    private func shouldStop() -> Bool {
        if stopped { return true }
        if let budget = control.executionBudget, tally.executions + othersExecutions >= budget {
            control.stop(.budget)
            stopped = true
            return true
        }
        ticks += 1
        if ticks >= Self.checkpointInterval {
            ticks = 0
            let (goOn, others) = control.checkpoint(thread: thread, snapshot, depth: stack.last?.depth ?? 0)
            othersExecutions = others
            if !goOn { stopped = true }
            if !stopped, let queue, queue.isHungry { donate(to: queue) }
        }
        return stopped
    }

    /// Hands the choices not taken yet at the shallowest frame that has some to `queue`, as the
    /// nodes this search would have reached, with the sleep sets it would have given them.
    private func donate(to queue: SearchQueue<System>) {
        guard let f = stack.indices.first(where: { stack[$0].next < stack[$0].exploreCount }),
              let state = stack[f].state else { return }
        let prefix = Array(path.prefix(path.count - (stack.count - 1 - f)))
        var nodes: [SearchNode<System>] = []
        while stack[f].next < stack[f].exploreCount {
            let index = stack[f].choiceIndex(stack[f].next)
            stack[f].next += 1
            let choice = stack[f].choices[index]
            var childSleep: [Choice] = []
            if options.partialOrderReduction {
                childSleep = stack[f].sleep.filter { state.independent($0, choice) }
                stack[f].sleep.append(choice)
            }
            var child = state
            child.apply(choice)
            tally.transitions += 1
            nodes.append(SearchNode(state: child, depth: stack[f].depth + 1, sleep: childSleep, path: prefix + [index]))
        }
        stack[f].state = nil
        queue.donate(nodes)
    }
}
