/// A map kept as one array of pairs sorted by key: the specs' containers for what is still open.
///
/// What a spec holds is small (the entries in flight, a few streams and paths), so a binary
/// search over a flat array beats hashing, a copy on write is one copy of one array (the
/// explorer copies a spec on every branch), and iterating in key order is the canonical order a
/// fingerprint needs, with no sort. Keys mostly arrive in increasing order (seqs, lsns, sns),
/// so an insert is usually an append.
struct SortedMap<Key: Comparable & Sendable, Value: Sendable>: Sendable {
    /// The pairs, by increasing key.
    private(set) var elements: [(key: Key, value: Value)] = []

    /// An empty map.
    init() {}

    /// The number of keys.
    var count: Int { elements.count }

    /// Whether the map holds nothing.
    var isEmpty: Bool { elements.isEmpty }

    /// The keys, increasing (a copy).
    var keys: [Key] { elements.map(\.key) }

    /// The values, in key order (a copy).
    var values: [Value] { elements.map(\.value) }

    /// The key at `index` (into `elements`), read in place: the array's getter would copy the
    /// pair out, value and all, and retain what the value holds.
    @inline(__always) private func key(at index: Int) -> Key {
        elements.withUnsafeBufferPointer { $0[index].key }
    }

    /// The index of the first key not below `key`.
    func lowerBound(_ key: Key) -> Int {
        let count = elements.count
        // Integer keys are mostly dense (streams and paths from 0, sns, lsns): such a key sits
        // as far from the first key's index as it is from the first key.
        if let k = key as? Int, count > 0 {
            let i = k &- (self.key(at: 0) as! Int)
            if i >= 0, i < count, self.key(at: i) == key { return i }
        }
        // Most other lookups are of the greatest key or past it.
        if count > 0, self.key(at: count - 1) < key { return count }
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo &+ hi) >> 1
            if self.key(at: mid) < key { lo = mid &+ 1 } else { hi = mid }
        }
        return lo
    }

    /// The index of `key`, if it is there.
    func index(of key: Key) -> Int? {
        let i = lowerBound(key)
        return i < elements.count && self.key(at: i) == key ? i : nil
    }

    /// Whether `key` is there.
    func contains(_ key: Key) -> Bool { index(of: key) != nil }

    /// The value of `key`; setting nil removes it.
    subscript(key: Key) -> Value? {
        get { index(of: key).map { elements[$0].value } }
        set {
            if let newValue { set(newValue, forKey: key) } else { removeValue(forKey: key) }
        }
    }

    /// The value of `key`, inserted as `defaultValue` first when absent; changed in place.
    subscript(key: Key, default defaultValue: @autoclosure () -> Value) -> Value {
        get { index(of: key).map { elements[$0].value } ?? defaultValue() }
        _modify {
            let i = lowerBound(key)
            if i == elements.count || self.key(at: i) != key { elements.insert((key, defaultValue()), at: i) }
            yield &elements[i].value
        }
    }

    /// `body` of the value of `key`, if it is there, read in place: the value is not copied,
    /// so a look at one field of a value that holds arrays costs no reference counting.
    func read<R>(_ key: Key, _ body: (Value) -> R) -> R? {
        guard let i = index(of: key) else { return nil }
        // Through the buffer: the array's getter would copy the pair out first.
        return elements.withUnsafeBufferPointer { body($0[i].value) }
    }

    /// Changes the value of `key` in place, if it is there; returns what `body` returned.
    @discardableResult
    mutating func modify<R>(_ key: Key, _ body: (inout Value) -> R) -> R? {
        guard let i = index(of: key) else { return nil }
        return body(&elements[i].value)
    }

    /// Sets the value of `key`; returns whether the key is new.
    @discardableResult
    mutating func set(_ value: Value, forKey key: Key) -> Bool {
        let i = lowerBound(key)
        if i < elements.count && self.key(at: i) == key {
            elements[i].value = value
            return false
        }
        elements.insert((key, value), at: i)
        return true
    }

    /// Changes the value at `index` (into `elements`) in place.
    mutating func modifyValue<R>(at index: Int, _ body: (inout Value) -> R) -> R {
        body(&elements[index].value)
    }

    /// Removes `key`; returns its value, if it was there.
    @discardableResult
    mutating func removeValue(forKey key: Key) -> Value? {
        guard let i = index(of: key) else { return nil }
        return elements.remove(at: i).value
    }

    /// Removes `key` if `condition` of its value (read in place) holds; returns the value it
    /// removed. One lookup where a read and then a removal took two.
    @discardableResult
    mutating func removeValue(forKey key: Key, if condition: (Value) -> Bool) -> Value? {
        guard let i = index(of: key), elements.withUnsafeBufferPointer({ condition($0[i].value) }) else { return nil }
        return elements.remove(at: i).value
    }

    /// Removes the pairs at `indices` (into `elements`).
    mutating func removeSubrange(_ indices: Range<Int>) { elements.removeSubrange(indices) }

    /// Removes everything.
    mutating func removeAll() { elements.removeAll() }

    /// The same keys with `transform` of each value.
    func mapValues<T>(_ transform: (Value) -> T) -> SortedMap<Key, T> {
        var result = SortedMap<Key, T>()
        result.elements = elements.map { ($0.key, transform($0.value)) }
        return result
    }
}

/// A set kept as a sorted array (see `SortedMap`).
struct SortedSet<Element: Comparable & Sendable>: Sendable {
    /// The elements, increasing.
    private(set) var elements: [Element] = []

    /// An empty set.
    init() {}

    /// The number of elements.
    var count: Int { elements.count }

    /// Whether the set is empty.
    var isEmpty: Bool { elements.isEmpty }

    private func lowerBound(_ element: Element) -> Int {
        if let last = elements.last, last < element { return elements.count }
        var lo = 0, hi = elements.count
        while lo < hi {
            let mid = (lo &+ hi) >> 1
            if elements[mid] < element { lo = mid &+ 1 } else { hi = mid }
        }
        return lo
    }

    /// Whether `element` is there.
    func contains(_ element: Element) -> Bool {
        let i = lowerBound(element)
        return i < elements.count && elements[i] == element
    }

    /// Inserts `element`; returns false when it was there already.
    @discardableResult
    mutating func insert(_ element: Element) -> Bool {
        let i = lowerBound(element)
        if i < elements.count && elements[i] == element { return false }
        elements.insert(element, at: i)
        return true
    }

    /// Removes `element`; returns whether it was there.
    @discardableResult
    mutating func remove(_ element: Element) -> Bool {
        let i = lowerBound(element)
        guard i < elements.count && elements[i] == element else { return false }
        elements.remove(at: i)
        return true
    }

    /// Removes everything.
    mutating func removeAll() { elements.removeAll() }
}
