import Checker
import Foundation
import Trace

/// Trace files written for a test, in a folder of their own that the test removes.
enum TraceFixtures {
    /// The repository's `Traces` folder.
    static let traces = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Traces")

    /// A new empty folder.
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-checker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `lines` (a header first) as a trace file.
    static func write(_ lines: [String], to url: URL) throws {
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
    }

    /// Writes a header for `system` and `events` as a trace file.
    static func write(_ events: [TraceEvent], system: TraceSystem, to url: URL) throws {
        var bytes = TraceEncoder.encode(TraceHeader(system: system)) + [0x0A]
        for e in events { TraceEncoder.append(e, to: &bytes) }
        try Data(bytes).write(to: url)
    }

    /// The events of a trace file, in line order.
    static func events(_ path: String) throws -> [TraceEvent] {
        var reader = try TraceFileReader(path: path, fileIndex: 0)
        var events: [TraceEvent] = []
        while let item = try reader.next() { if case .event(let e) = item { events.append(e) } }
        return events
    }

    /// A synthetic mirror recording of about `count` events in which every `every`-th `acked`
    /// loses its cause: the commits each one let through are not mirrored in happens-before
    /// (`mirror.commit-after-mirror`), violations spread over the whole trace.
    static func mirrorWithCutAcks(events count: Int, every: Int) -> [TraceEvent] {
        var events: [TraceEvent] = []
        var acked = 0
        SyntheticMirrorTrace().generate(events: count) { event in
            var event = event
            if case .acked = event.kind {
                acked += 1
                if acked % every == 0 { event.causes = [] }
            }
            events.append(event)
        }
        return events
    }

    /// A good synthetic mirror recording of about `count` events with one violation planted:
    /// the `acked` nearest the middle loses its cause, so the commits it let through are no
    /// longer mirrored in happens-before (`mirror.commit-after-mirror`).
    static func plantedMirror(events count: Int) -> [TraceEvent] {
        var events: [TraceEvent] = []
        SyntheticMirrorTrace().generate(events: count) { events.append($0) }
        let middle = events.indices.filter { if case .acked = events[$0].kind { return $0 >= events.count / 2 } else { return false } }.first!
        events[middle].causes = []
        return events
    }
}
