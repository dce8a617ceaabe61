import Foundation
import Trace

/// The progress of a long `plumb check` on standard error: events replayed so far, the rate,
/// and, for plain (not gzip) files, the share of the trace done and an estimate of the time
/// left, from the files' sizes and the length of their first lines. On a terminal, one line rewritten in place (at most four times a second, and only
/// with `--format text`); off one (a CI log), a line every `interval`, so that a long check is
/// not silent and a log is not flooded. Like `ExploreProgressLine`, whose counts it formats.
final class CheckProgressLine: Sendable {
    /// Whether standard error is a terminal.
    let onTerminal: Bool
    /// Off a terminal, the time between two lines; on one, the least time between rewrites.
    let interval: Duration
    /// Where the text goes (standard error; tests collect it).
    let output: @Sendable (String) -> Void
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    /// When the last line was printed, whether one is on the terminal now, and the trace's
    /// estimated size in events (nil: unknown).
    private let state = Locked<(last: Duration, shown: Bool, estimate: Int?)>((.zero, false, nil))

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

    /// Starts a trace (the next with `--each`) of about `estimatedEvents` events (nil: unknown).
    func begin(estimatedEvents: Int?) {
        state.withLock { $0.estimate = estimatedEvents }
    }

    /// Shows that `events` were replayed so far, if a line is due.
    func show(events: Int) {
        let elapsed = start.duration(to: clock.now)
        let due = state.withLock { s -> (Bool, Int?) in
            guard elapsed - s.last >= interval else { return (false, nil) }
            s.last = elapsed
            s.shown = true
            return (true, s.estimate)
        }
        guard due.0 else { return }
        let line = text(events: events, elapsed: elapsed, estimate: due.1)
        output(onTerminal ? "\r" + line + "\u{1B}[K" : line + "\n")
    }

    /// Clears the rewritten line on a terminal; nothing off one.
    func finish() {
        if onTerminal && state.withLock({ $0.shown }) { output("\r\u{1B}[K") }
    }

    /// `check: 1,234,567 events, 456,789 events/s, 3 s`, with an estimate of the trace's size
    /// `check: 1,234,567 of ~2,000,000 events (61%), 456,789 events/s, 3 s, ~2 s left`.
    func text(events: Int, elapsed: Duration, estimate: Int? = nil) -> String {
        let seconds = elapsed.seconds
        let rate = seconds > 0 ? Double(events) / seconds : 0
        var line = "check: \(ExploreProgressLine.count(events))"
        if let estimate, estimate >= events, estimate > 0 {
            line += " of ~\(ExploreProgressLine.count(estimate)) events (\(events * 100 / estimate)%)"
        } else {
            line += " events"
        }
        line += ", \(ExploreProgressLine.count(Int(rate))) events/s, \(Int(seconds)) s"
        if let estimate, estimate >= events, rate > 0 {
            line += ", ~\(Int((Double(estimate - events) / rate).rounded(.up))) s left"
        }
        return line
    }

    /// The number of lines of `files` (about their events), estimated from the length of the
    /// first lines of each (up to 256 KiB read); nil when one is gzip or cannot be read.
    static func estimateEvents(_ files: [String]) -> Int? {
        var total = 0
        for path in files {
            guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
            defer { try? handle.close() }
            guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
                  let sample = try? handle.read(upToCount: 256 << 10), !sample.isEmpty else { return nil }
            if sample.count >= 2 && sample[sample.startIndex] == 0x1F && sample[sample.startIndex + 1] == 0x8B { return nil }
            let lines = sample.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            total += sample.count >= size ? lines : Int(Double(size) * Double(max(lines, 1)) / Double(sample.count))
        }
        return total
    }
}
