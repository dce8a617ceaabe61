import Trace

/// A spec run along with a trace that is still being written: the explorer's judge.
///
/// It is fed each event once, as it is recorded, and keeps the spec's state and an incremental
/// vector-clock index, so a step costs what its own events cost, not the length of the trace.
/// It runs the same `Spec` code as `plumb check`: events recorded by one simulated process are
/// in a linearization of happens-before (a cause is always recorded before the event it
/// causes), which is exactly the order `SpecRunner` would replay them in, so the monitor's
/// verdict on a prefix equals `SpecRunner.run` on that prefix. A value type: copying it
/// branches it (its arrays are copied on write).
package struct SpecMonitor<S: Spec>: Sendable {
    /// The spec's state after every event so far.
    package private(set) var spec = S()
    /// Happens-before over the events so far.
    package private(set) var clocks = VectorClockIndex()
    /// The first violation a scan of the events found, or the trace's first input error
    /// (`Spec`'s `observe` calls only; see `verdict()` for the end-of-trace rules).
    package private(set) var firstViolation: Violation?
    /// The first structural error of the events (a seq out of order, a cause naming no event).
    package private(set) var inputError: TraceInputError?
    /// Events observed.
    package private(set) var observed = 0

    /// A monitor that has seen nothing.
    package init() {}

    /// Feeds one event: it must be the next of a linearization of happens-before.
    package mutating func observe(_ event: TraceEvent) {
        observed += 1
        guard inputError == nil else { return }
        if let last = clocks.lastSeq(of: event.node), event.seq <= last {
            inputError = TraceInputError(file: "", line: event.location.line,
                                         message: "event \(event.id) is recorded after \(event.node)#\(last)")
            return
        }
        for cause in event.causes where !cause.node.exactlyEquals(event.node) && !clocks.contains(cause) {
            inputError = TraceInputError(file: "", line: event.location.line,
                                         message: "cause \(cause) of \(event.id) names no event recorded before it")
            return
        }
        clocks.add(node: event.node, seq: event.seq, causes: event.causes)
        let sink = GraphSink(clocks: clocks)
        spec.observe(event, sink: sink)
        if firstViolation == nil { firstViolation = sink.violations.first }
    }

    /// The verdict on the trace as it stands: its input error, else the first violation of a
    /// scan, else the first the end-of-trace rules find (`Spec.reportEnd`, which leaves the
    /// spec as it is, so the monitor can go on).
    package func verdict() -> Result<Violation?, TraceInputError> {
        if let inputError { return .failure(inputError) }
        if let firstViolation { return .success(firstViolation) }
        let sink = GraphSink(clocks: clocks)
        spec.reportEnd(sink: sink)
        return .success(sink.violations.first)
    }
}
