import Explorer

/// FNV-1a over 64-bit words: a fixed-seed fingerprint for the toy models.
func fnv(_ words: [Int]) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for word in words {
        var w = UInt64(bitPattern: Int64(word))
        for _ in 0..<8 {
            hash ^= w & 0xFF
            hash = hash &* 0x0000_0100_0000_01B3
            w >>= 8
        }
    }
    return hash
}

/// `k` independent counters, each incremented up to `m` times; the choice is which counter.
struct Counters: Explorable {
    struct Bump: Hashable, Sendable, CustomStringConvertible {
        var counter: Int
        var description: String { "c\(counter)++" }
    }

    var counts: [Int]
    let limit: Int

    init(k: Int, m: Int) {
        counts = Array(repeating: 0, count: k)
        limit = m
    }

    func choices() -> [Bump] { counts.indices.filter { counts[$0] < limit }.map(Bump.init) }
    mutating func apply(_ choice: Bump) { counts[choice.counter] += 1 }
    func fingerprint() -> UInt64 { fnv(counts) }
    func independent(_ a: Bump, _ b: Bump) -> Bool { a.counter != b.counter }
    func violation() -> ExplorationViolation? { nil }
    func lane(of choice: Bump) -> Int { choice.counter }
}

/// Two threads incrementing a shared `x` by read-then-write (a lost update when unlocked), and
/// optionally a third lane of `noise` steps that touch nothing shared. Invariant: once both
/// threads are done, `x == 2`.
struct RaceModel: Explorable {
    enum Op: String, Sendable { case acquire, read, write, release, tick }

    struct Step: Hashable, Sendable, CustomStringConvertible {
        var thread: Int
        var op: Op
        var description: String { "T\(thread).\(op.rawValue)" }
    }

    let locked: Bool
    let noise: Int
    var x = 0
    var holder = -1
    var pc = [0, 0]
    var local = [0, 0]
    var ticks = 0

    init(locked: Bool = false, noise: Int = 0) {
        self.locked = locked
        self.noise = noise
    }

    var program: [Op] { locked ? [.acquire, .read, .write, .release] : [.read, .write] }

    func choices() -> [Step] {
        var result: [Step] = []
        for thread in 0..<2 where pc[thread] < program.count {
            let op = program[pc[thread]]
            if op == .acquire, holder != -1 { continue }
            result.append(Step(thread: thread, op: op))
        }
        if ticks < noise { result.append(Step(thread: 2, op: .tick)) }
        return result
    }

    mutating func apply(_ step: Step) {
        switch step.op {
        case .acquire: holder = step.thread
        case .read: local[step.thread] = x
        case .write: x = local[step.thread] + 1
        case .release: holder = -1
        case .tick: ticks += 1
        }
        if step.thread < 2 { pc[step.thread] += 1 }
    }

    func fingerprint() -> UInt64 { fnv([x, holder, pc[0], pc[1], local[0], local[1], ticks]) }

    func independent(_ a: Step, _ b: Step) -> Bool {
        guard a.thread != b.thread else { return false }
        if a.op == .tick || b.op == .tick { return true }
        let lockOps: Set<Op> = [.acquire, .release]
        if lockOps.contains(a.op) && lockOps.contains(b.op) { return false }
        if lockOps.contains(a.op) || lockOps.contains(b.op) { return true }
        return a.op == .read && b.op == .read
    }

    func violation() -> ExplorationViolation? {
        guard pc.allSatisfy({ $0 == program.count }), x != 2 else { return nil }
        return ExplorationViolation(invariant: "race.lostUpdate", message: "x == \(x) after two increments", kind: .explorerCheck)
    }

    func lane(of step: Step) -> Int { step.thread }
}

/// A position on a ring of `size` cells, moved by +1 or +3 (dependent choices, cycles): states
/// first found deep are later reached shallower, which tests caching under a depth bound.
struct Ring: Explorable {
    enum Move: Int, Hashable, Sendable, CustomStringConvertible {
        case one = 1, three = 3
        var description: String { "+\(rawValue)" }
    }

    let size: Int
    /// Whether `independent` says so (the moves do commute; false is the safe answer).
    var commuting = false
    var position = 0

    func choices() -> [Move] { [.one, .three] }
    mutating func apply(_ move: Move) { position = (position + move.rawValue) % size }
    func fingerprint() -> UInt64 { fnv([position]) }
    func independent(_ a: Move, _ b: Move) -> Bool { commuting && a != b }
    func violation() -> ExplorationViolation? { nil }
}
