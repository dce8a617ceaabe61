/// How the explorer walks the tree of choices.
public enum ExplorationStrategy: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Depth-first over every choice up to the depth bound, pruned by state caching and
    /// partial-order reduction: the only strategy that can prove a bounded space clean.
    case exhaustive
    /// Seeded random walks, each taking a uniformly random enabled choice at every step: cheap
    /// coverage where exhaustive search is out of reach. Walk `w` has its own seed derived from
    /// `seed` and `w`, so a walk is reproducible on its own and shards split walks cleanly.
    case random(seed: UInt64)
    /// PCT (Burckhardt et al., ASPLOS 2010): random distinct lane priorities and `depth - 1`
    /// random priority change points over `expectedLength` steps; each step takes the enabled
    /// choice of the highest-priority lane. Finds a bug of depth `depth` with probability at
    /// least 1/(lanes * expectedLength^(depth-1)) per walk. With `expectedLength` nil, every
    /// shard measures it the same way: the length of one seeded uniform random walk.
    case pct(seed: UInt64, depth: Int = 3, expectedLength: Int? = nil)

    /// `exhaustive`, `random(seed: 7)`, `pct(seed: 7, depth: 3)`.
    public var description: String {
        switch self {
        case .exhaustive: return "exhaustive"
        case .random(let seed): return "random(seed: \(seed))"
        case .pct(let seed, let depth, let length):
            return "pct(seed: \(seed), depth: \(depth)" + (length.map { ", expectedLength: \($0))" } ?? ")")
        }
    }
}
