/// The states that successor keys (`Explorable.fingerprint(successorKeys:)`) led to, as far
/// as one search thread remembers them: a fixed table of 64K slots where a new key takes the
/// slot of whatever key was there. Forgetting costs only a step taken again; a key is
/// compared whole, so a slot never answers for another key.
struct SuccessorMemo<Choice> {
    /// What a key led to: the state's fingerprint and its enabled choices (which the bits of a
    /// sleep mask stored for it name; none for a state some visit had already claimed in full,
    /// whose stored mask of 0 names none).
    struct Successor {
        var fingerprint: UInt64
        var choices: [Choice]
    }

    /// Slots as a power of two.
    private static var bits: Int { 16 }
    /// The key each slot holds (0: none).
    private var keys = [UInt64](repeating: 0, count: 1 << bits)
    /// What the key in the same slot led to.
    private var successors = [Successor?](repeating: nil, count: 1 << bits)

    /// The slot of `key`: its top bits after a multiplicative mix.
    private static func slot(of key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - bits))
    }

    /// What `key` led to, if remembered.
    func successor(of key: UInt64) -> Successor? {
        let i = Self.slot(of: key)
        return keys[i] == key && key != 0 ? successors[i] : nil
    }

    /// Remembers that `key` led to `successor`.
    mutating func remember(_ key: UInt64, led successor: Successor) {
        guard key != 0 else { return }
        let i = Self.slot(of: key)
        keys[i] = key
        successors[i] = successor
    }
}
