import Trace

/// A set of integer keys (lsns, sns, request ids) seen so far, kept as ranges where the keys
/// arrive in increasing order, as they do in practice, so that remembering "was this key already
/// introduced" costs memory per gap, not per key.
///
/// Keys that arrive below the last range and are not in it go to a plain set, so an arbitrary
/// order stays correct and fast (only less compact). `DriverSpec` uses it for request ids too.
struct IntKeySet: Sendable {
    /// Disjoint, increasing, non-adjacent ranges `lowers[i]...uppers[i]`.
    private var lowers: [Int] = []
    private var uppers: [Int] = []
    /// Keys inserted out of order that no range holds.
    private var stragglers: Set<Int> = []
    /// The wrapping sum of one hash per straggler, kept by `insert` and `remove` (the only
    /// changes): the same for the same stragglers in any process, whatever order they came in.
    private var stragglersDigest: UInt64 = 0

    /// Hashes the ranges' ends and the stragglers (their count and digest), for `DriverSpec`'s
    /// fingerprint: no sorted copy at every step (with two interfaces, half the ids of a
    /// captured trace can be stragglers).
    func hash(into hasher: inout StableHasher) {
        hasher.combine(lowers)
        hasher.combine(uppers)
        hasher.combine(stragglers.count)
        hasher.combine(stragglersDigest)
    }

    /// One straggler's term of `stragglersDigest`.
    private static func term(_ key: Int) -> UInt64 { StableHasher.hash(UInt64(bitPattern: Int64(key))) }

    /// An empty set.
    init() {}

    /// Whether `key` was inserted.
    func contains(_ key: Int) -> Bool {
        var lo = 0, hi = lowers.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if lowers[mid] <= key { lo = mid + 1 } else { hi = mid }
        }
        if lo > 0 && key <= uppers[lo - 1] { return true }
        // Mostly none: no hashing then.
        return !stragglers.isEmpty && stragglers.contains(key)
    }

    /// Inserts `key`; returns false when it was already there.
    @discardableResult
    mutating func insert(_ key: Int) -> Bool {
        if let last = uppers.last {
            if key > last && key &- last == 1 {
                uppers[uppers.count - 1] = key
                return true
            }
            if key > last {
                lowers.append(key)
                uppers.append(key)
                return true
            }
            if contains(key) { return false }
            // Not in a range (above), so not a straggler yet either.
            stragglers.insert(key)
            stragglersDigest &+= Self.term(key)
            return true
        }
        lowers.append(key)
        uppers.append(key)
        return true
    }

    /// Removes `key`; returns false when it was not there. (`DriverSpec`: a lost id submitted
    /// again is no longer lost.)
    @discardableResult
    mutating func remove(_ key: Int) -> Bool {
        if stragglers.remove(key) != nil {
            stragglersDigest &-= Self.term(key)
            return true
        }
        var lo = 0, hi = lowers.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if lowers[mid] <= key { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0, key <= uppers[lo - 1] else { return false }
        let i = lo - 1
        if lowers[i] == uppers[i] {
            lowers.remove(at: i)
            uppers.remove(at: i)
        } else if key == lowers[i] {
            lowers[i] = key + 1
        } else if key == uppers[i] {
            uppers[i] = key - 1
        } else {
            lowers.insert(key + 1, at: i + 1)
            uppers.insert(uppers[i], at: i + 1)
            uppers[i] = key - 1
        }
        return true
    }
}
