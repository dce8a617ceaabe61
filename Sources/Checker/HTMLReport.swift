import Foundation
import Specs
import Trace

/// A check's report as one self-contained HTML page (`--html FILE` on `plumb check`, `plumb
/// explore` and `plumb replay`): inline CSS and script, nothing fetched, so it opens from a CI
/// artifact on a laptop.
///
/// The page shows one lane per node with the events laid out left to right by happens-before
/// rank (an event is drawn right of every event that happens before it), `cause` links as
/// arrows, crashes, path failures, takeovers and recoveries marked on their lanes, and each
/// violation's events highlighted with its invariant and message. The counterexample order is
/// numbered and can be stepped through (buttons, or the arrow keys); hovering or clicking an
/// event shows its fields and file:line. A trace of more than `maxEvents` events shows the
/// neighbourhood of its violations (their events and, for each, the latest events of each node
/// that happen before it) and says how many events it leaves out. A passing trace gets a summary: nodes,
/// events, invariants and proofs (and its timeline when it is small).
///
/// Every string from the trace or the command line is escaped: a hostile trace cannot add
/// markup or script to the page. Rendering reads the trace files again (once, or three times
/// for a large failing trace); memory stays bounded by `maxEvents` plus the vector clocks.
public struct HTMLReport: Sendable {
    /// A violation found outside the trace (an explorer check such as the driver's contents),
    /// shown above the timeline since no trace event carries it.
    package struct OtherViolation: Sendable {
        /// The check's name.
        package var invariant: String
        /// What went wrong.
        package var message: String

        /// Makes one.
        package init(invariant: String, message: String) {
            self.invariant = invariant
            self.message = message
        }
    }

    /// The most events drawn; a larger trace shows the violations' neighbourhood.
    public var maxEvents = 1500
    /// The page's heading.
    public var title = "plumb check"
    /// Lines under the heading: where the trace came from (an exploration, a replay token).
    public var context: [String] = []
    /// Numbered lines shown under the context (an explorer's schedule).
    package var schedule: [String] = []
    /// A violation the trace itself does not show.
    package var otherViolation: OtherViolation?
    /// The files to read the events from, when the report names them otherwise (standard
    /// input, copied to a temporary file, is `<stdin>` in the report); nil: the report's files.
    package var readFrom: [String]?
    /// Whether the trace is a capture cut short (read as `plumb check --truncated` read it).
    public var allowTruncated = false
    /// Violations drawn with their steps; the rest are listed only.
    package static let violationsDrawn = 20

    /// Makes a renderer with the defaults.
    public init() {}

    /// The page for `report`, whose files are read again to draw the events.
    public func render(_ report: CheckReport) -> String {
        var body = header(report)
        if let error = report.error {
            body += "<section class=\"error\"><h2>Not a valid trace</h2><p>"
                + Self.escape(error.file.isEmpty ? "" : "\(error.file):\(error.line): ") + Self.escape(error.message)
                + "</p></section>\n"
            return page(body, data: "{\"events\":[],\"violations\":[]}")
        }
        let drawn = Array(report.violations.prefix(Self.violationsDrawn))
        var targets = Set<EventID>()
        for (k, v) in drawn.enumerated() {
            for e in v.events + v.counterexample { targets.insert(e.id) }
            if let d = report.decision(k) { targets.insert(d.id) }
        }
        let selection = select(readFrom ?? report.files, targets: targets)
        let timeline = Timeline(events: selection.events, report: report, drawn: drawn, partial: selection.omitted > 0)
        body += violationsSection(report, timeline: timeline)
        body += unprovedSection(report)
        body += timelineSection(selection, timeline: timeline, report: report)
        body += summarySection(report, selection: selection)
        return page(body, data: timeline.json())
    }

    // MARK: Sections

    private func header(_ report: CheckReport) -> String {
        let verdict = report.verdict
        let word: String = switch verdict {
        case .pass: "PASS"
        case .fail: "FAIL"
        case .error: "ERROR"
        case .unknown: "INCONCLUSIVE"
        }
        var out = "<header><h1>\(Self.escape(title)) <span class=\"verdict \(verdict.rawValue)\">\(word)</span>"
        if otherViolation != nil && verdict == .pass {
            out = "<header><h1>\(Self.escape(title)) <span class=\"verdict fail\">VIOLATION</span>"
                + " <small>(an explorer check; plumb check passes the trace)</small>"
        }
        out += "</h1>\n"
        let system = report.system.map { "\($0.rawValue) trace" } ?? "trace"
        out += "<p class=\"files\">\(Self.escape(system)): \(report.files.map(Self.escape).joined(separator: ", "))</p>\n"
        for line in context { out += "<p class=\"context\">\(Self.escape(line))</p>\n" }
        if !schedule.isEmpty {
            out += "<details class=\"schedule\"><summary>schedule (\(schedule.count) step\(schedule.count == 1 ? "" : "s"))</summary><ol>"
            for step in schedule { out += "<li>\(Self.escape(step))</li>" }
            out += "</ol></details>\n"
        }
        return out + "</header>\n"
    }

    private func violationsSection(_ report: CheckReport, timeline: Timeline) -> String {
        guard !report.violations.isEmpty || otherViolation != nil else { return "" }
        var out = "<section class=\"violations\"><h2>Violations</h2><ol id=\"violations\">\n"
        if let other = otherViolation {
            out += "<li class=\"violation other\"><strong class=\"invariant\">\(Self.escape(other.invariant))</strong>: "
                + "\(Self.escape(other.message))<br><small>a check of the explorer beyond the trace format: "
                + "no trace event carries it</small></li>\n"
        }
        for (k, v) in report.violations.enumerated() {
            let drawn = k < Self.violationsDrawn
            out += "<li class=\"violation\(k == 0 ? " selected" : "")\"\(drawn ? " data-v=\"\(k)\"" : "")>"
            out += "<strong class=\"invariant\">\(Self.escape(v.invariant.rawValue))</strong>: \(Self.escape(v.message))"
            if let d = report.decision(k) {
                out += "<br><span class=\"decided\">decided at \(Self.escape(describe(d, report)))</span>"
            }
            out += "<br><span class=\"involved\">events: \(v.events.map { Self.escape(describe($0, report)) }.joined(separator: "; "))</span>"
            if drawn && !v.counterexample.isEmpty {
                out += "<br><small>\(v.counterexample.count) step\(v.counterexample.count == 1 ? "" : "s") of a happens-before order that breaks it: select, then step with the buttons or the arrow keys</small>"
            }
            out += "</li>\n"
        }
        out += "</ol>"
        let more = report.suppressed.values.reduce(0, +)
        if more > 0 { out += "<p>… and \(more) more violations not kept.</p>" }
        return out + "</section>\n"
    }

    private func unprovedSection(_ report: CheckReport) -> String {
        guard report.unprovedCount > 0 || !report.disagreements.isEmpty else { return "" }
        var out = "<section class=\"unproved\"><h2>Not proved</h2><ul>"
        for d in report.disagreements { out += "<li>INTERNAL: engines disagree: \(Self.escape(d))</li>" }
        for u in report.unproved {
            let what = u.events.isEmpty ? "its dependency graph is acyclic"
                : u.events.map { describe($0, report) }.joined(separator: "  happens-before  ")
            out += "<li><strong>\(Self.escape(u.invariant.rawValue))</strong>: \(Self.escape(what))</li>"
        }
        out += "</ul>"
        if report.unprovedCount > 0 {
            out += "<p class=\"note\">\(report.unprovedCount) obligation\(report.unprovedCount == 1 ? "" : "s") left unproved "
                + "(the solver gave up within --timeout or --solver-rlimit); rerun with a larger one to prove them.</p>"
        }
        return out + "</section>\n"
    }

    private func timelineSection(_ selection: Selection, timeline: Timeline, report: CheckReport) -> String {
        var out = "<section class=\"timeline\"><h2>Events in happens-before order</h2>\n"
        if selection.events.isEmpty {
            let why = selection.total == 0 ? "the trace has no events" : "\(selection.total) events, more than the \(maxEvents) drawn"
            return out + "<p class=\"note\">No timeline: \(why).</p></section>\n"
        }
        if selection.omitted > 0 {
            out += "<p class=\"note omitted\">Showing \(selection.events.count) of \(selection.total) events: the violations' "
                + "events and, for each of them, the latest events of each node that happen before it; \(selection.omitted) events left out"
                + (timeline.stubs > 0 ? ", and \(timeline.stubs) cause links from them drawn as stubs" : "") + ".</p>\n"
        }
        out += "<div class=\"controls\"><button id=\"first\" type=\"button\">« first</button>"
            + "<button id=\"prev\" type=\"button\">◀ prev</button><button id=\"next\" type=\"button\">next ▶</button>"
            + "<span id=\"stepinfo\">\(timeline.hasSteps ? "step 0 of \(timeline.stepCount(0))" : "no steps")</span>"
            + "<span class=\"legend\"><i class=\"l-hl\"></i>violation <i class=\"l-decided\"></i>decided at "
            + "<i class=\"l-crash\"></i>crash <i class=\"l-pathdown\"></i>path down <i class=\"l-takeover\"></i>takeover "
            + "<i class=\"l-recovery\"></i>recovery</span></div>\n"
        out += "<div class=\"frame\"><div class=\"lane-names\">" + timeline.labels() + "</div><div class=\"scroller\">"
            + timeline.svg() + "</div></div>\n"
        out += "<div id=\"details\" class=\"details\">Hover or click an event to see its fields and where it was read.</div>\n"
        return out + "</section>\n"
    }

    private func summarySection(_ report: CheckReport, selection: Selection) -> String {
        var out = "<section class=\"summary\"><h2>Summary</h2>\n"
        out += "<p>\(report.stats.events) events, \(report.stats.nodes) node\(report.stats.nodes == 1 ? "" : "s"), "
            + "\(report.files.count) file\(report.files.count == 1 ? "" : "s"); checked in \(Int(report.stats.ms.rounded())) ms.</p>\n"
        out += "<table class=\"nodes\"><tr><th>node</th><th>events</th><th>seqs</th></tr>"
        for n in selection.perNode {
            out += "<tr><td>\(Self.escape(n.node))</td><td>\(n.count)</td><td>\(n.first)…\(n.last)</td></tr>"
        }
        out += "</table>\n<table class=\"names\"><tr><th>event</th><th>count</th></tr>"
        for (name, count) in selection.perName { out += "<tr><td>\(Self.escape(name))</td><td>\(count)</td></tr>" }
        out += "</table>\n<table class=\"proofs\"><tr><th>invariant</th><th>proofs</th></tr>"
        var byInvariant: [Invariant: [CheckReport.Proof]] = [:]
        for p in report.proofs { byInvariant[p.invariant, default: []].append(p) }
        for invariant in report.proofs.map(\.invariant).uniqued() {
            let mine = byInvariant[invariant]!
            let line = report.proofLine(graph: mine.first { $0.engine == .graph }, z3: mine.first { $0.engine == .z3 })
            let broken = mine.contains { $0.result == .refuted }
            out += "<tr class=\"\(broken ? "broken" : "holds")\"><td>\(Self.escape(invariant.rawValue))</td><td>\(Self.escape(line))</td></tr>"
        }
        return out + "</table></section>\n"
    }

    /// `name node#seq at file:line`.
    func describe(_ stamp: EventStamp, _ report: CheckReport) -> String {
        var s = stamp.name.isEmpty ? "\(stamp.id)" : "\(stamp.name) \(stamp.id)"
        if stamp.location.file >= 0 && stamp.location.file < report.files.count {
            s += " at \(report.files[stamp.location.file]):\(stamp.location.line)"
        }
        return s
    }

    private func page(_ body: String, data: String) -> String {
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            + "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
            + "<title>\(Self.escape(title))</title>\n<style>\(Self.css)</style></head>\n<body>\n" + body
            + "<script type=\"application/json\" id=\"plumb-data\">\(data)</script>\n"
            + "<script>\(Self.script)</script>\n</body></html>\n"
    }

    /// `text` safe inside HTML text and attribute values: `& < > " '` as entities, NUL as U+FFFD.
    package static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\u{0}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// JSON text safe inside a `<script>` element: `<`, `>`, `&`, U+2028 and U+2029 as `\u` escapes.
    static func scriptSafe(_ json: String) -> String {
        var out = ""
        out.reserveCapacity(json.utf8.count)
        for scalar in json.unicodeScalars {
            switch scalar {
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
