import Foundation
import XCTest
@testable import Trace

/// The streaming merge of several files into one happens-before order.
final class CausalOrderTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-causal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private let header = #"{"format":"plumb-trace","version":1,"system":"mirror"}"#

    private func write(_ name: String, _ lines: [String]) throws -> String {
        let url = directory.appendingPathComponent(name)
        try ([header] + lines).joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    private func drain(_ paths: [String], truncated: Bool = false, prescan: Bool = false) throws(CausalOrder.Failure) -> (ids: [String], order: CausalOrder) {
        var order = try CausalOrder(paths: paths, allowTruncated: truncated, prescan: prescan)
        var ids: [String] = []
        while let e = try order.next() { ids.append("\(e.node)#\(e.seq)") }
        return (ids, order)
    }

    private func inputMessage(_ body: () throws -> Void) -> String? {
        do { try body() } catch {
            if case .input(let e)? = error as? CausalOrder.Failure { return e.description }
            return "\(error)"
        }
        return nil
    }

    func testFilesPerNodeAreInterleavedByCauses() throws {
        let primary = try write("primary.jsonl", [
            #"{"node":"primary","seq":1,"ev":"send","stream":0,"sn":1,"path":0}"#,
            #"{"node":"primary","seq":2,"ev":"acked","stream":0,"sn":1,"cause":{"node":"secondary","seq":3}}"#,
            #"{"node":"primary","seq":3,"ev":"commit","lsn":1}"#,
        ])
        let secondary = try write("secondary.jsonl", [
            #"{"node":"secondary","seq":1,"ev":"recv","stream":0,"sn":1,"path":0,"cause":{"node":"primary","seq":1}}"#,
            #"{"node":"secondary","seq":2,"ev":"apply","stream":0,"sn":1}"#,
            #"{"node":"secondary","seq":3,"ev":"ack","stream":0,"sn":1}"#,
        ])
        let ids = try drain([primary, secondary]).ids
        XCTAssertEqual(ids.count, 6)
        XCTAssertLessThan(ids.firstIndex(of: "primary#1")!, ids.firstIndex(of: "secondary#1")!)
        XCTAssertLessThan(ids.firstIndex(of: "secondary#3")!, ids.firstIndex(of: "primary#2")!)
    }

    func testMergedFileWhoseLinesDisagreeWithHappensBefore() throws {
        let merged = try write("merged.jsonl", [
            #"{"node":"secondary","seq":1,"ev":"recv","stream":0,"sn":1,"path":0,"cause":{"node":"primary","seq":1}}"#,
            #"{"node":"primary","seq":1,"ev":"send","stream":0,"sn":1,"path":0}"#,
        ])
        XCTAssertEqual(try drain([merged]).ids, ["primary#1", "secondary#1"])
    }

    /// `next()` gives the happens-before order; `handOut(to:)`, paused every `k` events and
    /// resumed, gives the same events: ready as soon as read (a file per node), or after they
    /// waited in a queue, the last one of a trace included.
    func testHandOutPausedAndResumedGivesTheOrderNextGives() throws {
        let primary = try write("p.jsonl", [
            #"{"node":"primary","seq":1,"ev":"send","stream":0,"sn":1,"path":0}"#,
            #"{"node":"primary","seq":2,"ev":"acked","stream":0,"sn":1,"cause":{"node":"secondary","seq":3}}"#,
            #"{"node":"primary","seq":3,"ev":"send","stream":0,"sn":2,"path":0}"#,
            #"{"node":"primary","seq":4,"ev":"commit","lsn":1}"#,
        ])
        let secondary = try write("s.jsonl", [
            #"{"node":"secondary","seq":1,"ev":"recv","stream":0,"sn":1,"path":0,"cause":{"node":"primary","seq":1}}"#,
            #"{"node":"secondary","seq":2,"ev":"apply","stream":0,"sn":1}"#,
            #"{"node":"secondary","seq":3,"ev":"ack","stream":0,"sn":1}"#,
            #"{"node":"secondary","seq":4,"ev":"recv","stream":0,"sn":2,"path":0,"cause":{"node":"primary","seq":3}}"#,
        ])
        let merged = try write("m.jsonl", [
            #"{"node":"secondary","seq":1,"ev":"recv","stream":0,"sn":1,"path":0,"cause":{"node":"primary","seq":1}}"#,
            #"{"node":"primary","seq":1,"ev":"send","stream":0,"sn":1,"path":0}"#,
            #"{"node":"secondary","seq":2,"ev":"apply","stream":0,"sn":1}"#,
        ])
        // Its last event waits in a queue for its cause: handed out from there.
        let mergedShort = try write("m2.jsonl", [
            #"{"node":"secondary","seq":1,"ev":"recv","stream":0,"sn":1,"path":0,"cause":{"node":"primary","seq":1}}"#,
            #"{"node":"primary","seq":1,"ev":"send","stream":0,"sn":1,"path":0}"#,
        ])
        let cases: [([String], [String])] = [
            ([primary, secondary], ["primary#1", "secondary#1", "secondary#2", "secondary#3",
                                    "primary#2", "primary#3", "primary#4", "secondary#4"]),
            ([secondary, primary], ["primary#1", "secondary#1", "secondary#2", "secondary#3",
                                    "primary#2", "primary#3", "secondary#4", "primary#4"]),
            ([merged], ["primary#1", "secondary#1", "secondary#2"]),
            ([mergedShort], ["primary#1", "secondary#1"]),
        ]
        for (paths, ids) in cases {
            var order = try CausalOrder(paths: paths)
            var expected: [TraceEvent] = []
            while let event = try order.next() { expected.append(event) }
            XCTAssertEqual(expected.map { "\($0.node)#\($0.seq)" }, ids, "\(paths)")
            for k in 1...expected.count + 1 {
                var order = try CausalOrder(paths: paths)
                var got: [TraceEvent] = [], pauses = 0, sincePause = 0
                while try order.handOut(to: { event in
                    got.append(copy event)
                    sincePause += 1
                    return sincePause < k
                }) {
                    sincePause = 0
                    pauses += 1
                }
                // The same events, with their causes and locations, and a pause after every k-th.
                XCTAssertEqual(got, expected, "paused every \(k) of \(paths)")
                XCTAssertEqual(pauses, expected.count / k, "paused every \(k) of \(paths)")
                XCTAssertEqual(order.eventCount, expected.count)
            }
        }
    }

    func testCauseNamingANodeNoFileHoldsSaysSo() throws {
        let f = try write("a.jsonl", [
            #"{"node":"primary","seq":1,"ev":"assign","stream":0,"path":0}"#,
            #"{"node":"primary","seq":2,"ev":"acked","stream":0,"sn":1,"cause":{"node":"secondary","seq":4}}"#,
        ])
        let message = inputMessage { _ = try drain([f]) }
        XCTAssertEqual(message, "\(f):3: cause secondary#4 names node \"secondary\", but no file given holds an event "
            + "of that node: give its file too (or check the node's name)")
    }

    func testCauseNamingNothingIsAnInputErrorWithFileAndLine() throws {
        let f = try write("a.jsonl", [
            #"{"node":"primary","seq":1,"ev":"send","stream":0,"sn":1,"path":0}"#,
            #"{"node":"primary","seq":3,"ev":"commit","lsn":1}"#,
            #"{"node":"secondary","seq":1,"ev":"recv","stream":0,"sn":1,"path":0,"cause":{"node":"primary","seq":2}}"#,
        ])
        let message = inputMessage { _ = try drain([f]) }
        XCTAssertEqual(message, "\(f):4: cause primary#2 names an event that is in none of the files")
    }

    func testCycleIsAnInputError() throws {
        let f = try write("a.jsonl", [
            #"{"node":"primary","seq":1,"ev":"send","stream":0,"sn":1,"path":0,"cause":{"node":"secondary","seq":1}}"#,
            #"{"node":"secondary","seq":1,"ev":"recv","stream":0,"sn":1,"path":0,"cause":{"node":"primary","seq":1}}"#,
        ])
        let message = inputMessage { _ = try drain([f]) }
        XCTAssertTrue(message?.contains("cycle") ?? false, message ?? "no error")
    }

    func testTruncatedTailIsAnErrorUnlessAllowed() throws {
        let primary = try write("primary.jsonl", [
            #"{"node":"primary","seq":1,"ev":"send","stream":0,"sn":1,"path":0}"#,
        ])
        let secondary = try write("secondary.jsonl", [
            #"{"node":"secondary","seq":1,"ev":"recv","stream":0,"sn":1,"path":0,"cause":{"node":"primary","seq":1}}"#,
            #"{"node":"secondary","seq":2,"ev":"apply","stream":0,"sn":1,"cause":{"node":"primary","seq":5}}"#,
        ])
        let message = inputMessage { _ = try drain([primary, secondary]) }
        XCTAssertTrue(message?.contains("--truncated") ?? false, message ?? "no error")
        let (ids, order) = try drain([primary, secondary], truncated: true)
        XCTAssertEqual(ids.count, 3)
        XCTAssertEqual(order.droppedTruncatedCauses, 1)
    }

    func testDuplicateAcrossFilesIsAnInputError() throws {
        let a = try write("a.jsonl", [#"{"node":"primary","seq":1,"ev":"commit","lsn":1}"#])
        let b = try write("b.jsonl", [#"{"node":"primary","seq":1,"ev":"commit","lsn":2}"#])
        let message = inputMessage { _ = try drain([a, b]) }
        XCTAssertTrue(message?.contains("duplicate event primary#1") ?? false, message ?? "no error")
    }

    func testCauseNamingAnExtensionEventNamesNoEvent() throws {
        let f = try write("a.jsonl", [
            #"{"node":"primary","seq":1,"ev":"x-probe"}"#,
            #"{"node":"secondary","seq":1,"ev":"recv","stream":0,"sn":1,"path":0,"cause":{"node":"primary","seq":1}}"#,
        ])
        let (ids, order) = try drain([f])
        XCTAssertEqual(ids, ["secondary#1"])
        XCTAssertEqual(order.droppedExtensionCauses, 1)
    }

    /// An `x-` event's seq is never checked, so it may be read after its node moved past it,
    /// or name a later seq of the node that names it: a cause naming it is still no edge.
    func testCauseNamingAnExtensionEventReadLaterNamesNoEvent() throws {
        let f = try write("a.jsonl", [
            #"{"node":"secondary","seq":1,"ev":"takeover"}"#,
            #"{"node":"secondary","seq":3,"ev":"takeover"}"#,
            #"{"node":"primary","seq":1,"ev":"commit","lsn":1,"cause":[{"node":"secondary","seq":2},{"node":"primary","seq":4}]}"#,
            #"{"node":"secondary","seq":2,"ev":"x-debug"}"#,
            #"{"node":"primary","seq":4,"ev":"x-note"}"#,
        ])
        let (ids, order) = try drain([f])
        XCTAssertEqual(ids, ["secondary#1", "secondary#3", "primary#1"])
        XCTAssertEqual(order.droppedExtensionCauses, 2)
        // Split per node, the same (after the prescan that a node moving past a cause asks for).
        let p = try write("p.jsonl", [#"{"node":"primary","seq":1,"ev":"commit","lsn":1,"cause":{"node":"secondary","seq":2}}"#])
        let s = try write("s.jsonl", [
            #"{"node":"secondary","seq":1,"ev":"takeover"}"#, #"{"node":"secondary","seq":3,"ev":"takeover"}"#,
            #"{"node":"secondary","seq":2,"ev":"x-debug"}"#,
        ])
        for files in [[p, s], [s, p]] {
            var drained: (ids: [String], order: CausalOrder)
            do { drained = try drain(files) } catch { drained = try drain(files, prescan: true) }
            XCTAssertEqual(drained.ids.count, 3)
            XCTAssertEqual(drained.order.droppedExtensionCauses, 1)
        }
    }

    /// With a prescan (a node's seqs interleaved across files), an `x-` event in a file that
    /// holds none of its node's other events still makes a cause naming its seq no edge.
    func testAnExtensionEventInAnotherFileCountsAfterAPrescan() throws {
        let late = try write("late.jsonl", [
            #"{"node":"secondary","seq":5,"ev":"takeover"}"#, #"{"node":"secondary","seq":6,"ev":"takeover"}"#,
        ])
        let early = try write("early.jsonl", [
            #"{"node":"secondary","seq":1,"ev":"takeover"}"#, #"{"node":"secondary","seq":2,"ev":"takeover"}"#,
        ])
        let primary = try write("p.jsonl", [#"{"node":"primary","seq":1,"ev":"commit","lsn":1,"cause":{"node":"secondary","seq":43}}"#])
        let notes = try write("x.jsonl", [#"{"node":"secondary","seq":43,"ev":"x-note"}"#])
        let (ids, order) = try drain([late, early, primary, notes], prescan: true)
        XCTAssertEqual(ids.count, 5)
        XCTAssertEqual(order.droppedExtensionCauses, 1)
    }

    /// Without such an `x-` event, the same causes stay input errors, found at the end.
    func testCauseNamingNoEventPastItsNodeIsAnErrorAtTheEnd() throws {
        let missing = try write("a.jsonl", [
            #"{"node":"secondary","seq":1,"ev":"takeover"}"#,
            #"{"node":"secondary","seq":3,"ev":"takeover"}"#,
            #"{"node":"primary","seq":1,"ev":"commit","lsn":1,"cause":{"node":"secondary","seq":2}}"#,
            #"{"node":"secondary","seq":4,"ev":"x-debug"}"#,
        ])
        let message = inputMessage { _ = try drain([missing]) }
        XCTAssertTrue(message?.contains("cause secondary#2 names an event that is in none of the files") ?? false, message ?? "no error")
        let cycle = try write("b.jsonl", [
            #"{"node":"primary","seq":1,"ev":"commit","lsn":1,"cause":{"node":"primary","seq":2}}"#,
            #"{"node":"primary","seq":2,"ev":"commit","lsn":2}"#,
            #"{"node":"primary","seq":2,"ev":"x-same-seq"}"#,
        ])
        let cycleMessage = inputMessage { _ = try drain([cycle]) }
        XCTAssertTrue(cycleMessage?.contains("cycle") ?? false, cycleMessage ?? "no error")
        // The x- line first: the real event with that seq still makes the cause a cycle.
        let extensionFirst = try write("c.jsonl", [
            #"{"node":"primary","seq":2,"ev":"x-same-seq"}"#,
            #"{"node":"primary","seq":1,"ev":"commit","lsn":1,"cause":{"node":"primary","seq":2}}"#,
            #"{"node":"primary","seq":2,"ev":"commit","lsn":2}"#,
        ])
        let firstMessage = inputMessage { _ = try drain([extensionFirst]) }
        XCTAssertTrue(firstMessage?.contains("cycle") ?? false, firstMessage ?? "no error")
    }

    /// An event retried while it waits for another cause judges a cause naming no event once.
    func testACauseToAnExtensionEventIsCountedOnceWhileItsEventWaits() throws {
        let f = try write("a.jsonl", [
            #"{"node":"secondary","seq":1,"ev":"takeover"}"#,
            #"{"node":"secondary","seq":3,"ev":"takeover"}"#,
            #"{"node":"primary","seq":1,"ev":"commit","lsn":1,"cause":[{"node":"secondary","seq":2},{"node":"secondary","seq":40}]}"#,
        ] + (4...40).map { #"{"node":"secondary","seq":\#($0),"ev":"takeover"}"# } + [
            #"{"node":"secondary","seq":2,"ev":"x-debug"}"#,
        ])
        let (ids, order) = try drain([f])
        XCTAssertEqual(ids.count, 40)
        XCTAssertEqual(order.droppedExtensionCauses, 1)
    }

    func testNodeInterleavedAcrossFilesNeedsAndGetsAPrescan() throws {
        let a = try write("a.jsonl", [
            #"{"node":"primary","seq":1,"ev":"commit","lsn":1}"#,
            #"{"node":"primary","seq":3,"ev":"commit","lsn":3}"#,
        ])
        let b = try write("b.jsonl", [
            #"{"node":"secondary","seq":1,"ev":"takeover"}"#,
            #"{"node":"secondary","seq":2,"ev":"takeover"}"#,
            #"{"node":"primary","seq":2,"ev":"commit","lsn":2}"#,
        ])
        var needed = false
        do { _ = try drain([a, b]) } catch {
            if case .needsPrescan(let node) = error { needed = node == "primary" }
        }
        XCTAssertTrue(needed)
        let ids = try drain([a, b], prescan: true).ids
        XCTAssertEqual(ids.filter { $0.hasPrefix("primary") }, ["primary#1", "primary#2", "primary#3"])
    }

    func testDifferentSystemsAcrossFilesIsAnInputError() throws {
        let a = try write("a.jsonl", [])
        let url = directory.appendingPathComponent("b.jsonl")
        try #"{"format":"plumb-trace","version":1,"system":"driver"}"#.write(to: url, atomically: true, encoding: .utf8)
        let message = inputMessage { _ = try drain([a, url.path]) }
        XCTAssertTrue(message?.contains("system") ?? false, message ?? "no error")
    }

    func testWindowStaysSmallOnALongTraceSplitPerNode() throws {
        // 20,000 records: the primary's file runs ahead; causes bring the secondary's back.
        var p: [String] = [], s: [String] = []
        var ps = 0, ss = 0
        for r in 1...20_000 {
            ps += 1
            p.append(#"{"node":"primary","seq":\#(ps),"ev":"send","stream":0,"sn":\#(r),"path":0}"#)
            ss += 1
            s.append(#"{"node":"secondary","seq":\#(ss),"ev":"recv","stream":0,"sn":\#(r),"path":0,"cause":{"node":"primary","seq":\#(ps)}}"#)
            ss += 1
            s.append(#"{"node":"secondary","seq":\#(ss),"ev":"ack","stream":0,"sn":\#(r)}"#)
            ps += 1
            p.append(#"{"node":"primary","seq":\#(ps),"ev":"acked","stream":0,"sn":\#(r),"cause":{"node":"secondary","seq":\#(ss)}}"#)
        }
        let (ids, order) = try drain([try write("p.jsonl", p), try write("s.jsonl", s)])
        XCTAssertEqual(ids.count, 80_000)
        XCTAssertLessThan(order.peakPending, 16)
    }

    func testAnExtensionEventSharingASeqDoesNotHideTheRealEventBehindIt() throws {
        // x- events' seqs are not checked: the real secondary#2 comes after an x- with seq 2.
        let f = try write("a.jsonl", [
            #"{"node":"secondary","seq":2,"ev":"x-debug"}"#,
            #"{"node":"primary","seq":1,"ev":"acked","stream":0,"sn":1,"cause":{"node":"secondary","seq":2}}"#,
            #"{"node":"secondary","seq":2,"ev":"ack","stream":0,"sn":1}"#,
        ])
        let (ids, order) = try drain([f])
        XCTAssertEqual(ids, ["secondary#2", "primary#1"])
        XCTAssertEqual(order.droppedExtensionCauses, 0)
    }

    func testACauseIntoAnotherFileOfARotatedNodeIsFound() throws {
        // driver's seqs 50.. are in the file named first; its cause driver#5 in the other.
        let current = try write("current.jsonl", [
            #"{"node":"primary","seq":50,"ev":"commit","lsn":50}"#,
            #"{"node":"primary","seq":51,"ev":"commit","lsn":51,"cause":{"node":"primary","seq":5}}"#,
        ])
        let rotated = try write("rotated.jsonl", (1...7).map { #"{"node":"primary","seq":\#($0),"ev":"commit","lsn":\#($0)}"# })
        for files in [[current, rotated], [rotated, current]] {
            let message = inputMessage { _ = try self.drain(files) }
            if message == nil { continue }
            XCTAssertTrue(message!.contains("prescan") || message!.contains("needsPrescan"), message!)
            let ids = try drain(files, prescan: true).ids
            XCTAssertEqual(ids.count, 9)
            XCTAssertEqual(ids.last, "primary#51")
        }
    }

    func testAMissingCauseBehindAWaitingEventIsNamedAsMissingNotACycle() throws {
        let f = try write("a.jsonl", [
            #"{"node":"primary","seq":1,"ev":"commit","lsn":1}"#,
            #"{"node":"primary","seq":4,"ev":"commit","lsn":4,"cause":{"node":"secondary","seq":2}}"#,
            #"{"node":"secondary","seq":2,"ev":"takeover","cause":{"node":"primary","seq":3}}"#,
        ])
        let message = inputMessage { _ = try self.drain([f]) }
        XCTAssertEqual(message, "\(f):4: cause primary#3 names an event that is in none of the files")
    }

    func testNodeNamesAreComparedByteForByte() throws {
        // "w\u00e9" and "we\u0301" are canonically equivalent but different JSON strings.
        let url = directory.appendingPathComponent("workers.jsonl")
        try [
            #"{"format":"plumb-trace","version":1,"system":"recovery"}"#,
            #"{"node":"w\u00e9","seq":1,"ev":"tag","consumer":"a","log":"L"}"#,
            #"{"node":"we\u0301","seq":1,"ev":"tag","consumer":"a","log":"L"}"#,
        ].joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        let f = url.path
        XCTAssertEqual(try drain([f]).ids.count, 2)
    }

    /// Random two-node traces whose events wait for causes in other files and out of line
    /// order: every event comes out once, with its causes, after them and in its node's order.
    func testEveryEventComesOutOnceAfterItsCausesInFourFileLayouts() throws {
        var rng = SplitMix64(seed: 29)
        for round in 0..<40 {
            // Events in a happens-before order; a cause names an earlier event of the other node.
            var events: [(node: String, seq: Int, cause: (String, Int)?)] = []
            var count = ["primary": 0, "secondary": 0]
            for _ in 0..<Int(20 + rng.next() % 40) {
                let node = rng.next() % 2 == 0 ? "primary" : "secondary"
                let other = node == "primary" ? "secondary" : "primary"
                count[node]! += 1
                let cause = count[other]! > 0 && rng.next() % 3 == 0 ? (other, 1 + Int(rng.next() % UInt64(count[other]!))) : nil
                events.append((node, count[node]!, cause))
            }
            func line(_ e: (node: String, seq: Int, cause: (String, Int)?)) -> String {
                let kind = e.node == "primary" ? #""ev":"commit","lsn":\#(e.seq)"# : #""ev":"apply","stream":0,"sn":\#(e.seq)"#
                let cause = e.cause.map { #","cause":{"node":"\#($0.0)","seq":\#($0.1)}"# } ?? ""
                return #"{"node":"\#(e.node)","seq":\#(e.seq),\#(kind)\#(cause)}"#
            }
            let primary = events.filter { $0.node == "primary" }, secondary = events.filter { $0.node == "secondary" }
            // Layouts: one file per node; the secondary rotated into two files; one merged file
            // whose lines interleave the nodes at random (each node's lines in seq order); that
            // file cut in two, the later half given first (both nodes in two files each).
            var merged: [String] = []
            var (i, j) = (0, 0)
            while i < primary.count || j < secondary.count {
                if j == secondary.count || (i < primary.count && rng.next() % 2 == 0) {
                    merged.append(line(primary[i])); i += 1
                } else {
                    merged.append(line(secondary[j])); j += 1
                }
            }
            let cut = secondary.count / 2
            let layouts: [[String]] = [
                [try write("p\(round).jsonl", primary.map(line)), try write("s\(round).jsonl", secondary.map(line))],
                [try write("s\(round)b.jsonl", secondary[cut...].map(line)), try write("p\(round)b.jsonl", primary.map(line)),
                 try write("s\(round)a.jsonl", secondary[..<cut].map(line))],
                [try write("m\(round).jsonl", merged)],
                [try write("m\(round)b.jsonl", Array(merged[(merged.count / 2)...])),
                 try write("m\(round)a.jsonl", Array(merged[..<(merged.count / 2)]))],
            ]
            for paths in layouts {
                var order = try CausalOrder(paths: paths, prescan: true)
                var out: [String: Int] = [:]
                var last = ["primary": 0, "secondary": 0]
                while let e = try order.next() {
                    let id = "\(e.node)#\(e.seq)"
                    XCTAssertNil(out[id], "\(id) twice")
                    out[id] = out.count
                    XCTAssertEqual(e.seq, last[e.node, default: 0] + 1, "\(id) out of its node's order")
                    last[e.node] = e.seq
                    guard let want = events.first(where: { $0.node == e.node && $0.seq == e.seq }) else {
                        XCTFail("\(id) was never written")
                        continue
                    }
                    XCTAssertEqual(e.causes.map { "\($0.node)#\($0.seq)" }, want.cause.map { ["\($0.0)#\($0.1)"] } ?? [])
                    for c in e.causes { XCTAssertNotNil(out["\(c.node)#\(c.seq)"], "\(id) before its cause") }
                }
                XCTAssertEqual(out.count, events.count, "layout \(paths.count) files, round \(round)")
            }
        }
    }

    /// An event parked for a later seq of a node kept in several files is retried as that node's
    /// queues move, so it comes out where it always did (a shortcut that left such a lone
    /// waiter parked handed q#3 out before s#1 here; found by comparing orders on random traces).
    func testALoneWaiterOnANodeInSeveralFilesKeepsItsPlace() throws {
        func file(_ name: String, _ lines: [String]) throws -> String {
            let url = directory.appendingPathComponent(name)
            try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }
        let f0 = try file("f0.jsonl", [
            #"{"format":"plumb-trace","version":1,"system":"recovery"}"#,
            #"{"node":"s","seq":1,"ev":"tag","consumer":"c","log":"l","cause":[{"node":"q","seq":2},{"node":"t","seq":2}]}"#,
            #"{"node":"s","seq":2,"ev":"tag","consumer":"c","log":"l","cause":[{"node":"q","seq":1}]}"#,
            #"{"node":"q","seq":2,"ev":"tag","consumer":"c","log":"l","cause":[{"node":"t","seq":1}]}"#,
            #"{"node":"s","seq":3,"ev":"tag","consumer":"c","log":"l","cause":[{"node":"t","seq":1}]}"#,
            #"{"node":"q","seq":3,"ev":"tag","consumer":"c","log":"l","cause":[{"node":"t","seq":2}]}"#,
            #"{"node":"t","seq":1,"ev":"tag","consumer":"c","log":"l"}"#,
            #"{"node":"s","seq":4,"ev":"tag","consumer":"c","log":"l","cause":[{"node":"q","seq":1},{"node":"q","seq":4}]}"#,
            #"{"node":"t","seq":2,"ev":"tag","consumer":"c","log":"l","cause":[{"node":"q","seq":2}]}"#,
            #"{"node":"q","seq":4,"ev":"tag","consumer":"c","log":"l","cause":[{"node":"t","seq":2}]}"#,
        ])
        let f1 = try file("f1.jsonl", [
            #"{"format":"plumb-trace","version":1,"system":"recovery"}"#,
            #"{"node":"q","seq":1,"ev":"tag","consumer":"c","log":"l","cause":[{"node":"t","seq":1}]}"#,
            #"{"node":"q","seq":5,"ev":"tag","consumer":"c","log":"l","cause":[{"node":"x","seq":2}]}"#,
        ])
        let f2 = try file("f2.jsonl", [
            #"{"format":"plumb-trace","version":1,"system":"recovery"}"#,
            #"{"node":"x","seq":1,"ev":"tag","consumer":"c","log":"l","cause":[{"node":"s","seq":3},{"node":"q","seq":3}]}"#,
            #"{"node":"x","seq":2,"ev":"tag","consumer":"c","log":"l"}"#,
        ])
        XCTAssertEqual(try drain([f0, f1, f2], prescan: true).ids, [
            "t#1", "q#1", "q#2", "t#2", "s#1", "s#2", "s#3", "q#3", "x#1", "x#2", "q#4", "s#4", "q#5",
        ])
    }
}
