/// A map of integer keys that mostly arrive in increasing order and leave roughly oldest first
/// (the mirror spec's uncommitted lsns): a window of slots indexed by key from its first key,
/// and a `SortedMap` for the keys the window does not cover. It iterates in key order, like a
/// `SortedMap`.
///
/// In the window a lookup is a subtraction, an entry is added at the end, and one removed from
/// near the front moves no other (the dead slots at the front are dropped in bulk, now and
/// then). A key far past the window's end goes to the side map, and so does an entry left
/// behind at the front (one that is never removed) once the window would span more than about
/// twice the entries it holds: the memory follows what is held, not how far the keys spread.
///
/// For small values. (A window per stream of the mirror spec's entries, ~150-byte states a few
/// at a time, measured slower than `StreamEntryMap`'s sorted arrays.)
struct IntWindowMap<Value: Sendable>: Sendable {
    /// The window: `slots[head + i]` holds key `base + i`, nil when absent. From `head` on, the
    /// first and the last slot are never nil (the window is trimmed at both ends).
    private var slots: [Value?] = []
    /// The index in `slots` of the window's first slot; the slots before it are dead.
    private var head = 0
    /// The key of `slots[head]`.
    private var base = 0
    /// How many of the window's slots hold a value.
    private var inWindow = 0
    /// The keys outside the window: below `base`, or past its end.
    private var outside = SortedMap<Int, Value>()

    /// An empty map.
    init() {}

    /// The number of keys.
    var count: Int { inWindow &+ outside.count }

    /// Whether the map holds nothing.
    var isEmpty: Bool { count == 0 }

    /// The number of slots the window spans.
    private var span: Int { slots.count &- head }

    /// The number of slots kept, dead ones in front included (for tests: it must follow the
    /// number of keys, not their spread).
    var slotsKept: Int { slots.count }

    /// The most slots a window holding `n` entries may span (gaps allowed for).
    private static func maxSpan(_ n: Int) -> Int { 2 &* n &+ 32 }

    /// The index in `slots` of `key`'s slot, when the window covers `key` (the slot may be nil).
    @inline(__always) private func slot(_ key: Int) -> Int? {
        // Unsigned, one comparison covers both ends; exact, as every covered key is an Int.
        let offset = UInt(bitPattern: key &- base)
        return offset < UInt(bitPattern: span) ? head &+ Int(bitPattern: offset) : nil
    }

    /// The value of `key`; setting nil removes it.
    subscript(key: Int) -> Value? {
        get { read(key) { $0 } }
        set {
            if let newValue { set(newValue, forKey: key) } else { removeValue(forKey: key) }
        }
    }

    /// The value of `key`, inserted as `defaultValue` first when absent; changed in place.
    subscript(key: Int, default defaultValue: @autoclosure () -> Value) -> Value {
        get { read(key) { $0 } ?? defaultValue() }
        _modify {
            if let i = slot(key) {
                if slots[i] == nil {
                    slots[i] = defaultValue()
                    inWindow &+= 1
                }
                yield &slots[i]!
            } else if !outside.isEmpty && outside.contains(key) {
                yield &outside[key, default: defaultValue()]
            } else if let i = insertNew(defaultValue(), forKey: key) {
                yield &slots[i]!
            } else {
                yield &outside[key, default: defaultValue()]
            }
        }
    }

    /// `body` of the value of `key`, if it is there, read in place.
    func read<R>(_ key: Int, _ body: (Value) -> R) -> R? {
        if let i = slot(key) { return slots.withUnsafeBufferPointer { $0[i].map(body) } }
        return outside.isEmpty ? nil : outside.read(key, body)
    }

    /// Whether `key` is there.
    func contains(_ key: Int) -> Bool { read(key) { _ in true } ?? false }

    /// Changes the value of `key` in place, if it is there; returns what `body` returned.
    @discardableResult
    mutating func modify<R>(_ key: Int, _ body: (inout Value) -> R) -> R? {
        if let i = slot(key) { return slots[i] == nil ? nil : body(&slots[i]!) }
        return outside.isEmpty ? nil : outside.modify(key, body)
    }

    /// Sets the value of `key`; returns whether the key is new.
    @discardableResult
    mutating func set(_ value: Value, forKey key: Int) -> Bool {
        if let i = slot(key) {
            let new = slots[i] == nil
            slots[i] = value
            if new { inWindow &+= 1 }
            return new
        }
        if !outside.isEmpty, outside.modify(key, { $0 = value }) != nil { return false }
        insertNew(value, forKey: key)
        return true
    }

    /// Removes `key`; returns its value, if it was there.
    @discardableResult
    mutating func removeValue(forKey key: Int) -> Value? {
        if let i = slot(key) {
            guard let value = slots[i].take() else { return nil }
            emptied(i)
            return value
        }
        return outside.isEmpty ? nil : outside.removeValue(forKey: key)
    }

    /// Removes `key` if `condition` of its value (read in place) holds; returns the value it
    /// removed.
    @discardableResult
    mutating func removeValue(forKey key: Int, if condition: (Value) -> Bool) -> Value? {
        if let i = slot(key) {
            guard slots.withUnsafeBufferPointer({ $0[i].map(condition) ?? false }) else { return nil }
            let value = slots[i].take()
            emptied(i)
            return value
        }
        return outside.isEmpty ? nil : outside.removeValue(forKey: key, if: condition)
    }

    // MARK: Keeping the window

    /// Adds `key`, which is nowhere yet and outside the window; returns its slot, or nil when
    /// it went to `outside`.
    @discardableResult
    private mutating func insertNew(_ value: Value, forKey key: Int) -> Int? {
        if inWindow == 0 {
            // The window starts afresh at `key` (`outside` holds no key in it: `key` is new).
            slots.removeAll(keepingCapacity: true)
            head = 0
            base = key
            slots.append(value)
            inWindow = 1
            return 0
        }
        // Past the end and near it: the window grows to it. (Elsewhere: to the side.)
        let end = base &+ span
        guard key > base, UInt(bitPattern: key &- end) <= UInt(Self.maxSpan(inWindow &+ 1)) else {
            outside.set(value, forKey: key)
            return nil
        }
        slots.append(contentsOf: repeatElement(nil, count: key &- end))
        slots.append(value)
        inWindow &+= 1
        if !outside.isEmpty { adopt(from: end, upTo: key) }
        fit()
        return slot(key)
    }

    /// Moves the keys of `outside` in `lower..<upper`, which the window now covers, into it.
    private mutating func adopt(from lower: Int, upTo upper: Int) {
        let range = outside.lowerBound(lower)..<outside.lowerBound(upper)
        guard !range.isEmpty else { return }
        for (key, value) in outside.elements[range] { slots[head &+ (key &- base)] = value }
        inWindow &+= range.count
        outside.removeSubrange(range)
    }

    /// After slot `i` of the window was emptied: counts it and trims the window.
    private mutating func emptied(_ i: Int) {
        inWindow &-= 1
        if inWindow == 0 {
            slots.removeAll(keepingCapacity: true)
            head = 0
            return
        }
        if i == head {
            skipFrontGap()
        } else if i == slots.count &- 1 {
            repeat { slots.removeLast() } while slots[slots.count &- 1] == nil
        }
        fit()
    }

    /// Moves `head` past the empty slots at the front (the window holds an entry).
    private mutating func skipFrontGap() {
        while slots[head] == nil {
            head &+= 1
            base &+= 1
        }
    }

    /// Keeps the window within `maxSpan` of its entries, moving the first ones (left behind)
    /// to `outside`, and drops the dead slots in front once they are as many as the live ones.
    private mutating func fit() {
        while span > Self.maxSpan(inWindow) {
            // At least two entries are in the window here (its first and last slots differ).
            outside.set(slots[head].take()!, forKey: base)
            inWindow &-= 1
            skipFrontGap()
        }
        if head >= 32, head >= span {
            slots.removeSubrange(0..<head)
            head = 0
        }
    }

    // MARK: Iterating

    /// The entries in key order, as `(key, value)` pairs.
    var elements: Elements { Elements(map: self) }

    /// The entries in key order: `outside`'s below the window, the window's, then `outside`'s
    /// past it.
    struct Elements: Sequence {
        /// The map walked.
        fileprivate let map: IntWindowMap

        /// Walks `outside` up to the window, the window, then the rest of `outside`.
        struct Iterator: IteratorProtocol {
            /// The map walked.
            fileprivate let map: IntWindowMap
            /// The next index into `map.outside`.
            fileprivate var o = 0
            /// Where the window falls among `map.outside`'s keys: the index of the first past it.
            fileprivate let split: Int
            /// The next index into `map.slots`.
            fileprivate var s: Int

            /// The next entry.
            mutating func next() -> (key: Int, value: Value)? {
                if o < split {
                    o &+= 1
                    return map.outside.elements[o &- 1]
                }
                while s < map.slots.count {
                    let i = s
                    s &+= 1
                    if let value = map.slots[i] { return (map.base &+ (i &- map.head), value) }
                }
                guard o < map.outside.count else { return nil }
                o &+= 1
                return map.outside.elements[o &- 1]
            }
        }

        /// An iterator from the first entry.
        func makeIterator() -> Iterator {
            Iterator(map: map, split: map.inWindow == 0 ? map.outside.count : map.outside.lowerBound(map.base),
                     s: map.head)
        }
    }
}
