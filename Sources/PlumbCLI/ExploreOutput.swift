import Explorer
import Foundation

// Where `plumb explore` writes counterexample traces, and what it says about a shard's budget.
extension ExploreRunner {
    /// Writes `bytes` to a new file `<stem>-<n>.jsonl` in `folder` (created if missing), with
    /// the smallest n whose file does not exist: a later run into the same folder never
    /// overwrites an earlier one's trace. The file appears whole or not at all (written aside,
    /// then linked into place, which fails rather than replace a file another run made
    /// meanwhile). Returns its path, or throws an `OutputError` naming the path and why.
    static func writeNew(_ bytes: [UInt8], in folder: String, stem: String) throws -> String {
        try OutputError.createFolder(folder)
        let aside = (folder as NSString).appendingPathComponent(".\(stem)-\(UUID().uuidString).partial")
        try OutputError.write(Data(bytes), to: aside)
        defer { unlink(aside) }
        var n = 1
        while true {
            let path = (folder as NSString).appendingPathComponent("\(stem)-\(n).jsonl")
            if link(aside, path) == 0 { return path }
            guard errno == EEXIST else {
                throw OutputError(path: path, reason: String(cString: strerror(errno)))
            }
            n += 1
        }
    }

    /// With random or pct search split into shards, how many of the `--executions` walks this
    /// shard runs (`shard 3/8 runs 2,500 of the 20,000 executions`); with exhaustive search,
    /// that the budget bounds this shard's part; nil for an unsplit search or no such budget.
    static func shardNote(_ options: ExplorationOptions) -> String? {
        let shard = options.shard
        guard shard.count > 1, let total = options.budget.executions else { return nil }
        switch options.strategy {
        case .exhaustive:
            return "shard \(shard) stops after \(ExploreProgressLine.count(total)) executions of its own part "
                + "(--executions bounds each shard)"
        case .random, .pct:
            return "shard \(shard) runs \(ExploreProgressLine.count(shard.share(of: total))) of the "
                + "\(ExploreProgressLine.count(total)) executions (walk w belongs to shard w % \(shard.count))"
        }
    }
}
