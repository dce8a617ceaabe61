/// The seqs of one node seen so far, kept as ranges: one range when seqs have no gaps.
///
/// Seqs are inserted in increasing order, which is how a node's events are replayed. The
/// latest range is kept apart from the others, so that the usual append (the seq after the
/// last one) changes two integers and no array.
struct SeqSet: Sendable {
    /// The ranges before the latest one, in order.
    private var lowers: [Int] = []
    private var uppers: [Int] = []
    /// The latest range (empty while `lastUpper < lastLower`: nothing added yet).
    private var lastLower = 0, lastUpper = -1

    /// Adds `seq`, which must be greater than every seq added before.
    mutating func append(_ seq: Int) {
        if lastUpper >= lastLower {
            if lastUpper &+ 1 == seq {
                lastUpper = seq
                return
            }
            lowers.append(lastLower)
            uppers.append(lastUpper)
        }
        lastLower = seq
        lastUpper = seq
    }

    /// Whether `seq` was added.
    func contains(_ seq: Int) -> Bool {
        if seq >= lastLower { return seq <= lastUpper }
        var lo = 0, hi = lowers.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if lowers[mid] <= seq { lo = mid + 1 } else { hi = mid }
        }
        return lo > 0 && seq <= uppers[lo - 1]
    }

    /// The number of ranges kept (memory grows with gaps, not with events).
    var rangeCount: Int { lowers.count + (lastUpper >= lastLower ? 1 : 0) }
}
