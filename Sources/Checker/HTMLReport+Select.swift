import Specs
import Trace

// Which events the page draws: all of a small trace; of a large one, the neighbourhood of the
// violations.
extension HTMLReport {
    /// The events to draw and the figures of the whole trace.
    struct Selection {
        /// The events drawn, in no particular order.
        var events: [TraceEvent] = []
        /// Events in the trace (`x-` events not counted).
        var total = 0
        /// Per node, in order of first appearance: its events and its lowest and highest seq.
        var perNode: [(node: String, count: Int, first: Int, last: Int)] = []
        /// Per event name, most frequent first.
        var perName: [(name: String, count: Int)] = []
        /// Events of the trace not drawn.
        var omitted: Int { total - events.count }
    }

    /// Reads `files`: counts every event, keeps them all when there are at most `maxEvents`,
    /// else (when there are `targets`) the targets and, for each, the latest events of each node
    /// that happen before it, about `maxEvents` in all. A file that cannot be read again ends the
    /// reading quietly: the report already says what is wrong with it.
    func select(_ files: [String], targets: Set<EventID>) -> Selection {
        var selection = Selection()
        var nodeSlot: [ExactName: Int] = [:]
        var names: [String: Int] = [:]
        var all: [TraceEvent] = []
        var overflow = false
        forEachEvent(files) { event in
            selection.total += 1
            let key = ExactName(event.node)
            if let slot = nodeSlot[key] {
                selection.perNode[slot].count += 1
                selection.perNode[slot].first = min(selection.perNode[slot].first, event.seq)
                selection.perNode[slot].last = max(selection.perNode[slot].last, event.seq)
            } else {
                nodeSlot[key] = selection.perNode.count
                selection.perNode.append((event.node, 1, event.seq, event.seq))
            }
            names[event.kind.name, default: 0] += 1
            if !overflow {
                all.append(event)
                if all.count > maxEvents { overflow = true; all = [] }
            }
        }
        selection.perName = names.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
        if !overflow {
            selection.events = all
        } else if !targets.isEmpty {
            selection.events = neighbourhood(files, targets: targets)
        }
        return selection
    }

    /// The targets and, for each target and each node, the latest events of the node that happen
    /// before the target: about `maxEvents` in all, shared evenly among those windows.
    private func neighbourhood(_ files: [String], targets: Set<EventID>) -> [TraceEvent] {
        // Happens-before over the whole trace, to find how far each node is known at the targets.
        var clocks = VectorClockIndex()
        var order: CausalOrder?
        for prescan in [false, true] {
            guard var candidate = try? CausalOrder(paths: files, allowTruncated: allowTruncated, prescan: prescan) else { return [] }
            clocks = VectorClockIndex()
            do {
                while let event = try candidate.next() { clocks.add(node: event.node, seq: event.seq, causes: event.causes) }
                order = candidate
                break
            } catch {
                continue
            }
        }
        guard order != nil else { return [] }
        // Per node, the bounds below which some target's window lies: for each target, the
        // latest seq of the node that happens before it (or is it).
        var bounds: [ExactName: [Int]] = [:]
        for target in targets where clocks.contains(target) {
            for node in clocks.nodeNames {
                guard let known = clocks.latestKnown(of: node, at: target) else { continue }
                if !(bounds[ExactName(node)]?.contains(known) ?? false) { bounds[ExactName(node), default: []].append(known) }
            }
        }
        let windows = max(1, bounds.values.reduce(0) { $0 + $1.count })
        let perWindow = max(8, (maxEvents - targets.count) / windows)
        // Per node and bound: the latest `perWindow` events at or below the bound.
        var kept: [ExactName: [[TraceEvent]]] = bounds.mapValues { Array(repeating: [], count: $0.count) }
        var chosen: [TraceEvent] = []
        forEachEvent(files) { event in
            if targets.contains(event.id) { chosen.append(event); return }
            let key = ExactName(event.node)
            guard let mine = bounds[key] else { return }
            for (b, limit) in mine.enumerated() where event.seq <= limit {
                kept[key]![b].append(event)
                if kept[key]![b].count >= 2 * perWindow {
                    kept[key]![b].sort { $0.seq > $1.seq }
                    kept[key]![b].removeLast(kept[key]![b].count - perWindow)
                }
            }
        }
        var seen = Set(chosen.map(\.id))
        for (_, buckets) in kept {
            for bucket in buckets {
                for event in bucket.sorted(by: { $0.seq > $1.seq }).prefix(perWindow) where seen.insert(event.id).inserted {
                    chosen.append(event)
                }
            }
        }
        return chosen
    }

    /// Calls `body` with every event of `files`, in line order, until the end or the first
    /// problem.
    private func forEachEvent(_ files: [String], _ body: (TraceEvent) -> Void) {
        for (index, path) in files.enumerated() {
            guard var reader = try? TraceFileReader(path: path, fileIndex: index, allowTruncated: allowTruncated) else { return }
            while true {
                guard let item = try? reader.next() else { break }
                if case .event(let event) = item { body(event) }
            }
        }
    }
}
