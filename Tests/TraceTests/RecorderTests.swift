import Foundation
import XCTest
@testable import Trace

/// One event of every kind, with causes and clocks in every form, per system.
let recorderSamples: [TraceSystem: [TraceEvent]] = [
    .mirror: [
        TraceEvent(node: "primary", seq: 0, kind: .append(lsn: 1, stream: 0, sn: 1, deps: [])),
        TraceEvent(node: "primary", seq: 1, kind: .append(
            lsn: 2, stream: 1, sn: 1, deps: [StreamEntry(stream: 0, sn: 1), StreamEntry(stream: 2, sn: 9)])),
        TraceEvent(node: "primary", seq: 2, kind: .assign(stream: 0, path: 1), t: 0),
        TraceEvent(node: "primary", seq: 3, kind: .path(path: 1, up: false), t: -5),
        TraceEvent(node: "secondary", seq: 4, kind: .path(path: 0, up: true), t: Int.max),
        TraceEvent(node: "primary", seq: 5, kind: .send(stream: 0, sn: 1, path: 1), t: Int.min),
        TraceEvent(node: "secondary", seq: 6, kind: .recv(stream: 0, sn: 1, path: 1),
                   causes: [EventID(node: "primary", seq: 5)]),
        TraceEvent(node: "secondary", seq: 7, kind: .apply(stream: 0, sn: 1)),
        TraceEvent(node: "secondary", seq: 8, kind: .drop(stream: 0, sn: 1)),
        TraceEvent(node: "secondary", seq: 9, kind: .ack(stream: 0, sn: 1)),
        TraceEvent(node: "primary", seq: 10, kind: .acked(stream: 0, sn: 1),
                   causes: [EventID(node: "secondary", seq: 9), EventID(node: "secondary", seq: 7)]),
        TraceEvent(node: "primary", seq: 11, kind: .commit(lsn: 1)),
        TraceEvent(node: "secondary", seq: 12, kind: .takeover),
        TraceEvent(node: "primary", seq: 13, kind: .crash),
    ],
    .driver: [
        TraceEvent(node: "driver", seq: 0, kind: .submit(iface: 0, id: 1, off: 4096, len: 512, deps: [])),
        TraceEvent(node: "driver", seq: 1, kind: .submit(iface: 1, id: 2, off: 0, len: 8, deps: [1, 0])),
        TraceEvent(node: "driver", seq: 2, kind: .stage(id: 1, region: 3)),
        TraceEvent(node: "driver", seq: 3, kind: .complete(id: 1)),
        TraceEvent(node: "driver", seq: 4, kind: .durable(id: 1)),
        TraceEvent(node: "driver", seq: 5, kind: .sync(iface: 0)),
        TraceEvent(node: "driver", seq: 6, kind: .syncDone(iface: 0)),
        TraceEvent(node: "driver", seq: 7, kind: .crash),
        TraceEvent(node: "driver", seq: 8, kind: .recovered(id: 1)),
        TraceEvent(node: "driver", seq: 9, kind: .online, t: 123_456_789),
    ],
    .recovery: [
        TraceEvent(node: "framework", seq: 0, kind: .register(consumer: "fs", deps: [], after: [], logs: [])),
        TraceEvent(node: "framework", seq: 1, kind: .register(
            consumer: "db \"main\"", deps: ["fs"], after: ["net", "x\\y"], logs: ["fs"])),
        TraceEvent(node: "framework", seq: 2, kind: .reject(consumer: "loop", reason: "cycle: loop -> loop")),
        TraceEvent(node: "framework", seq: 3, kind: .begin),
        TraceEvent(node: "framework", seq: 4, kind: .notify(consumer: "fs")),
        TraceEvent(node: "worker-é", seq: 0, kind: .start(consumer: "fs"),
                   causes: [EventID(node: "framework", seq: 4)]),
        TraceEvent(node: "worker-é", seq: 1, kind: .tag(consumer: "fs", log: "log\n1\t\u{1}")),
        TraceEvent(node: "worker-é", seq: 2, kind: .process(consumer: "fs", log: "log 😀")),
        TraceEvent(node: "worker-é", seq: 3, kind: .untag(consumer: "fs", log: "log")),
        TraceEvent(node: "worker-é", seq: 4, kind: .end(consumer: "fs", ok: true, reason: nil)),
        TraceEvent(node: "framework", seq: 5, kind: .end(consumer: "db", ok: false, reason: "timeout")),
        TraceEvent(node: "framework", seq: 6, kind: .observe(consumer: "fs"),
                   causes: [EventID(node: "worker-é", seq: 4)]),
        TraceEvent(node: "framework", seq: 7, kind: .skip(consumer: "net")),
        TraceEvent(node: "framework", seq: 8, kind: .done(ok: false)),
        TraceEvent(node: "framework", seq: 9, kind: .crash),
    ],
]

final class RecorderTests: XCTestCase {
    private var directory = ""

    override func setUp() {
        directory = readerMakeDirectory()
    }

    override func tearDown() {
        readerRemoveDirectory(directory)
    }

    func testSamplesCoverEveryEventName() {
        let names = Set(recorderSamples.values.joined().map(\.kind.name))
        XCTAssertEqual(names, Set(EventName.allCases.map(\.rawValue)))
    }

    func testEncoderRoundTrip() throws {
        for (system, events) in recorderSamples {
            let parser = EventParser(system: system)
            for event in events {
                let line = TraceEncoder.encode(event)
                XCTAssertFalse(line.contains(0x0A))
                XCTAssertEqual(try parser.parse(line), .event(event), String(decoding: line, as: UTF8.self))
            }
        }
    }

    func testEncoderFieldOrder() {
        let event = TraceEvent(
            node: "secondary", seq: 6, kind: .recv(stream: 0, sn: 1, path: 1),
            causes: [EventID(node: "primary", seq: 5)], t: 42)
        XCTAssertEqual(String(decoding: TraceEncoder.encode(event), as: UTF8.self),
                       #"{"node":"secondary","seq":6,"ev":"recv","stream":0,"sn":1,"path":1,"cause":{"node":"primary","seq":5},"t":42}"#)
        let header = TraceEncoder.encode(TraceHeader(system: .driver), meta: ["run": "7", "host": "a\"b"])
        XCTAssertEqual(String(decoding: header, as: UTF8.self),
                       #"{"format":"plumb-trace","version":1,"system":"driver","meta":{"host":"a\"b","run":"7"}}"#)
        XCTAssertEqual(try EventParser(system: nil).parse(header), .header(TraceHeader(system: .driver)))
    }

    func testFileRecorderWritesAReadableFile() throws {
        for (system, events) in recorderSamples {
            let path = directory + "/\(system).jsonl"
            let recorder = try FileRecorder(path: path, system: system, meta: ["test": "yes"], bufferLimit: 64)
            for event in events { recorder.record(event) }
            try recorder.close()
            try recorder.close()
            recorder.record(events[0])  // dropped after close
            let (header, items) = try readerReadAll(path, fileIndex: 2).get()
            XCTAssertEqual(header.system, system)
            let read = items.map { item -> TraceEvent? in
                guard case .event(var e) = item else { return nil }
                XCTAssertEqual(e.location.file, 2)
                e.location = .none
                return e
            }
            XCTAssertEqual(read, events)
        }
    }

    func testExtensionEventsAreWrittenAndReadBackAsXEvents() throws {
        let path = directory + "/x.jsonl"
        let recorder = try FileRecorder(path: path, system: .mirror)
        recorder.record(TraceEvent(node: "primary", seq: 1, kind: .commit(lsn: 1)))
        recorder.record(extension: ExtensionEvent(node: "primary", seq: 2, name: "x-restart", fields: [.init("epoch", 1)]))
        try recorder.close()
        let (_, items) = try readerReadAll(path, fileIndex: 0).get()
        XCTAssertEqual(items.count, 2)
        XCTAssertEqual(items.last, .extensionEvent(EventID(node: "primary", seq: 2)))
        let memory = MemoryRecorder()
        memory.record(extension: ExtensionEvent(node: "secondary", seq: 9, name: "x-stale"))
        XCTAssertEqual(memory.extensionEvents.map(\.name), ["x-stale"])
        XCTAssertEqual(memory.events, [])
    }

    func testFileRecorderFlushLosesNothing() throws {
        let path = directory + "/flush.jsonl"
        let recorder = try FileRecorder(path: path, system: .driver)
        // The header is on disk at once.
        XCTAssertEqual(try readerReadAll(path).get().1.count, 0)
        for event in recorderSamples[.driver]! { recorder.record(event) }
        recorder.flush()  // as a simulated crash handler would; no close
        XCTAssertEqual(try readerReadAll(path).get().1.count, recorderSamples[.driver]!.count)
        try recorder.close()
    }

    func testFileRecorderConcurrentUse() throws {
        let path = directory + "/concurrent.jsonl"
        let recorder = try FileRecorder(path: path, system: .recovery, bufferLimit: 4096)
        let threads = 8
        let perThread = 2000
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for seq in 0..<perThread {
                recorder.record(TraceEvent(
                    node: "w\(thread)", seq: seq, kind: .process(consumer: "c\(thread)", log: "l\(seq)")))
                if seq % 500 == 0 { recorder.flush() }
            }
        }
        try recorder.close()
        // Lines never mix, and each node's seq increases (the reader checks it).
        let items = try readerReadAll(path).get().1
        XCTAssertEqual(items.count, threads * perThread)
    }

    /// A recording is `NAME.partial` until finished, so a cut one is never taken for whole.
    func testPartialUntilFinishedRenamesOnlyOnFinish() throws {
        let path = directory + "/rec.jsonl"
        let files = FileManager.default
        XCTAssertTrue(files.createFile(atPath: path, contents: Data("stale".utf8)))
        let recorder = try FileRecorder(path: path, system: .driver, partialUntilFinished: true)
        XCTAssertEqual(recorder.writingPath, path + ".partial")
        XCTAssertFalse(files.fileExists(atPath: path), "an earlier recording's file is removed")
        for event in recorderSamples[.driver]! { recorder.record(event) }
        recorder.flush()
        XCTAssertEqual(try readerReadAll(path + ".partial").get().1.count, recorderSamples[.driver]!.count)
        try recorder.finish()
        XCTAssertFalse(files.fileExists(atPath: path + ".partial"))
        XCTAssertEqual(try readerReadAll(path).get().1.count, recorderSamples[.driver]!.count)

        // Closed without finishing (an error, an interrupt): the file keeps its .partial name.
        let cut = try FileRecorder(path: directory + "/cut.jsonl", system: .driver, partialUntilFinished: true)
        cut.record(recorderSamples[.driver]![0])
        try cut.close()
        XCTAssertTrue(files.fileExists(atPath: directory + "/cut.jsonl.partial"))
        XCTAssertFalse(files.fileExists(atPath: directory + "/cut.jsonl"))
    }

    func testFileRecorderCannotOpen() {
        XCTAssertThrowsError(try FileRecorder(path: directory + "/no/such/dir/x.jsonl", system: .mirror))
    }

    func testMemoryRecorderConcurrentUse() {
        let recorder = MemoryRecorder()
        let threads = 8
        let perThread = 5000
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for seq in 0..<perThread {
                recorder.record(TraceEvent(node: "w\(thread)", seq: seq, kind: .start(consumer: "c")))
            }
        }
        let events = recorder.events
        XCTAssertEqual(events.count, threads * perThread)
        for thread in 0..<threads {
            XCTAssertEqual(events.filter { $0.node == "w\(thread)" }.map(\.seq), Array(0..<perThread))
        }
        recorder.removeAll()
        XCTAssertTrue(recorder.events.isEmpty)
    }

    func testRecordersAreUsableThroughTheProtocol() {
        let recorders: [any TraceRecorder] = [MemoryRecorder()]
        for recorder in recorders {
            recorder.record(TraceEvent(node: "driver", seq: 0, kind: .online))
            recorder.flush()
        }
        XCTAssertEqual((recorders[0] as! MemoryRecorder).events.count, 1)
    }
}
