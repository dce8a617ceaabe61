import Trace

/// A system `plumb explore` and `plumb replay` can drive: an `Explorable` with a name, a
/// configuration that a replay token carries as text, and the trace of the execution so far.
package protocol ExplorationTarget: Explorable {
    /// The system's name in the trace format (`mirror`, `driver`, `recovery`).
    static var system: String { get }
    /// The configuration as `init?(parsing:)` reads it back (`streams=2 paths=2 ...`).
    var configurationText: String { get }
    /// The start state of the configuration `text` describes; nil when it does not parse.
    init?(parsing text: String)
    /// The execution's trace so far, as a trace file: header and events.
    func encodedTrace() -> [UInt8]
    /// The same state, judging every event it records but keeping none: what a search starts
    /// from (it needs verdicts, and copying a growing trace at every branch costs); replays
    /// start from a state that keeps its trace.
    func withoutTrace() -> Self
}

extension MirrorSimulation {
    /// The same state, keeping no trace from now on (see `ExplorationTarget`).
    package func withoutTrace() -> Self {
        var copy = self
        copy.keepsTrace = false
        return copy
    }

    /// This start state parsed again from its configuration (see `Explorable.rebuilt()`).
    package func rebuilt() -> Self? { rebuilt(keepingTrace: keepsTrace) }
}

extension DriverSimulation {
    /// The same state, keeping no trace from now on (see `ExplorationTarget`).
    package func withoutTrace() -> Self {
        var copy = self
        copy.keepsTrace = false
        return copy
    }

    /// This start state parsed again from its configuration (see `Explorable.rebuilt()`),
    /// tallying into the same `statistics`.
    package func rebuilt() -> Self? {
        guard var fresh = rebuilt(keepingTrace: keepsTrace) else { return nil }
        fresh.statistics = statistics
        return fresh
    }
}

extension RecoverySimulation {
    /// The same state, keeping no trace from now on (see `ExplorationTarget`).
    package func withoutTrace() -> Self {
        var copy = self
        copy.keepsTrace = false
        return copy
    }

    /// This start state parsed again from its configuration (see `Explorable.rebuilt()`).
    package func rebuilt() -> Self? { rebuilt(keepingTrace: keepsTrace) }
}

extension ExplorationTarget {
    /// Encodes `events` after a header for `system`, with the configuration as meta.
    static func encode(_ events: [TraceEvent], system: TraceSystem, configuration: String) -> [UInt8] {
        var out: [UInt8] = []
        TraceEncoder.append(TraceHeader(system: system), meta: ["configuration": configuration], to: &out)
        for event in events { TraceEncoder.append(event, to: &out) }
        return out
    }
    /// The start state of `configurationText` parsed again, keeping its trace or not as `self`
    /// does: new storage throughout (see `Explorable.rebuilt()`); nil unless the text reads
    /// back to itself.
    func rebuilt(keepingTrace: Bool) -> Self? {
        guard let fresh = Self(parsing: configurationText), fresh.configurationText == configurationText else { return nil }
        return keepingTrace ? fresh : fresh.withoutTrace()
    }
}

extension MirrorSimulation: ExplorationTarget {
    /// The configuration's text.
    package var configurationText: String { configuration.description }
}

extension RecoverySimulation: ExplorationTarget {
    /// The configuration's text.
    package var configurationText: String { configuration.description }

    /// The start state of a configuration's text.
    package init?(parsing text: String) {
        guard let configuration = Configuration(parsing: text), configuration.problem == nil else { return nil }
        self.init(configuration)
    }

    /// The trace so far.
    package func encodedTrace() -> [UInt8] {
        Self.encode(events, system: .recovery, configuration: configurationText)
    }
}

extension DriverSimulation: ExplorationTarget {
    /// The configuration's text.
    package var configurationText: String { configuration.description }

    /// The trace so far.
    package func encodedTrace() -> [UInt8] {
        Self.encode(events, system: .driver, configuration: configurationText)
    }
}
