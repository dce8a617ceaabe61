import Explorer
import Trace
import XCTest

/// A captured driver trace that writes far apart (a controller's, across terabytes) is explored
/// on the chunks it writes, laid side by side: overlaps and places within chunks are kept, the
/// exploration is the one of the same trace written side by side to begin with, a seeded bug is
/// still found, and what cannot be simulated (past 2^63, a data area or a request too large to
/// hold) is refused with its reason instead of crashing.
final class OffsetCompactionTests: XCTestCase {
    private static let gib = 1 << 30

    /// Requests at 10, 20 and 30 GiB: two overlapping in one chunk, one across a chunk edge, one
    /// a whole chunk; `offsets` and `lengths` replace theirs.
    private static func trace(
        offsets: [Int] = [10 * gib + 100, 10 * gib + 500, 20 * gib + 4000, 30 * gib], lengths: [Int] = [700, 300, 200, 4096]
    ) -> RecordedTrace {
        var kinds: [EventKind] = offsets.indices.map { i in
            .submit(iface: i % 2, id: i + 1, off: offsets[i], len: lengths[i], deps: i == 3 ? [1] : [])
        }
        kinds.append(.sync(iface: 0))
        let events = kinds.enumerated().map { i, kind in
            TraceEvent(node: "driver", seq: i + 1, kind: kind, location: SourceLocation(file: 0, line: i + 2))
        }
        return RecordedTrace(system: .driver, events: events, files: ["far.jsonl"])
    }

    private static func explore(_ trace: RecordedTrace, faults: String? = nil) throws -> (DriverPlan, ExplorationReport) {
        var settings: [(String, String)] = [("torn", "1")]
        if let faults { settings.append(("faults", faults)) }
        let plan = try DriverPlan(trace: trace, crashes: 1, settings: settings)
        let start = Recorded(plan: plan, window: 1, crashes: 1,
                             source: RecordedSource(files: trace.files, digest: RecordedTrace.digest(trace.events)))
        return (plan, Exploration(start: start).run())
    }

    func testAFarTraceIsExploredAsTheSameTraceWrittenSideBySide() throws {
        let (far, farReport) = try Self.explore(Self.trace())
        XCTAssertEqual(far.movedOffsets, [
            OffsetCompaction.Move(trace: 10 * Self.gib, explored: 0, bytes: 4096),
            OffsetCompaction.Move(trace: 20 * Self.gib, explored: 4096, bytes: 8192),
            OffsetCompaction.Move(trace: 30 * Self.gib, explored: 12288, bytes: 4096),
        ])
        // Chunk runs 0 (the two overlapping requests), 1-2 (the one across an edge) and 3.
        let (near, nearReport) = try Self.explore(Self.trace(offsets: [100, 500, 4096 + 4000, 3 * 4096]))
        XCTAssertTrue(far.summary.contains("the trace reaches byte \(30 * Self.gib + 4096), so its 4 written 4 KiB chunks"),
                      far.summary)
        XCTAssertFalse(near.summary.contains("side by side"), near.summary)
        XCTAssertEqual(near.movedOffsets, [])
        XCTAssertEqual(far.start.fingerprint(), near.start.fingerprint())
        XCTAssertEqual(farReport.verdict, .pass)
        XCTAssertTrue(farReport.exhaustive)
        XCTAssertEqual(farReport.states, nearReport.states)
        XCTAssertEqual(farReport.transitions, nearReport.transitions)
        XCTAssertEqual(farReport.executions, nearReport.executions)
        XCTAssertGreaterThan(farReport.executions, 10)
    }

    func testASeededBugIsFoundOnAFarTrace() throws {
        let (_, report) = try Self.explore(Self.trace(), faults: "recoveryStopsEarly")
        XCTAssertEqual(report.verdict, .violation)
        XCTAssertFalse(report.counterexamples.isEmpty)
    }

    func testWhatCannotBeSimulatedIsRefusedWithItsReason() {
        let past = Self.trace(offsets: [Int.max - 100, 0, 4096, 8192])
        XCTAssertThrowsError(try DriverPlan(trace: past, crashes: 1, settings: [])) { error in
            let input = error as? TraceInputError
            XCTAssertEqual(input?.line, 2)
            XCTAssertTrue(input?.message.contains("past the last byte a device can have") == true, "\(error)")
        }
        let long = Self.trace(offsets: [0, 1 << 20, 1 << 30, 1 << 31], lengths: [700, 16 << 20, 16 << 20 + 1, 4096])
        XCTAssertThrowsError(try DriverPlan(trace: long, crashes: 1, settings: [])) { error in
            let input = error as? TraceInputError
            XCTAssertEqual(input?.line, 4)
            XCTAssertTrue(input?.message.contains("request 3 writes 16777217 bytes, more than the 16777216") == true, "\(error)")
        }
        // 65 requests of 16 MiB, 10 GiB apart: 1040 MiB of chunks written, past the 1 GiB simulated.
        let wide = Self.trace(offsets: (0..<65).map { $0 * 10 * Self.gib }, lengths: Array(repeating: 16 << 20, count: 65))
        XCTAssertThrowsError(try DriverPlan(trace: wide, crashes: 1, settings: [])) { error in
            XCTAssertTrue("\(error)".contains("the trace writes 266240 chunks of 4 KiB, 1090519040 bytes, more than the "
                                              + "1073741824 bytes"), "\(error)")
        }
        XCTAssertThrowsError(try DriverPlan(trace: Self.trace(), crashes: 1, settings: [("size", "\(2 * Self.gib)")])) { error in
            XCTAssertTrue("\(error)".contains("more than the 1073741824 bytes of data area"), "\(error)")
        }
        // A given size is simulated as given: one too small for the trace is refused.
        XCTAssertThrowsError(try DriverPlan(trace: Self.trace(), crashes: 1, settings: [("size", "\(Self.gib)")])) { error in
            // Named at the request that reaches farthest, with the byte it reaches.
            XCTAssertTrue("\(error)".contains("far.jsonl:5: a data area of 1073741824 bytes (size=, --size) does not hold "
                                              + "this request, which writes up to byte 32212258816"), "\(error)")
            XCTAssertTrue("\(error)".contains("without a size, a trace that reaches past 256 MiB"), "\(error)")
        }
    }

    /// Random requests: each byte keeps its place within its chunk, two requests overlap after
    /// the move exactly when they did before, a request stays contiguous, and the compacted area
    /// is the chunks written, in their order.
    func testCompactionKeepsOverlapsPlacesAndOrder() {
        var random = SplitMix64(seed: 11)
        for round in 0..<50 {
            let count = 1 + Int(random.next() % 12)
            let ranges: [(offset: Int, length: Int)] = (0..<count).map { _ in
                let far = random.next() % 2 == 0
                let offset = far ? Int(random.next() % (1 << 44)) : Int(random.next() % 40_000)
                return (offset, 1 + Int(random.next() % 20_000))
            }
            let compaction = OffsetCompaction(ranges: ranges)
            let moved = ranges.map { (offset: compaction.map($0.offset), length: $0.length) }
            var chunks = Set<Int>()
            for (range, after) in zip(ranges, moved) {
                XCTAssertEqual(after.offset % 4096, range.offset % 4096, "round \(round)")
                XCTAssertEqual(compaction.map(range.offset + range.length - 1), after.offset + range.length - 1, "round \(round)")
                for chunk in range.offset / 4096 ... (range.offset + range.length - 1) / 4096 { chunks.insert(chunk) }
            }
            XCTAssertEqual(compaction.chunks, chunks.count, "round \(round)")
            // Runs are maximal: between two of them lies a chunk nothing writes.
            for (a, b) in zip(compaction.moves, compaction.moves.dropFirst()) {
                XCTAssertGreaterThan(b.trace, a.trace + a.bytes, "round \(round)")
                XCTAssertEqual(b.explored, a.explored + a.bytes, "round \(round)")
            }
            for i in ranges.indices {
                for j in ranges.indices {
                    let before = ranges[i].offset < ranges[j].offset + ranges[j].length
                        && ranges[j].offset < ranges[i].offset + ranges[i].length
                    let after = moved[i].offset < moved[j].offset + moved[j].length
                        && moved[j].offset < moved[i].offset + moved[i].length
                    XCTAssertEqual(before, after, "round \(round): \(ranges[i]) and \(ranges[j])")
                    if ranges[i].offset < ranges[j].offset { XCTAssertLessThan(moved[i].offset, moved[j].offset) }
                }
            }
        }
    }
}
