import Trace

extension MirrorSimulation {
    /// The execution so far as a trace file (JSON Lines, TRACE-FORMAT.md): the `mirror` header
    /// with the configuration in `meta`, then every event and `x-` note in the order recorded.
    /// `plumb check` judges it as `violation()` does (the notes are dropped by checkers).
    package func encodedTrace() -> [UInt8] {
        var out: [UInt8] = []
        TraceEncoder.append(TraceHeader(system: .mirror), meta: ["configuration": configuration.description], to: &out)
        var note = 0
        for (index, event) in events.enumerated() {
            while note < notes.count, notePositions[note] <= index {
                TraceEncoder.append(extension: notes[note], to: &out)
                note += 1
            }
            TraceEncoder.append(event, to: &out)
        }
        while note < notes.count {
            TraceEncoder.append(extension: notes[note], to: &out)
            note += 1
        }
        return out
    }
}
