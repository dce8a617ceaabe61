/// The seqs of one node seen so far, kept as ranges: one range when seqs have no gaps.
///
/// Seqs are inserted in increasing order, which is how a node's events are replayed.
struct SeqSet: Sendable {
    private var lowers: [Int] = []
    private var uppers: [Int] = []

    /// Adds `seq`, which must be greater than every seq added before.
    mutating func append(_ seq: Int) {
        if let last = uppers.last, last + 1 == seq {
            uppers[uppers.count - 1] = seq
        } else {
            lowers.append(seq)
            uppers.append(seq)
        }
    }

    /// Whether `seq` was added.
    func contains(_ seq: Int) -> Bool {
        var lo = 0, hi = lowers.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if lowers[mid] <= seq { lo = mid + 1 } else { hi = mid }
        }
        return lo > 0 && seq <= uppers[lo - 1]
    }

    /// The number of ranges kept (memory grows with gaps, not with events).
    var rangeCount: Int { lowers.count }
}
