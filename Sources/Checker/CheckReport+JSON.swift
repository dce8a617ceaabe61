import Foundation
import Specs
import Trace

extension CheckReport {
    /// The report as tools read it (`--format json`), one line with sorted keys; keys are
    /// snake_case as TRACE-FORMAT.md names them (`decided_at`, where issue 12 wrote `decidedAt`).
    public var json: String { Self.encode(JSON(self)) }

    /// Encodes a report value as one line with sorted keys, as every `--format json` output is.
    package static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The JSON report's shape. `system`, `error` and `decided_at` are written as null when
    /// absent (`OrNull`); an event's `ev`, `file` and `line` are left out.
    package struct JSON: Encodable {
        package var verdict: String
        package var files: [String]
        package var violations: [ViolationJSON]
        package var proofs: [ProofJSON]
        package var disagreements: [String]
        package var unproved: [UnprovedJSON]
        package var unprovedCount: Int
        package var skippedPartialFiles: [String]
        package var suppressed: [String: Int]
        package var stats: StatsJSON
        package var system: OrNull<String>
        package var error: OrNull<ErrorJSON>

        package init(_ report: CheckReport) {
            let event = { (stamp: EventStamp) in EventJSON(stamp, files: report.files) }
            verdict = report.verdict.rawValue
            files = report.files
            violations = report.violations.indices.map { index in
                let v = report.violations[index]
                return ViolationJSON(
                    invariant: v.invariant.rawValue, message: v.message, events: v.events.map(event),
                    counterexample: v.counterexample.map(event), decidedAt: OrNull(report.decision(index).map(event)))
            }
            proofs = report.proofs.map {
                ProofJSON(invariant: $0.invariant.rawValue, engine: $0.engine.rawValue, result: $0.result.rawValue,
                          ms: ($0.ms * 1000).rounded() / 1000, obligations: $0.obligations)
            }
            disagreements = report.disagreements
            unproved = report.unproved.map { UnprovedJSON(invariant: $0.invariant.rawValue, events: $0.events.map(event)) }
            unprovedCount = report.unprovedCount
            skippedPartialFiles = report.skippedPartialFiles
            suppressed = Dictionary(uniqueKeysWithValues: report.suppressed.map { ($0.key.rawValue, $0.value) })
            let s = report.stats
            stats = StatsJSON(
                events: s.events, nodes: s.nodes, peakPending: s.peakPending, clockSnapshots: s.clockSnapshots,
                peakClockChanges: s.peakClockChanges,
                droppedTruncatedCauses: s.droppedTruncatedCauses, droppedTruncatedLines: s.droppedTruncatedLines,
                droppedExtensionCauses: s.droppedExtensionCauses, prescanned: s.prescanned,
                ms: (s.ms * 1000).rounded() / 1000)
            system = OrNull(report.system?.rawValue)
            error = OrNull(report.error.map { ErrorJSON(file: $0.file, line: $0.line, message: $0.message) })
        }

        enum CodingKeys: String, CodingKey {
            case verdict, files, violations, proofs, disagreements, unproved, suppressed, stats, system, error
            case unprovedCount = "unproved_count"
            case skippedPartialFiles = "skipped_partial_files"
        }

    }

    /// One violation; `decided_at` is the event after which it was certain, or null.
    package struct ViolationJSON: Encodable {
        package var invariant: String
        package var message: String
        package var events: [EventJSON]
        package var counterexample: [EventJSON]
        package var decidedAt: OrNull<EventJSON>

        enum CodingKeys: String, CodingKey {
            case invariant, message, events, counterexample
            case decidedAt = "decided_at"
        }

    }

    /// An event named by a report: node and seq, its name, and where it was read.
    package struct EventJSON: Encodable {
        package var node: String
        package var seq: Int
        package var ev: String?
        package var file: String?
        package var line: Int?

        init(_ stamp: EventStamp, files: [String]) {
            node = stamp.id.node
            seq = stamp.id.seq
            ev = stamp.name.isEmpty ? nil : stamp.name
            if files.indices.contains(stamp.location.file) {
                file = files[stamp.location.file]
                line = stamp.location.line
            }
        }
    }

    /// One invariant's proof: which engine answered, how, and in how long.
    package struct ProofJSON: Encodable {
        package var invariant: String
        package var engine: String
        package var result: String
        package var ms: Double
        package var obligations: Int
    }

    /// An obligation no engine proved, with its events.
    package struct UnprovedJSON: Encodable {
        package var invariant: String
        package var events: [EventJSON]
    }

    /// The run's counts.
    package struct StatsJSON: Encodable {
        package var events: Int
        package var nodes: Int
        package var peakPending: Int
        package var clockSnapshots: Int
        package var peakClockChanges: Int
        package var droppedTruncatedCauses: Int
        package var droppedTruncatedLines: Int
        package var droppedExtensionCauses: Int
        package var prescanned: Bool
        package var ms: Double

        enum CodingKeys: String, CodingKey {
            case events, nodes, prescanned, ms
            case peakPending = "peak_pending"
            case clockSnapshots = "clock_snapshots"
            case peakClockChanges = "peak_clock_changes"
            case droppedTruncatedCauses = "dropped_truncated_causes"
            case droppedTruncatedLines = "dropped_truncated_lines"
            case droppedExtensionCauses = "dropped_extension_causes"
        }
    }

    /// An input error: the file, the line (0: the file as a whole) and what is wrong.
    package struct ErrorJSON: Encodable {
        package var file: String
        package var line: Int
        package var message: String
    }
}
