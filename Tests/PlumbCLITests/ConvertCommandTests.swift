import Foundation
import XCTest

/// `plumb convert --to chrome-trace`: the output is a Chrome trace with one track per node, one
/// slice per event, a flow per cause link, and the time axis asked for.
final class ConvertCommandTests: XCTestCase {
    private let golden = "Traces/mirror/pass-split-files"

    /// The events of the golden trace's files (x- events left out), as parsed JSON objects.
    private func inputEvents() throws -> [[String: Any]] {
        let dir = PlumbBinary.root.appendingPathComponent(golden)
        var events: [[String: Any]] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() where name.hasSuffix(".jsonl") {
            let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            for line in text.split(separator: "\n") {
                let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                guard let ev = object["ev"] as? String, !ev.hasPrefix("x-") else { continue }
                events.append(object)
            }
        }
        return events
    }

    /// Runs the conversion and parses its output.
    private func convert(_ extra: [String] = [], paths: [String]? = nil) throws -> [String: Any] {
        let result = try PlumbBinary.run(["convert", "--to", "chrome-trace"] + extra + (paths ?? [golden]))
        XCTAssertEqual(result.status, 0, result.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    func testGoldenTraceHasTracksSlicesFlowsAndRanks() throws {
        let document = try convert()
        let trace = try XCTUnwrap(document["traceEvents"] as? [[String: Any]])
        let input = try inputEvents()

        // One track per node, named by the node.
        var trackOfNode: [String: Int] = [:]
        for e in trace where e["ph"] as? String == "M" && e["name"] as? String == "thread_name" {
            let name = try XCTUnwrap((e["args"] as? [String: Any])?["name"] as? String)
            XCTAssertNil(trackOfNode[name], "two tracks for \(name)")
            trackOfNode[name] = e["tid"] as? Int
        }
        XCTAssertEqual(Set(trackOfNode.keys), Set(input.map { $0["node"] as! String }))
        XCTAssertEqual(Set(trackOfNode.values).count, trackOfNode.count)

        // One zero-length slice per event, named by the event, with its fields and file:line.
        let slices = trace.filter { $0["ph"] as? String == "X" }
        XCTAssertEqual(slices.count, input.count)
        var sliceAt: [String: [String: Any]] = [:]  // "node#seq" -> slice
        for slice in slices {
            let args = try XCTUnwrap(slice["args"] as? [String: Any])
            let node = try XCTUnwrap(args["node"] as? String), seq = try XCTUnwrap(args["seq"] as? Int)
            XCTAssertEqual(slice["name"] as? String, args["ev"] as? String)
            XCTAssertEqual(slice["dur"] as? Int, 0)
            XCTAssertEqual(slice["tid"] as? Int, trackOfNode[node])
            XCTAssertTrue((args["file"] as? String)?.hasPrefix(golden) ?? false, "\(args)")
            XCTAssertNotNil(args["line"] as? Int)
            sliceAt["\(node)#\(seq)"] = slice
        }
        for event in input {
            let slice = try XCTUnwrap(sliceAt["\(event["node"]!)#\(event["seq"]!)"])
            let args = try XCTUnwrap(slice["args"] as? [String: Any])
            for key in ["stream", "sn", "lsn", "path"] where event[key] != nil {
                XCTAssertEqual(args[key] as? Int, event[key] as? Int, "\(key) of \(event)")
            }
        }

        // Ranks: distinct, and increasing along each node's seqs.
        var ranks = Set<Double>()
        for (node, _) in trackOfNode {
            let mine = input.filter { $0["node"] as? String == node }.map { $0["seq"] as! Int }.sorted()
            let ts = try mine.map { try XCTUnwrap(sliceAt["\(node)#\($0)"]?["ts"] as? Double) }
            XCTAssertEqual(ts, ts.sorted(), node)
            XCTAssertEqual(Set(ts).count, ts.count, node)
            ranks.formUnion(ts)
        }
        XCTAssertEqual(ranks.count, input.count)

        // A flow pair per cause link: the start at the cause's slice, the end at the event's.
        var starts: [String: [String: Any]] = [:]
        for e in trace where e["ph"] as? String == "s" { starts[e["id"] as! String] = e }
        let ends = trace.filter { $0["ph"] as? String == "f" }
        var links = 0
        for event in input {
            let causes: [[String: Any]]
            if let one = event["cause"] as? [String: Any] { causes = [one] } else { causes = event["cause"] as? [[String: Any]] ?? [] }
            let effect = try XCTUnwrap(sliceAt["\(event["node"]!)#\(event["seq"]!)"])
            for cause in causes {
                links += 1
                let source = try XCTUnwrap(sliceAt["\(cause["node"]!)#\(cause["seq"]!)"])
                let matching = ends.filter {
                    $0["tid"] as? Int == effect["tid"] as? Int && $0["ts"] as? Double == effect["ts"] as? Double
                        && starts[$0["id"] as! String].map { $0["tid"] as? Int == source["tid"] as? Int && $0["ts"] as? Double == source["ts"] as? Double } == true
                }
                XCTAssertEqual(matching.count, 1, "flow \(cause) -> \(event)")
                XCTAssertEqual(matching.first?["bp"] as? String, "e")
            }
        }
        XCTAssertGreaterThan(links, 0)
        XCTAssertEqual(ends.count, links)
        let other = try XCTUnwrap(document["otherData"] as? [String: Any])
        XCTAssertEqual(other["time_axis"] as? String, "rank")
        XCTAssertEqual(other["cause_links"] as? Int, links)
    }

    func testTimeTUsesEachNodesClockAndSaysClocksDiffer() throws {
        let document = try convert(["--time", "t"])
        let trace = try XCTUnwrap(document["traceEvents"] as? [[String: Any]])
        let input = try inputEvents()
        let slices = trace.filter { $0["ph"] as? String == "X" }
        XCTAssertEqual(slices.count, input.count)
        for slice in slices {
            let args = try XCTUnwrap(slice["args"] as? [String: Any])
            let t = try XCTUnwrap(args["t"] as? Int)
            XCTAssertEqual(try XCTUnwrap(slice["ts"] as? Double), Double(t) / 1000, accuracy: 1e-9)
        }
        let other = try XCTUnwrap(document["otherData"] as? [String: Any])
        XCTAssertEqual(other["time_axis"] as? String, "t")
        XCTAssertTrue((other["time_note"] as? String)?.contains("not comparable") ?? false)
    }

    func testMissingTCarriesForwardAndXEventsAndInputErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-convert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("t.jsonl").path
        try """
            {"format":"plumb-trace","version":1,"system":"driver"}
            {"node":"driver","seq":1,"ev":"submit","iface":0,"id":1,"off":0,"len":8,"t":-1500}
            {"node":"driver","seq":2,"ev":"x-note","t":99}
            {"node":"driver","seq":3,"ev":"stage","id":1,"region":0}
            {"node":"driver","seq":4,"ev":"durable","id":1,"t":7}

            """.write(toFile: good, atomically: false, encoding: .utf8)
        let trace = try XCTUnwrap(try convert(["--time", "t"], paths: [good])["traceEvents"] as? [[String: Any]])
        let ts = trace.filter { $0["ph"] as? String == "X" }.map { $0["ts"] as? Double }
        XCTAssertEqual(ts, [-1.5, -1.5, 0.007])

        let bad = dir.appendingPathComponent("bad.jsonl").path
        try """
            {"format":"plumb-trace","version":1,"system":"driver"}
            {"node":"driver","seq":1,"ev":"online"}
            {"node":"driver","seq":1,"ev":"online"}

            """.write(toFile: bad, atomically: false, encoding: .utf8)
        let result = try PlumbBinary.run(["convert", "--to", "chrome-trace", bad])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("\(bad):3:"), result.stderr)
    }

    /// `-` reads standard input, as `plumb check` does; an error there names `<stdin>`.
    func testStandardInputIsATraceAsForCheck() throws {
        func run(_ input: String) throws -> (status: Int32, stdout: Data, stderr: String) {
            let process = Process()
            process.executableURL = PlumbBinary.url
            process.arguments = ["convert", "--to", "chrome-trace", "-"]
            process.standardInput = try XCTUnwrap(FileHandle(forReadingAtPath: input))
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let stdout = out.fileHandleForReading.readDataToEndOfFile()
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, stdout, stderr)
        }
        let good = try run(PlumbBinary.root.appendingPathComponent("Traces/mirror/pass-basic-one-stream.jsonl").path)
        XCTAssertEqual(good.status, 0, good.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: good.stdout) as? [String: Any])
        XCTAssertFalse((object["traceEvents"] as? [Any] ?? []).isEmpty)
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("convert-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: bad) }
        try "x\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try run(bad)
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("<stdin>:1:"), refused.stderr)
    }
}
