/// The `key=value key=value` form every system's configuration takes in a replay token.
enum ConfigurationText {
    /// The pairs of `text`, separated by spaces, tabs or commas; nil when an item has no `=`
    /// or a key repeats.
    static func pairs(_ text: String) -> [(key: String, value: String)]? {
        var seen: Set<String> = []
        var pairs: [(key: String, value: String)] = []
        for item in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, seen.insert(parts[0]).inserted else { return nil }
            pairs.append((parts[0], parts[1]))
        }
        return pairs
    }
}
