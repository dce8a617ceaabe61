import Checker
import Foundation
import Trace

/// The progress of a long `plumb check` on standard error: the bytes of the trace read out of
/// its files' total (compressed bytes for gzip files), events replayed, the rate, and an
/// estimate of the time left. On a terminal, one line rewritten in place (at most four times a
/// second, and only with `--format text`); off one (a CI log), a line every `interval`, so
/// that a long check is not silent and a log is not flooded. Like `ExploreProgressLine`, whose
/// counts it formats.
final class CheckProgressLine: Sendable {
    /// Whether standard error is a terminal.
    let onTerminal: Bool
    /// Off a terminal, the time between two lines; on one, the least time between rewrites.
    let interval: Duration
    /// Where the text goes (standard error; tests collect it).
    let output: @Sendable (String) -> Void
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    /// When the last line was printed, whether one is on the terminal now, and the size of the
    /// trace's files in bytes (nil: unknown).
    private let state = Locked<(last: Duration, shown: Bool, total: Int?)>((.zero, false, nil))

    /// On a terminal, the least time between two rewrites of the line.
    static let terminalInterval = Duration.milliseconds(250)

    /// Makes a progress line starting now.
    init(onTerminal: Bool, interval: Duration = ExploreProgressLine.defaultInterval,
         output: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.onTerminal = onTerminal
        self.interval = onTerminal ? Self.terminalInterval : interval
        self.output = output
        start = clock.now
    }

    /// Starts a trace (the next with `--each`) whose files hold `totalBytes` (nil: unknown).
    func begin(totalBytes: Int?) {
        state.withLock { $0.total = totalBytes }
    }

    /// Shows how far the check got, if a line is due.
    func show(_ done: Checker.Options.Progress) {
        let elapsed = start.duration(to: clock.now)
        let due = state.withLock { s -> (Bool, Int?) in
            guard elapsed - s.last >= interval else { return (false, nil) }
            s.last = elapsed
            s.shown = true
            return (true, s.total)
        }
        guard due.0 else { return }
        let line = text(done, elapsed: elapsed, total: due.1)
        output(onTerminal ? "\r" + line + "\u{1B}[K" : line + "\n")
    }

    /// Clears the rewritten line on a terminal; nothing off one.
    func finish() {
        if onTerminal && state.withLock({ $0.shown }) { output("\r\u{1B}[K") }
    }

    /// `check: 61.2 of 100.0 MB read (61%), 1,234,567 events, 456,789 events/s, 3 s, ~2 s left`,
    /// or without the total and the time left when the size is unknown.
    func text(_ done: Checker.Options.Progress, elapsed: Duration, total: Int? = nil) -> String {
        let seconds = elapsed.seconds
        let rate = seconds > 0 ? Double(done.events) / seconds : 0
        let read = min(done.bytesRead, total ?? .max)
        var line = "check: \(Self.megabytes(read))"
        if let total, total > 0 {
            line += " of \(Self.megabytes(total)) MB read (\(read * 100 / total)%)"
        } else {
            line += " MB read"
        }
        line += ", \(ExploreProgressLine.count(done.events)) events, \(ExploreProgressLine.count(Int(rate))) events/s, \(Int(seconds)) s"
        if let total, total > 0, read > 0, seconds > 0 {
            let left = seconds * Double(total - read) / Double(read)
            line += ", ~\(Int(left.rounded(.up))) s left"
        }
        return line
    }

    /// Bytes in megabytes (10^6), one decimal.
    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1e6) }

    /// The size of `files` in bytes (gzip files as stored); nil when one cannot be read.
    static func totalBytes(_ files: [String]) -> Int? {
        var total = 0
        for path in files {
            guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else { return nil }
            total += size
        }
        return total
    }
}
