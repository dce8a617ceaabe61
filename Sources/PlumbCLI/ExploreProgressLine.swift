import Explorer
import Foundation
import Trace

/// The progress of a running `plumb explore` on standard error. On a terminal, one line
/// rewritten in place (as often as the search reports, about four times a second); off a
/// terminal (a CI log, a file), one line every `interval` of the search's time, so that a long
/// run is not silent and a log is not flooded.
final class ExploreProgressLine: Sendable {
    /// The system explored, at the start of each line.
    let system: String
    /// Whether standard error is a terminal (one line rewritten) or not (a line per interval).
    let onTerminal: Bool
    /// Off a terminal, the search time between two lines.
    let interval: Duration
    /// Where the text goes (standard error; tests collect it).
    let output: @Sendable (String) -> Void
    /// Off a terminal, the search time at which the last line was printed.
    private let lastPrinted = Locked<Duration>(.zero)

    /// Off a terminal, the time between two lines unless `--progress-interval` says otherwise.
    static let defaultInterval = Duration.seconds(10)

    /// Makes a progress line for `system`.
    init(system: String, onTerminal: Bool, interval: Duration = ExploreProgressLine.defaultInterval,
         output: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.system = system
        self.onTerminal = onTerminal
        self.interval = interval
        self.output = output
    }

    /// Shows `progress`: rewrites the line on a terminal; off one, prints a line once at least
    /// `interval` has passed since the last one (or since the start).
    func show(_ progress: ExplorationProgress) {
        if onTerminal {
            output("\r" + text(progress) + "   ")
            return
        }
        let due = lastPrinted.withLock { last in
            guard progress.elapsed - last >= interval else { return false }
            last = progress.elapsed
            return true
        }
        if due { output(text(progress) + "\n") }
    }

    /// Clears the rewritten line on a terminal at the end of the search; nothing off one.
    func finish() {
        if onTerminal { output("\r\u{1B}[K") }
    }

    /// `recovery: 12,345 states, 678 executions, depth 31, 45 exec/s, 10 s`.
    func text(_ p: ExplorationProgress) -> String {
        "\(system): \(Self.count(p.states)) states, \(Self.count(p.executions)) executions, depth \(p.currentDepth), "
            + "\(Self.count(Int(p.executionsPerSecond))) exec/s, \(Int(p.elapsed.seconds)) s"
    }

    /// `n` with a comma every three digits: `20,000`.
    static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var result = n < 0 ? "-" : ""
        for (i, digit) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return result
    }
}
