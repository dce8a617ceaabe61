/// A xorshift64 generator for the randomized tests: the same numbers in every process.
struct XorShift {
    /// The generator's state (never 0).
    var state: UInt64

    /// A number in `0 ..< bound`.
    mutating func next(_ bound: Int) -> Int {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Int(state % UInt64(bound))
    }
}
