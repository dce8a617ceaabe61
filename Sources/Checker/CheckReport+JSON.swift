import Foundation
import Specs
import Trace

extension CheckReport {
    /// The report as tools read it (`--format json`); keys as TRACE-FORMAT.md names them.
    public var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "verdict": verdict.rawValue,
            "files": files,
            "violations": violations.indices.map { jsonViolation(violations[$0], decided: decision($0)) },
            "proofs": proofs.map { proof -> [String: Any] in
                ["invariant": proof.invariant.rawValue, "engine": proof.engine.rawValue,
                 "result": proof.result.rawValue, "ms": (proof.ms * 1000).rounded() / 1000,
                 "obligations": proof.obligations]
            },
            "disagreements": disagreements,
            "unproved": unproved.map { u -> [String: Any] in
                ["invariant": u.invariant.rawValue, "events": u.events.map { jsonEvent($0) }]
            },
            "unproved_count": unprovedCount,
            "skipped_partial_files": skippedPartialFiles,
            "suppressed": Dictionary(uniqueKeysWithValues: suppressed.map { ($0.key.rawValue, $0.value) }),
            "stats": [
                "events": stats.events, "nodes": stats.nodes, "peak_pending": stats.peakPending,
                "clock_snapshots": stats.clockSnapshots,
                "dropped_truncated_causes": stats.droppedTruncatedCauses,
                "dropped_truncated_lines": stats.droppedTruncatedLines,
                "dropped_extension_causes": stats.droppedExtensionCauses,
                "prescanned": stats.prescanned, "ms": (stats.ms * 1000).rounded() / 1000,
            ] as [String: Any],
        ]
        object["system"] = system?.rawValue ?? NSNull()
        if let error {
            object["error"] = ["file": error.file, "line": error.line, "message": error.message] as [String: Any]
        } else {
            object["error"] = NSNull()
        }
        return object
    }

    /// One violation; `decided_at` (snake_case like every key of this report, where issue 12
    /// wrote `decidedAt`) is the event after which it was certain, or null.
    private func jsonViolation(_ v: Violation, decided: EventStamp?) -> [String: Any] {
        [
            "invariant": v.invariant.rawValue,
            "message": v.message,
            "events": v.events.map { jsonEvent($0) },
            "counterexample": v.counterexample.map { jsonEvent($0) },
            "decided_at": decided.map { jsonEvent($0) as Any } ?? NSNull(),
        ]
    }

    private func jsonEvent(_ stamp: EventStamp) -> [String: Any] {
        var event: [String: Any] = ["node": stamp.id.node, "seq": stamp.id.seq]
        if !stamp.name.isEmpty { event["ev"] = stamp.name }
        if stamp.location.file >= 0 && stamp.location.file < files.count {
            event["file"] = files[stamp.location.file]
            event["line"] = stamp.location.line
        }
        return event
    }

    /// Serialises a JSON object with sorted keys, as one line.
    public static func serialize(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
