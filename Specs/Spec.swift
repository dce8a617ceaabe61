import Trace

/// An event as a violation or obligation cites it: its name, its event name and where it was read.
public struct EventStamp: Hashable, Sendable, CustomStringConvertible {
    /// Which event.
    public var id: EventID
    /// The event name (`apply`, `commit`, ...), for messages.
    public var name: String
    /// Where it was read from.
    public var location: SourceLocation

    /// Makes a stamp.
    package init(id: EventID, name: String, location: SourceLocation) {
        self.id = id
        self.name = name
        self.location = location
    }

    /// The stamp of `event`.
    package init(_ event: TraceEvent) {
        self.init(id: event.id, name: event.kind.name, location: event.location)
    }

    /// `name node#seq`.
    public var description: String { "\(name) \(id)" }
}

/// One broken invariant: which, in plain words, and the events involved.
public struct Violation: Sendable, Equatable {
    /// The invariant that does not hold.
    public var invariant: Invariant
    /// What went wrong, for a person.
    public var message: String
    /// The events involved, most relevant first.
    public var events: [EventStamp]
    /// For ordering violations, a linearization of happens-before that breaks the invariant.
    public var counterexample: [EventStamp]

    /// Makes a violation.
    package init(_ invariant: Invariant, _ message: String, events: [EventStamp], counterexample: [EventStamp] = []) {
        self.invariant = invariant
        self.message = message
        self.events = events
        self.counterexample = counterexample
    }
}

/// What a spec reports to, and asks about happens-before of, while it replays a trace.
///
/// The checker implements it (graph engine plus Z3 proofs); tests use `SpecRunner`'s.
/// A sink is used from one task at a time; implementations need not be thread-safe.
package protocol SpecSink: AnyObject {
    /// Records a violation that a scan of the trace found directly.
    func report(_ violation: Violation)

    /// Whether `a` happens-before `b`; both must already have been observed. No obligation is made.
    func happensBefore(_ a: EventID, _ b: EventID) -> Bool

    /// Makes the obligation "`before` happens-before `after`" for `invariant` and returns whether
    /// it holds. Both events must already have been observed. When it does not hold, the sink
    /// records the violation itself, with `message` and a counterexample linearization.
    @discardableResult
    func require(
        _ invariant: Invariant, _ before: EventStamp, happensBefore after: EventStamp,
        message: @autoclosure () -> String
    ) -> Bool

    /// `require` for events named by node and seq, their stamps made by `stamps` only when
    /// the sink needs them (to cite a violation): a spec that keeps events as plain numbers
    /// then builds no stamp for the usual obligation, which holds. The default makes the
    /// stamps and calls `require`.
    @discardableResult
    func require(
        _ invariant: Invariant, node beforeNode: String, seq beforeSeq: Int,
        happensBefore afterNode: String, seq afterSeq: Int,
        stamps: () -> (before: EventStamp, after: EventStamp), message: @autoclosure () -> String
    ) -> Bool

    /// Makes the obligation "the graph `edges` over `vertices` is acyclic" for `invariant` and
    /// returns a cycle (vertex indices, first repeated at the end implied) when it is not; the
    /// sink then records the violation, citing `stamps` of the vertices on the cycle.
    /// `stamps[i]` is the event that introduced `vertices[i]` (its `register`).
    @discardableResult
    func requireAcyclic(
        _ invariant: Invariant, vertices: [String], edges: [(from: Int, to: Int)], stamps: [EventStamp]
    ) -> [Int]?
}

/// An executable specification: a reference state machine that replays one system's events
/// and reports each violation with its invariant name, a message and the events involved.
///
/// The checker feeds events in a linearization of happens-before (every event after all the
/// events that happen before it), so "has X been observed yet" answers "could X be before this".
package protocol Spec: Sendable {
    /// The system whose events this spec replays.
    static var system: TraceSystem { get }
    /// Starts from the initial state.
    init()
    /// Replays one event.
    mutating func observe(_ event: TraceEvent, sink: SpecSink)
    /// Judges what can only be judged at the end of the trace (obligations never met).
    mutating func finish(sink: SpecSink)
    /// Reports what `finish` would report if the trace ended here, leaving the state as it is:
    /// the explorer asks after every step (`SpecMonitor.verdict`). The default runs `finish`
    /// on a copy; a spec whose `finish` changes nothing implements it without the copy, and
    /// one that can tell cheaply that `finish` would report nothing answers so first.
    func reportEnd(sink: SpecSink)
    /// Hands `body` every event the state still holds, that it may yet ask about as the earlier
    /// event of `SpecSink.happensBefore` or `require` or cite in a violation, and returns true
    /// (events still to come need not be named; an event once left out must never be asked
    /// about or cited again). The checker then forgets the happens-before history that no
    /// question about them needs: its memory follows what is still open, not the trace's
    /// length. The default names none and returns false: keep all the history.
    func forEachHeldEvent(_ body: (EventID) -> Void) -> Bool
}

extension SpecSink {
    /// Makes the stamps and calls `require` with them.
    @discardableResult
    package func require(
        _ invariant: Invariant, node beforeNode: String, seq beforeSeq: Int,
        happensBefore afterNode: String, seq afterSeq: Int,
        stamps: () -> (before: EventStamp, after: EventStamp), message: @autoclosure () -> String
    ) -> Bool {
        let (before, after) = stamps()
        return require(invariant, before, happensBefore: after, message: message())
    }
}

extension Spec {
    /// Cannot say: the checker keeps all the happens-before history.
    package func forEachHeldEvent(_ body: (EventID) -> Void) -> Bool { false }

    /// Runs `finish` on a copy.
    package func reportEnd(sink: SpecSink) {
        var ending = self
        ending.finish(sink: sink)
    }
}
