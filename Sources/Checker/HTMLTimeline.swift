import Foundation
import Specs
import Trace

/// The drawing of an `HTMLReport`: events placed on one lane per node, left to right by
/// happens-before rank, as static SVG (it shows without script), and the data the page's script
/// steps through.
struct Timeline {
    /// The events drawn, sorted by rank, then lane.
    private(set) var events: [TraceEvent] = []
    /// Per event: its column (happens-before rank among the events drawn) and its lane.
    private(set) var rank: [Int] = []
    private(set) var lane: [Int] = []
    /// The nodes, one lane each, in order of their first event.
    private(set) var nodes: [String] = []
    /// Per violation drawn: the events of its steps (its counterexample order, else its events),
    /// as indices into `events`.
    private(set) var steps: [[Int]] = []
    /// Per violation drawn: its events and where it was decided.
    private(set) var involved: [[Int]] = []
    private(set) var decided: [Int?] = []
    /// Cause links whose cause is not drawn.
    private(set) var stubs = 0
    private let report: CheckReport
    private let drawn: [Violation]
    private var indexOf: [EventID: Int] = [:]

    static let left = 10.0, top = 46.0, column = 64.0, laneHeight = 78.0, labelWidth = 150.0

    /// Whether events were left out (a large trace): gaps in a lane's seqs are then marked.
    private let partial: Bool

    init(events unsorted: [TraceEvent], report: CheckReport, drawn: [Violation], partial: Bool = false) {
        self.report = report
        self.drawn = drawn
        self.partial = partial
        layOut(unsorted)
        for (k, v) in drawn.enumerated() {
            // The counterexample order, or else the violation's events as drawn, left to right.
            steps.append(v.counterexample.isEmpty
                ? v.events.compactMap { indexOf[$0.id] }.sorted() : v.counterexample.compactMap { indexOf[$0.id] })
            involved.append(v.events.compactMap { indexOf[$0.id] })
            decided.append(report.decision(k).flatMap { indexOf[$0.id] })
        }
    }

    /// Whether the first violation has steps to go through.
    var hasSteps: Bool { !(steps.first ?? []).isEmpty }

    /// The number of steps of violation `k`.
    func stepCount(_ k: Int) -> Int { k < steps.count ? steps[k].count : 0 }

    /// Ranks by a topological walk: along each node by seq, and from each cause drawn.
    private mutating func layOut(_ unsorted: [TraceEvent]) {
        var byNode: [ExactName: [Int]] = [:]
        var nodeOrder: [ExactName] = []
        for (i, e) in unsorted.enumerated() {
            let key = ExactName(e.node)
            if byNode[key] == nil { nodeOrder.append(key) }
            byNode[key, default: []].append(i)
        }
        var position: [EventID: Int] = [:]
        for (i, e) in unsorted.enumerated() { position[e.id] = i }
        // Edges: the previous drawn event of the node, and each drawn cause.
        var preds = Array(repeating: [Int](), count: unsorted.count)
        for key in nodeOrder {
            let list = byNode[key]!.sorted { unsorted[$0].seq < unsorted[$1].seq }
            for j in list.indices.dropFirst() { preds[list[j]].append(list[j - 1]) }
        }
        for (i, e) in unsorted.enumerated() {
            for cause in e.causes {
                if let c = position[cause], c != i { preds[i].append(c) } else { stubs += 1 }
            }
        }
        var succs = Array(repeating: [Int](), count: unsorted.count)
        var waiting = preds.map(\.count)
        for (i, ps) in preds.enumerated() { for p in ps { succs[p].append(i) } }
        var ranks = Array(repeating: 0, count: unsorted.count)
        var ready = unsorted.indices.filter { waiting[$0] == 0 }
        var done = 0
        while let i = ready.popLast() {
            done += 1
            for s in succs[i] {
                ranks[s] = max(ranks[s], ranks[i] + 1)
                waiting[s] -= 1
                if waiting[s] == 0 { ready.append(s) }
            }
        }
        // A cycle cannot be in a checked trace; should one be, its events keep rank 0.
        _ = done
        // Nodes in order of their earliest-ranked event, then first appearance.
        let laneOrder = nodeOrder.enumerated().sorted { a, b in
            let ra = byNode[a.element]!.map { ranks[$0] }.min()!, rb = byNode[b.element]!.map { ranks[$0] }.min()!
            return ra != rb ? ra < rb : a.offset < b.offset
        }.map(\.element)
        var laneOf: [ExactName: Int] = [:]
        for (l, key) in laneOrder.enumerated() { laneOf[key] = l }
        nodes = laneOrder.map(\.string)
        let sorted = unsorted.indices.sorted { a, b in
            ranks[a] != ranks[b] ? ranks[a] < ranks[b] : laneOf[ExactName(unsorted[a].node)]! < laneOf[ExactName(unsorted[b].node)]!
        }
        events = sorted.map { unsorted[$0] }
        rank = sorted.map { ranks[$0] }
        lane = events.map { laneOf[ExactName($0.node)]! }
        for (i, e) in events.enumerated() { indexOf[e.id] = i }
    }

    private func x(_ i: Int) -> Double { Self.left + 30 + Double(rank[i]) * Self.column }
    private func y(_ i: Int) -> Double { Self.top + Double(lane[i]) * Self.laneHeight }

    /// The marker class of an event: crash, path failure or return, takeover, recovery.
    static func marker(_ kind: EventKind) -> String? {
        switch kind {
        case .crash: "m-crash"
        case .path(_, let up): up ? "m-pathup" : "m-pathdown"
        case .takeover: "m-takeover"
        case .recovered, .online, .begin, .done: "m-recovery"
        case .end(_, let ok, _) where !ok: "m-failed"
        default: nil
        }
    }

    /// The lanes' names, as an SVG element of their own that stays in place while the
    /// timeline scrolls sideways.
    func labels() -> String {
        let height = Self.top + Double(max(nodes.count, 1)) * Self.laneHeight
        var out = "<svg class=\"labels\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(Self.labelWidth))\" height=\"\(Int(height))\">"
        for (l, node) in nodes.enumerated() {
            let ly = Self.top + Double(l) * Self.laneHeight
            out += "<text class=\"lane-label\" x=\"8\" y=\"\(ly + 4)\"><title>\(HTMLReport.escape(node))</title>"
                + "\(HTMLReport.escape(Self.clip(node, 20)))</text>"
        }
        return out + "</svg>"
    }

    /// The timeline as an SVG element.
    func svg() -> String {
        let width = Self.left + 80 + Double((rank.max() ?? 0) + 1) * Self.column
        let height = Self.top + Double(max(nodes.count, 1)) * Self.laneHeight
        var out = "<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\">"
        out += "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
            + "orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\"/></marker></defs>"
        for (l, node) in nodes.enumerated() {
            let ly = Self.top + Double(l) * Self.laneHeight
            out += "<g class=\"lane\" data-node=\"\(HTMLReport.escape(node))\"><line x1=\"\(Self.left)\" y1=\"\(ly)\" "
                + "x2=\"\(width - 20)\" y2=\"\(ly)\"/></g>"
        }
        if partial { out += gaps() }
        let highlighted = Set(involved.flatMap { $0 })
        let decidedSet = Set(decided.compactMap { $0 })
        // Cause arrows, under the events.
        for (i, e) in events.enumerated() {
            for cause in e.causes {
                guard let c = indexOf[cause] else {
                    out += "<line class=\"cause stub\" x1=\"\(x(i) - 26)\" y1=\"\(y(i) - 18)\" x2=\"\(x(i) - 8)\" y2=\"\(y(i) - 6)\" marker-end=\"url(#arrow)\"/>"
                    continue
                }
                let hot = highlighted.contains(i) || highlighted.contains(c)
                let (x1, y1, x2, y2) = (x(c), y(c), x(i), y(i))
                let mid = (x1 + x2) / 2
                out += "<path class=\"cause\(hot ? " hot" : "")\" data-from=\"\(c)\" data-to=\"\(i)\" "
                    + "d=\"M\(x1),\(y1) C\(mid),\(y1) \(mid),\(y2) \(x2 - 8),\(y2)\" marker-end=\"url(#arrow)\"/>"
            }
        }
        for (i, e) in events.enumerated() {
            var classes = ["ev"]
            if let m = Self.marker(e.kind) { classes.append(m) }
            if highlighted.contains(i) { classes.append("hl") }
            if decidedSet.contains(i) { classes.append("decided") }
            let where_ = e.location.file >= 0 && e.location.file < report.files.count
                ? " at \(report.files[e.location.file]):\(e.location.line)" : ""
            out += "<g class=\"\(classes.joined(separator: " "))\" id=\"ev-\(i)\" data-i=\"\(i)\" "
                + "data-id=\"\(HTMLReport.escape(e.id.description))\" tabindex=\"0\" transform=\"translate(\(x(i)),\(y(i)))\">"
                + "<title>\(HTMLReport.escape("\(e.kind.name) \(e.id)\(where_)"))</title>"
                + "<rect class=\"halo\" x=\"-13\" y=\"-13\" width=\"26\" height=\"26\" rx=\"13\"/>"
                + Self.shape(e.kind)
                + "<text class=\"name\" y=\"24\">\(HTMLReport.escape(Self.clip(e.kind.name, 10)))</text>"
                + "<text class=\"seq\" y=\"36\">#\(e.seq)</text></g>"
        }
        // Step numbers of each violation drawn; the first violation's shown.
        for (k, list) in steps.enumerated() {
            for (s, i) in list.enumerated() {
                out += "<g class=\"step\(k == 0 ? " on" : "")\" data-v=\"\(k)\" data-step=\"\(s)\" "
                    + "transform=\"translate(\(x(i) + 11),\(y(i) - 17))\"><circle r=\"8\"/><text y=\"4\">\(s + 1)</text></g>"
            }
        }
        return out + "</svg>"
    }

    /// A `⋯` on a lane between two drawn events of its node whose seqs are not adjacent: events
    /// of those seqs, if the node recorded any, were left out.
    private func gaps() -> String {
        var out = ""
        var last: [Int: Int] = [:]  // lane -> index of its latest drawn event
        for i in events.indices.sorted(by: { (lane[$0], events[$0].seq) < (lane[$1], events[$1].seq) }) {
            defer { last[lane[i]] = i }
            guard let p = last[lane[i]], events[i].seq > events[p].seq + 1 else { continue }
            let mid = (x(p) + x(i)) / 2
            out += "<text class=\"gap\" x=\"\(mid)\" y=\"\(y(i) - 6)\"><title>seqs \(events[p].seq + 1)…\(events[i].seq - 1) "
                + "of \(HTMLReport.escape(events[i].node)) not drawn</title>⋯</text>"
        }
        return out
    }

    /// The mark drawn for an event: a cross for a crash, a triangle for a path change, a diamond
    /// for a takeover, a square for recovery, a dot for the rest.
    private static func shape(_ kind: EventKind) -> String {
        switch marker(kind) {
        case "m-crash": "<path class=\"mark\" d=\"M-7,-7 L7,7 M7,-7 L-7,7\"/>"
        case "m-pathdown": "<path class=\"mark\" d=\"M-7,-6 L7,-6 L0,7 z\"/>"
        case "m-pathup": "<path class=\"mark\" d=\"M-7,6 L7,6 L0,-7 z\"/>"
        case "m-takeover": "<path class=\"mark\" d=\"M0,-8 L8,0 L0,8 L-8,0 z\"/>"
        case "m-recovery", "m-failed": "<rect class=\"mark\" x=\"-6\" y=\"-6\" width=\"12\" height=\"12\"/>"
        default: "<circle class=\"mark\" r=\"6\"/>"
        }
    }

    /// `text`, cut to `limit` characters with an ellipsis.
    static func clip(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    /// The data the page's script reads: every event drawn (name, id, where, its line) and each
    /// violation's steps, events and decision, as script-safe JSON.
    func json() -> String {
        let page = PageData(
            events: events.map { e in
                PageData.Event(
                    id: e.id.description, ev: e.kind.name, node: e.node, seq: e.seq,
                    json: Self.clip(String(decoding: TraceEncoder.encode(e), as: UTF8.self), 4000),
                    causes: e.causes.map(\.description),
                    at: report.files.indices.contains(e.location.file) ? "\(report.files[e.location.file]):\(e.location.line)" : nil,
                    marker: Self.marker(e.kind))
            },
            violations: drawn.indices.map { k in
                PageData.Violation(
                    invariant: drawn[k].invariant.rawValue, message: drawn[k].message,
                    steps: steps[k], events: involved[k], decided: decided[k] ?? -1)
            })
        return HTMLReport.scriptSafe(CheckReport.encode(page))
    }

    /// What the page's script reads; `at` and `marker` are left out when absent.
    struct PageData: Encodable {
        struct Event: Encodable {
            var id: String
            var ev: String
            var node: String
            var seq: Int
            var json: String
            var causes: [String]
            var at: String?
            var marker: String?
        }

        struct Violation: Encodable {
            var invariant: String
            var message: String
            var steps: [Int]
            var events: [Int]
            var decided: Int
        }

        var events: [Event]
        var violations: [Violation]
    }
}
