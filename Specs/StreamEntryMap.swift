import Trace

/// A map keyed by stream entry, kept per stream: a `SortedMap` of streams, each a `SortedMap`
/// of sns. It iterates in the order of `StreamEntry` (stream, then sn), like a
/// `SortedMap<StreamEntry, Value>`, so a fingerprint hashes it alike.
///
/// Why not one sorted array: entries come and go per stream, oldest first, while the streams
/// interleave, so in one array every new entry of a stream but the last is an insert in the
/// middle (moving the later streams' entries), and every forgotten one a removal there. Per
/// stream, an entry is added at the end of a short array and removed from near its front; a
/// copy on write copies the streams' array and the one stream changed.
struct StreamEntryMap<Value: Sendable>: Sendable {
    /// Per stream, by sn.
    private var streams = SortedMap<Int, SortedMap<Int, Value>>()
    /// The number of entries.
    private(set) var count = 0

    /// An empty map.
    init() {}

    /// Whether the map holds nothing.
    var isEmpty: Bool { count == 0 }

    /// The value of `key`; setting nil removes it.
    subscript(key: StreamEntry) -> Value? {
        get { read(key) { $0 } }
        set {
            if let newValue {
                if streams[key.stream, default: SortedMap()].set(newValue, forKey: key.sn) { count += 1 }
            } else {
                _ = removeValue(forKey: key)
            }
        }
    }

    /// The value of `key`, inserted as `defaultValue` first when absent; changed in place.
    subscript(key: StreamEntry, default defaultValue: @autoclosure () -> Value) -> Value {
        get { self[key] ?? defaultValue() }
        _modify {
            var added = false
            yield &streams[key.stream, default: SortedMap()][key.sn, default: { added = true; return defaultValue() }()]
            if added { count += 1 }
        }
    }

    /// `body` of the value of `key`, if it is there, read in place (see `SortedMap.read`).
    func read<R>(_ key: StreamEntry, _ body: (Value) -> R) -> R? {
        streams.read(key.stream) { $0.read(key.sn, body) } ?? nil
    }

    /// Changes the value of `key` in place, if it is there; returns what `body` returned.
    @discardableResult
    mutating func modify<R>(_ key: StreamEntry, _ body: (inout Value) -> R) -> R? {
        guard let s = streams.index(of: key.stream) else { return nil }
        return streams.modifyValue(at: s) { $0.modify(key.sn, body) } ?? nil
    }

    /// Removes `key`; returns its value, if it was there.
    @discardableResult
    mutating func removeValue(forKey key: StreamEntry) -> Value? {
        guard let s = streams.index(of: key.stream) else { return nil }
        let removed = streams.modifyValue(at: s) { $0.removeValue(forKey: key.sn) }
        if removed != nil { count -= 1 }
        return removed
    }

    /// Removes `key` if `condition` of its value (read in place) holds; returns the value it
    /// removed.
    @discardableResult
    mutating func removeValue(forKey key: StreamEntry, if condition: (Value) -> Bool) -> Value? {
        guard let s = streams.index(of: key.stream) else { return nil }
        let removed = streams.modifyValue(at: s) { $0.removeValue(forKey: key.sn, if: condition) }
        if removed != nil { count -= 1 }
        return removed
    }

    /// The entries in key order (stream, then sn).
    var elements: Elements { Elements(streams: streams) }

    /// The entries in key order, as `(key, value)` pairs.
    struct Elements: Sequence {
        fileprivate let streams: SortedMap<Int, SortedMap<Int, Value>>

        /// Walks the streams, and each stream's sns, in order.
        struct Iterator: IteratorProtocol {
            fileprivate let streams: SortedMap<Int, SortedMap<Int, Value>>
            /// The next stream, and the entries of the current one (taken once per stream).
            fileprivate var s = 0
            fileprivate var current: (stream: Int, sns: SortedMap<Int, Value>)?
            fileprivate var i = 0

            /// The next entry.
            mutating func next() -> (key: StreamEntry, value: Value)? {
                while true {
                    if let current, i < current.sns.count {
                        let (sn, value) = current.sns.elements[i]
                        i += 1
                        return (StreamEntry(stream: current.stream, sn: sn), value)
                    }
                    guard s < streams.count else { return nil }
                    let next = streams.elements[s]
                    current = (next.key, next.value)
                    s += 1
                    i = 0
                }
            }
        }

        /// An iterator from the first entry.
        func makeIterator() -> Iterator { Iterator(streams: streams) }
    }
}
