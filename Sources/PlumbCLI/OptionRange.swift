import ArgumentParser
import Foundation

/// The range checks every numeric option goes through in its command's `validate()`: a value
/// outside its range (NaN and infinity included) is refused before anything runs, exit 2, with
/// a message naming the option, the value given and the range allowed, e.g.
/// `--time inf is out of range: allowed are 0.001...31536000 seconds`.
///
/// The upper bounds keep later arithmetic (seconds to milliseconds, sizes times counts) from
/// overflowing and one option from asking for unbounded memory or threads.
enum OptionRange {
    /// The longest time any option takes (a search, a solver query, a run): a year, in seconds.
    static let maxSeconds = 31_536_000.0
    /// The shortest time a seconds option takes: a millisecond (they are kept in milliseconds).
    static let minSeconds = 0.001
    /// The longest time a milliseconds option takes: an hour.
    static let maxMilliseconds = 3_600_000
    /// The most records, requests or events a recording or bench makes: 10^9.
    static let maxCount = 1_000_000_000
    /// The most rounds or repeats of a bench.
    static let maxRounds = 1_000
    /// The most parts a sharded exploration is split into (`--shard i/n`, `--shards`).
    static let maxShards = 1_024

    /// The most threads `--jobs` takes: 4 × the cores of this machine (`activeProcessorCount`).
    /// More threads than that only queue behind each other, each with a part of the search
    /// tree and a visited table of its own.
    static var maxJobs: Int { 4 * ProcessInfo.processInfo.activeProcessorCount }

    /// `--jobs`' range as help text: `1...N (4 × the C cores here)`.
    static var jobsHelp: String {
        "1...\(maxJobs) (4 × the \(ProcessInfo.processInfo.activeProcessorCount) cores here)"
    }

    /// Refuses an integer `value` of `option` outside `range`; `unit` follows the range.
    static func check<T: BinaryInteger>(_ option: String, _ value: T, _ range: ClosedRange<T>, _ unit: String = "") throws {
        guard !range.contains(value) else { return }
        throw ValidationError(message(option, "\(value)", "\(range.lowerBound)...\(range.upperBound)", unit))
    }

    /// Refuses a number `value` of `option` that is NaN, infinite or outside `range`.
    static func check(_ option: String, _ value: Double, _ range: ClosedRange<Double>, _ unit: String = "") throws {
        guard !value.isFinite || !range.contains(value) else { return }
        throw ValidationError(message(option, "\(value)", "\(number(range.lowerBound))...\(number(range.upperBound))", unit))
    }

    /// Refuses a seconds `value` of `option` outside `minSeconds...maxSeconds`.
    static func seconds(_ option: String, _ value: Double) throws {
        try check(option, value, minSeconds...maxSeconds, "seconds")
    }

    /// Refuses a byte count `value` of `option` outside `range`, printing sizes with units.
    static func bytes(_ option: String, _ value: ByteCount, _ range: ClosedRange<Int>) throws {
        guard !range.contains(value.bytes) else { return }
        let text = "\(value)".contains(".") ? "\(value.bytes) bytes" : "\(value)"
        throw ValidationError(message(option, text, "\(ByteCount(range.lowerBound))...\(ByteCount(range.upperBound))", ""))
    }

    /// `--name value is out of range: allowed are range unit`.
    static func message(_ option: String, _ value: String, _ range: String, _ unit: String) -> String {
        "\(option) \(value) is out of range: allowed are \(range)\(unit.isEmpty ? "" : " " + unit)"
    }

    /// `0.001`, `31536000`: a bound without a trailing `.0`.
    private static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
    }
}
