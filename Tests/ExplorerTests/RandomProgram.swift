import Explorer
import Trace

/// Threads running straight-line programs over shared variables (read into a local, write
/// from it, atomic increment), with exact independence (different threads, no conflicting
/// access): random instances check the search against breadth-first reachability.
struct RandomProgram: Explorable {
    enum Kind: Int, Sendable { case read, write, increment }

    struct Op: Hashable, Sendable {
        var kind: Kind
        var variable: Int
    }

    struct Step: Hashable, Sendable, CustomStringConvertible {
        var thread: Int
        var op: Op
        var description: String { "T\(thread).\(op.kind)(v\(op.variable))" }
    }

    let programs: [[Op]]
    /// Whether each thread loops forever (its program counter wraps): a cyclic state graph.
    var cyclic = false
    var variables: [Int]
    var pc: [Int]
    var local: [Int]

    init(seed: UInt64, threads: Int, length: Int, variables count: Int) {
        var rng = SplitMix64(seed: seed)
        programs = (0..<threads).map { _ in
            (0..<length).map { _ in
                Op(kind: Kind(rawValue: Int(rng.next() % 3))!, variable: Int(rng.next() % UInt64(count)))
            }
        }
        variables = Array(repeating: 0, count: count)
        pc = Array(repeating: 0, count: threads)
        local = Array(repeating: 0, count: threads)
    }

    func choices() -> [Step] {
        programs.indices.filter { pc[$0] < programs[$0].count }.map { Step(thread: $0, op: programs[$0][pc[$0]]) }
    }

    mutating func apply(_ step: Step) {
        let v = step.op.variable
        switch step.op.kind {
        case .read: local[step.thread] = variables[v]
        case .write: variables[v] = (local[step.thread] + step.thread + 1) % 5
        case .increment: variables[v] = (variables[v] + 1) % 5
        }
        pc[step.thread] += 1
        if cyclic, pc[step.thread] == programs[step.thread].count { pc[step.thread] = 0 }
    }

    func fingerprint() -> UInt64 { fnv(variables + pc + local) }

    func independent(_ a: Step, _ b: Step) -> Bool {
        guard a.thread != b.thread else { return false }
        if a.op.variable != b.op.variable { return true }
        return a.op.kind == .read && b.op.kind == .read
    }

    func violation() -> ExplorationViolation? { nil }
}

/// The fingerprints reachable from `start` in at most `bound` steps, breadth-first.
func reachable<S: Explorable>(_ start: S, bound: Int = .max) -> Set<UInt64> {
    var seen: Set<UInt64> = [start.fingerprint()]
    var level = [start]
    var depth = 0
    while !level.isEmpty, depth < bound {
        var next: [S] = []
        for state in level {
            for choice in state.choices() {
                var child = state
                child.apply(choice)
                if seen.insert(child.fingerprint()).inserted { next.append(child) }
            }
        }
        level = next
        depth += 1
    }
    return seen
}
