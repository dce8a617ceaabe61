/// The visited set of a depth-bounded search (without a bound: `ClaimedStates`), the split and
/// the walks: for each state fingerprint, what the depth-first search needs to know of its
/// earlier visits, in a fixed 24 bytes a slot (open addressing, linear probing, at
/// most 3/4 full, so 24 to 64 bytes a state; `bytesPerState` says which).
///
/// A slot holds the fingerprint, the sleep set the state was explored with as a bit mask over
/// the indices of its choices (a state's choices are a function of its fingerprint, so indices
/// name the same choices on every visit), and the depth, on-stack count and truncation flag of
/// `DepthFirstSearch`'s cache entry. Choices past index 63 cannot be put to sleep in the mask;
/// the search wakes them instead, which is always sound (it only explores more).
///
/// A value type; one per search thread.
struct VisitedTable: Sendable {
    /// What the search keeps of one state.
    struct Entry: Sendable, Equatable {
        /// The sleep set of the visit(s) so far: bit `i` for choice `i`.
        var sleep: UInt64
        /// The deepest depth explored at.
        var depth: Int
        /// Whether something below it was cut by the depth bound.
        var truncated: Bool
        /// How many frames of the current stack hold this state.
        var onStack: Int
        /// Whether the state was only counted (a leaf or a split node), never explored with the
        /// cache: a later visit explores it as new.
        var countedOnly: Bool
    }

    /// The fingerprint stored for `fingerprint` (0 marks an empty slot, so 0 is stored as 1).
    private static func key(_ fingerprint: UInt64) -> UInt64 { fingerprint == 0 ? 1 : fingerprint }

    /// One slot: a state's fingerprint (0: empty), sleep mask and the rest packed in a word:
    /// depth (bits 0-31), onStack (32-47), truncated (48), countedOnly (49). One array of
    /// slots, so a lookup touches one cache line.
    private struct Slot {
        var key: UInt64
        var sleep: UInt64
        var meta: UInt64
    }

    private var slots: [Slot]
    private var mask: Int
    /// States stored.
    private(set) var count = 0

    /// An empty table.
    init(capacity: Int = 1024) {
        var size = 16
        while size * 3 < capacity * 4 { size *= 2 }
        slots = Array(repeating: Slot(key: 0, sleep: 0, meta: 0), count: size)
        mask = size - 1
    }

    /// Bytes the table holds, over the states it stores.
    var bytesPerState: Double {
        count == 0 ? 0 : Double(slots.count * MemoryLayout<Slot>.stride) / Double(count)
    }

    /// Every fingerprint stored, in no particular order (as stored: 0 reads as 1).
    var fingerprints: [UInt64] { Array(slots.lazy.map(\.key).filter { $0 != 0 }) }

    private func slot(of key: UInt64) -> (index: Int, found: Bool) {
        var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 24) & mask
        while true {
            let k = slots[i].key
            if k == key { return (i, true) }
            if k == 0 { return (i, false) }
            i = (i + 1) & mask
        }
    }

    /// Counts `fingerprint` as reached; true when it is new.
    @discardableResult
    mutating func insert(_ fingerprint: UInt64) -> Bool {
        let key = Self.key(fingerprint)
        let (i, found) = slot(of: key)
        if found { return false }
        store(key, at: i, Entry(sleep: 0, depth: 0, truncated: false, onStack: 0, countedOnly: true))
        return true
    }

    /// The entry of `fingerprint`, unless it is absent or only counted.
    func entry(_ fingerprint: UInt64) -> Entry? {
        let (i, found) = slot(of: Self.key(fingerprint))
        guard found else { return nil }
        let e = decode(i)
        return e.countedOnly ? nil : e
    }

    /// Sets the entry of `fingerprint`.
    mutating func set(_ fingerprint: UInt64, _ entry: Entry) {
        let key = Self.key(fingerprint)
        let (i, found) = slot(of: key)
        if found {
            slots[i].sleep = entry.sleep
            slots[i].meta = Self.meta(entry)
        } else {
            store(key, at: i, entry)
        }
    }

    /// Adds every fingerprint of `other`, the smaller table into the larger one (a search
    /// thread's table is merged into a near-empty one at the end: re-inserting its states would
    /// cost a cache miss each). A fingerprint in both keeps the larger table's entry; only the
    /// counts matter once the searches are over.
    mutating func formUnion(_ other: VisitedTable) {
        var smaller = other
        if count < other.count { swap(&self, &smaller) }
        for other in smaller.slots where other.key != 0 {
            let (i, found) = slot(of: other.key)
            if !found { store(other.key, at: i, Entry(sleep: 0, depth: 0, truncated: false, onStack: 0, countedOnly: true)) }
        }
    }

    private mutating func store(_ key: UInt64, at i: Int, _ entry: Entry) {
        slots[i] = Slot(key: key, sleep: entry.sleep, meta: Self.meta(entry))
        count += 1
        if count * 4 > slots.count * 3 { grow() }
    }

    private static func meta(_ e: Entry) -> UInt64 {
        precondition(e.depth >= 0 && e.depth < 1 << 32 && e.onStack >= 0 && e.onStack < 1 << 16,
                     "a cache entry is out of range")
        return UInt64(e.depth) | UInt64(e.onStack) << 32 | (e.truncated ? 1 << 48 : 0) | (e.countedOnly ? 1 << 49 : 0)
    }

    private func decode(_ i: Int) -> Entry {
        let m = slots[i].meta
        return Entry(sleep: slots[i].sleep, depth: Int(m & 0xFFFF_FFFF), truncated: m & (1 << 48) != 0,
                     onStack: Int((m >> 32) & 0xFFFF), countedOnly: m & (1 << 49) != 0)
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(key: 0, sleep: 0, meta: 0), count: old.count * 2)
        mask = slots.count - 1
        for slot in old where slot.key != 0 {
            let (i, _) = self.slot(of: slot.key)
            slots[i] = slot
        }
    }
}
