import Specs
import Trace

extension CheckReport {
    /// Undecided obligations named in a report; `unprovedCount` counts the rest.
    static let unprovedKept = 5

    /// Gives every event the report cites by id alone (the middle of a counterexample order,
    /// the ends of an undecided obligation) its name and file:line, by reading the files again
    /// up to the last of those events. Costs a second read only when some event is unnamed,
    /// i.e. only for a failing or inconclusive trace; an event not found keeps its bare id.
    mutating func nameUnnamedEvents(allowTruncated: Bool) {
        var wanted = Set<EventID>()
        for v in violations { for e in v.counterexample where e.name.isEmpty { wanted.insert(e.id) } }
        for u in unproved { for e in u.events where e.name.isEmpty { wanted.insert(e.id) } }
        guard !wanted.isEmpty else { return }
        var found: [EventID: EventStamp] = [:]
        for (index, path) in files.enumerated() where found.count < wanted.count {
            guard var reader = try? TraceFileReader(path: path, fileIndex: index, allowTruncated: allowTruncated) else {
                continue
            }
            while found.count < wanted.count, let item = try? reader.next() {
                if case .event(let event) = item, wanted.contains(event.id) { found[event.id] = EventStamp(event) }
            }
        }
        func named(_ stamp: EventStamp) -> EventStamp { stamp.name.isEmpty ? found[stamp.id] ?? stamp : stamp }
        for i in violations.indices { violations[i].counterexample = violations[i].counterexample.map(named) }
        for i in unproved.indices { unproved[i].events = unproved[i].events.map(named) }
    }
}
