import Foundation
import XCTest
@testable import Trace

#if canImport(Glibc)
import Glibc
#endif

/// Many files and lines far from happens-before: bounded descriptors, linear work, bounded memory.
final class FileWindowTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-window-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// One rotated driver log split into `count` files of `perFile` events each (requests of
    /// submit, stage, complete, durable); their paths in order.
    private func rotatedLog(files count: Int, perFile: Int = 2) throws -> [String] {
        let header = #"{"format":"plumb-trace","version":1,"system":"driver"}"#
        var paths: [String] = []
        var seq = 0
        for k in 0..<count {
            var text = header + "\n"
            for _ in 0..<perFile {
                let r = seq / 4 + 1
                seq += 1
                let event = switch seq % 4 {
                case 1: #""ev":"submit","iface":0,"id":\#(r),"off":\#(r * 512),"len":512"#
                case 2: #""ev":"stage","id":\#(r),"region":0"#
                case 3: #""ev":"complete","id":\#(r)"#
                default: #""ev":"durable","id":\#(r)"#
                }
                text += #"{"node":"driver","seq":\#(seq),\#(event)}"# + "\n"
            }
            let name = String(k)
            let path = directory.path + "/log-" + String(repeating: "0", count: 6 - name.count) + name + ".jsonl"
            let file = try XCTUnwrap(fopen(path, "w"))
            fputs(text, file)
            fclose(file)
            paths.append(path)
        }
        return paths
    }

    /// The descriptors this process has open now.
    private func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }

    func testThreeThousandFilesStayWithinTheOpenFileBudget() throws {
        let paths = try rotatedLog(files: 3000)
        for parallelRead in [false, true] {
            let baseline = openDescriptors()
            var order = try CausalOrder(paths: paths, maxOpenFiles: 16, parallelRead: parallelRead)
            var seqs: [Int] = []
            var peakDescriptors = 0
            while let event = try order.next() {
                seqs.append(event.seq)
                if seqs.count % 50 == 0 { peakDescriptors = max(peakDescriptors, openDescriptors()) }
            }
            XCTAssertEqual(seqs, Array(1...6000), "parallelRead \(parallelRead)")
            XCTAssertEqual(order.maxOpenFiles, 16)
            XCTAssertLessThanOrEqual(order.peakOpenFiles, 16)
            // Each open file holds one descriptor; the slack is for whatever else the process opens.
            XCTAssertLessThanOrEqual(peakDescriptors - baseline, 16 + 8, "parallelRead \(parallelRead)")
        }
    }

    func testEventsBeforeABadLineComeOutBeforeItsErrorInBothReadModes() throws {
        // 3000 events (more than one batch of 2048), a line that is not JSON, then more events.
        let path = try rotatedLog(files: 1, perFile: 3000)[0]
        let file = try XCTUnwrap(fopen(path, "a"))
        fputs("{\"node\":\"driver\",\"seq\":\n", file)
        fputs(#"{"node":"driver","seq":3001,"ev":"submit","iface":0,"id":751,"off":0,"len":512}"# + "\n", file)
        fclose(file)
        for parallelRead in [false, true] {
            var order = try CausalOrder(paths: [path], parallelRead: parallelRead)
            var count = 0
            do {
                while try order.next() != nil { count += 1 }
                XCTFail("expected the bad line to stop the read")
            } catch .input(let error) {
                XCTAssertEqual(error.file, path)
                XCTAssertEqual(error.line, 3002, "after the header and 3000 events")
            } catch {
                XCTFail("\(error)")
            }
            XCTAssertEqual(count, 3000, "parallelRead \(parallelRead)")
        }
    }

    func testFilesLongerThanTheReadAheadUnderALowDescriptorLimit() throws {
        // Each file is longer than a reader parses ahead (5 chunks of 2048 events), so a file
        // stays open until it is consumed: before, all 24 were open at once.
        let paths = try rotatedLog(files: 24, perFile: 10_400)
        var saved = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &saved), 0)
        var low = saved
        low.rlim_cur = rlim_t(openDescriptors() + 16)
        XCTAssertEqual(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &low), 0)
        defer { _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &saved) }
        for parallelRead in [false, true] {
            var order = try CausalOrder(
                paths: paths, maxOpenFiles: min(TraceFileWindow.defaultMaxOpen, 12), parallelRead: parallelRead)
            var count = 0
            while try order.next() != nil { count += 1 }
            XCTAssertEqual(count, 24 * 10_400, "parallelRead \(parallelRead)")
            XCTAssertLessThanOrEqual(order.peakOpenFiles, 12)
        }
        XCTAssertEqual(TraceFileWindow.defaultMaxOpen, max(8, Int(low.rlim_cur) / 4))
    }

    func testNodeOrderAcrossManyOpenFilesDoesNoWorkPerFile() throws {
        // Every file holds the node, and all are open at once: the order check looks only at
        // the files that still matter, so this many files stays quick in any build.
        let paths = try rotatedLog(files: 2000)
        var order = try CausalOrder(paths: paths, maxOpenFiles: 256)
        var count = 0
        while try order.next() != nil { count += 1 }
        XCTAssertEqual(count, 4000)
        // Before, each event looked at every file of its node: 4000 x 2000 steps.
        XCTAssertLessThanOrEqual(order.orderCheckSteps, 4 * count)
    }

    func testTooManyWaitingEventsIsAnInputErrorNamingTheBound() throws {
        // Every secondary event names a primary event that comes only after all of them.
        let n = 1000
        var lines = [#"{"format":"plumb-trace","version":1,"system":"mirror"}"#]
        for i in 1...n {
            lines.append(#"{"node":"secondary","seq":\#(i),"ev":"ack","stream":0,"sn":0,"cause":{"node":"primary","seq":\#(i)}}"#)
        }
        for i in 1...n { lines.append(#"{"node":"primary","seq":\#(i),"ev":"assign","stream":0,"path":0}"#) }
        let url = directory.appendingPathComponent("merged.jsonl")
        try lines.joined(separator: "\n").write(to: url, atomically: false, encoding: .utf8)

        var bounded = try CausalOrder(paths: [url.path], maxPending: 100)
        do {
            while try bounded.next() != nil {}
            XCTFail("expected the bound to stop the read")
        } catch .input(let error) {
            XCTAssertEqual(error.file, url.path)
            XCTAssertEqual(error.line, 102)  // the 101st waiting event, after the header
            XCTAssertTrue(error.message.hasPrefix("101 events read are waiting"), error.message)
            XCTAssertTrue(error.message.contains("--max-pending"), error.message)
            XCTAssertTrue(error.message.contains("secondary#1"), error.message)
        } catch {
            XCTFail("\(error)")
        }
        XCTAssertLessThanOrEqual(bounded.peakPending, 101)

        var roomy = try CausalOrder(paths: [url.path], maxPending: n + 1)
        var count = 0
        while try roomy.next() != nil { count += 1 }
        XCTAssertEqual(count, 2 * n)
        XCTAssertEqual(CausalOrder.defaultMaxPending, 4_000_000)
    }
}
