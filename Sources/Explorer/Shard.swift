/// One part of an exploration split `count` ways (`--shard index/count`): the parts are
/// disjoint, and together they cover every execution of the unsplit search, so machines can
/// share one exploration without talking to each other.
package struct Shard: Sendable, Hashable, Codable, CustomStringConvertible {
    /// This part, in `0..<count`.
    package var index: Int
    /// How many parts.
    package var count: Int

    /// The whole search as a single part.
    package static let whole = Shard(valid: 0, count: 1)

    /// Makes part `index` of `count`; nil unless `0 <= index < count`.
    package init?(index: Int, count: Int) {
        guard count > 0, index >= 0, index < count else { return nil }
        self.init(valid: index, count: count)
    }

    private init(valid index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `i/n`, as the CLI's `--shard` takes it; nil when malformed or out of range.
    package init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else { return nil }
        self.init(index: index, count: count)
    }

    /// Reads `{"index": i, "count": n}`, rejecting an index out of range.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let index = try container.decode(Int.self, forKey: .index)
        let count = try container.decode(Int.self, forKey: .count)
        guard Shard(index: index, count: count) != nil else {
            throw DecodingError.dataCorruptedError(forKey: .index, in: container,
                                                   debugDescription: "shard \(index)/\(count) out of range")
        }
        self.init(valid: index, count: count)
    }

    /// Of random or pct search's `total` walks (numbered from 0), how many this part takes:
    /// walk `w` belongs to part `w % count`.
    package func share(of total: Int) -> Int {
        total > index ? (total - index + count - 1) / count : 0
    }

    /// `i/n`.
    package var description: String { "\(index)/\(count)" }
}
