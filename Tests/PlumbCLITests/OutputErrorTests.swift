import ArgumentParser
import Foundation
@testable import PlumbCLI
import Trace
import XCTest

/// Issue 13, #9: an output that cannot be written (replay --out, explore --out, record ... --out,
/// a bench's folder) exits 2, never 1 (a violation), naming the path and the reason in plain
/// words, from one place: `OutputError`, mapped to exit 2 by `Plumb.main`.
final class OutputErrorTests: XCTestCase {
    /// A folder for outputs, removed after each test; it holds `file`, a regular file.
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-output-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: directory.appendingPathComponent("file"))
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
        super.tearDown()
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// A replay token of a seeded recovery bug (a violation: replaying it exits 1).
    private func token() throws -> String {
        let found = try PlumbBinary.run(["explore", "recovery", "--consumers", "4", "--inject-fault", "doneBeforeEnds",
                                         "--out", path("found"), "--format", "json"])
        XCTAssertEqual(found.status, 1, found.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(found.stdout.utf8)) as? [String: Any])
        let violation = try XCTUnwrap((report["violations"] as? [[String: Any]])?.first)
        return try XCTUnwrap(violation["token"] as? String)
    }

    func testReplayToAMissingFolderExitsTwoNamingPathAndReason() throws {
        let token = try token()
        let missing = path("missing/dir/x.jsonl")
        let run = try PlumbBinary.run(["replay", token, "--out", missing])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("cannot write \(missing): the folder \(path("missing/dir")) does not exist"), run.stderr)
        XCTAssertFalse(run.stderr.contains("NSCocoaErrorDomain"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing))
        let intoFile = try PlumbBinary.run(["replay", token, "--out", path("file/x.jsonl")])
        XCTAssertEqual(intoFile.status, 2, intoFile.stderr)
        XCTAssertTrue(intoFile.stderr.contains("cannot write \(path("file/x.jsonl")): \(path("file")) is a file, not a folder"), intoFile.stderr)
        // A writable --out still works, and the violation still exits 1.
        let written = try PlumbBinary.run(["replay", token, "--out", path("x.jsonl")])
        XCTAssertEqual(written.status, 1, written.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("x.jsonl")))
    }

    func testCommandsRefuseAnOutputFolderThatCannotBeMade() throws {
        let blocked = path("file/sub")
        let reason = "cannot write \(blocked): \(path("file")) is a file, not a folder"
        let commands: [[String]] = [
            ["explore", "recovery", "--consumers", "4", "--inject-fault", "doneBeforeEnds", "--out", blocked],
            ["explore", "selftest", "--fault", "doneBeforeEnds", "--out", blocked],
            ["record", "recovery", "--consumers", "3", "--out", blocked],
            ["record", "mirror", "--records", "10", "--out", blocked],
            ["record", "driver", "--device", path("x.img"), "--size", "32MiB", "--staging", "4MiB", "--region", "256KiB",
             "--requests", "10", "--out", blocked],
            ["record", "controller", "--out", blocked],
            ["bench", "check", "--dir", blocked],
            ["bench", "mirror", "--dir", blocked],
            ["bench", "recovery", "--trace", blocked],
            ["bench", "driver", "--dir", blocked],
        ]
        for arguments in commands {
            let run = try PlumbBinary.run(arguments)
            XCTAssertEqual(run.status, 2, "\(arguments): \(run.stdout) \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(reason), "\(arguments): \(run.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.img")), "nothing is created before the refusal")
        XCTAssertEqual(Plumb.exitCode(for: ValidationError(reason)), .validationFailure)
    }

    /// The writes themselves turn Foundation's errors into `OutputError`s in plain words.
    func testWritesExplainTheirFailure() throws {
        let missing = path("missing/x.jsonl")
        XCTAssertThrowsError(try OutputError.write(Data(), to: missing)) { error in
            XCTAssertEqual("\(error)", "cannot write \(missing): the folder \(path("missing")) does not exist")
        }
        XCTAssertThrowsError(try OutputError.write(Data(), to: directory.path)) { error in
            XCTAssertEqual("\(error)", "cannot write \(directory.path): it is a folder, not a file")
        }
        XCTAssertThrowsError(try OutputError.createFolder(path("file/a/b"))) { error in
            XCTAssertEqual("\(error)", "cannot write \(path("file/a/b")): \(path("file")) is a file, not a folder")
        }
        // Foundation's own error, as a write that raced a removal would meet it.
        do {
            try Data().write(to: URL(fileURLWithPath: missing), options: .atomic)
            XCTFail("the write should fail")
        } catch {
            XCTAssertEqual(OutputError.reason(for: error, path: missing), "the folder \(path("missing")) does not exist")
        }
        try OutputError.createFolder(path("made/here"))
        try OutputError.write(Data("ok".utf8), to: path("made/here/x"))
        XCTAssertEqual(try String(contentsOfFile: path("made/here/x"), encoding: .utf8), "ok")
    }

    /// A link is written through to its file, and a pipe in place: the write must not replace
    /// either with a regular file (as root, a device such as /dev/full would be destroyed).
    func testLinksAndPipesAreWrittenThroughNotReplaced() throws {
        try Data("old".utf8).write(to: URL(fileURLWithPath: path("target.html")))
        try FileManager.default.createSymbolicLink(atPath: path("link.html"), withDestinationPath: "target.html")
        try OutputError.write(Data("new".utf8), to: path("link.html"))
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: path("link.html")), "target.html")
        XCTAssertEqual(try String(contentsOfFile: path("target.html"), encoding: .utf8), "new")
        // A dangling link makes its file.
        try FileManager.default.createSymbolicLink(atPath: path("dangling"), withDestinationPath: path("made"))
        try OutputError.write(Data("made".utf8), to: path("dangling"))
        XCTAssertEqual(try String(contentsOfFile: path("made"), encoding: .utf8), "made")

        let fifo = path("fifo")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        // Read to the end (Foundation's `Data(contentsOf:)` would read a pipe's size, 0, and close it).
        let received = Locked(Data())
        let done = DispatchSemaphore(value: 0)
        let reader = Thread {
            let data = FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile() ?? Data()
            received.withLock { $0 = data }
            done.signal()
        }
        reader.start()
        try OutputError.write(Data("through".utf8), to: fifo)
        done.wait()
        XCTAssertEqual(received.withLock { $0 }, Data("through".utf8))
        XCTAssertTrue(OutputError.isSpecial(fifo), "the pipe is still a pipe")
        XCTAssertTrue(OutputError.isSpecial("/dev/null"))
        try OutputError.write(Data("x".utf8), to: "/dev/null")
        XCTAssertTrue(OutputError.isSpecial("/dev/null"))
        // The process's own streams go to their descriptors (a redirected file keeps what was
        // written before; a pipe's /proc link names no path).
        XCTAssertEqual(OutputError.destination(of: "/dev/stdout"), .stream(1))
        XCTAssertEqual(OutputError.destination(of: "/proc/self/fd/2"), .stream(2))
        XCTAssertEqual(OutputError.destination(of: "/proc/self/fd/7"), .inPlace)
        XCTAssertEqual(OutputError.destination(of: path("link.html")), .atomic(target: path("target.html")))
        try FileManager.default.createSymbolicLink(atPath: path("out"), withDestinationPath: "/dev/stdout")
        XCTAssertEqual(OutputError.destination(of: path("out")), .stream(1))
    }

    /// `--html /dev/stdout` with standard output redirected to a file appends the page to what
    /// was printed (before, the page replaced the file by a rename, the report lost).
    func testDevStdoutIsTheStreamNotAFileToReplace() throws {
        let trace = PlumbBinary.root.appendingPathComponent("Traces/mirror/pass-basic-one-stream.jsonl").path
        let log = path("ci.log")
        try Data("before\n".utf8).write(to: URL(fileURLWithPath: log))
        let process = Process()
        process.executableURL = PlumbBinary.url
        process.arguments = ["check", trace, "--html", "/dev/stdout"]
        let out = try XCTUnwrap(FileHandle(forWritingAtPath: log))
        try out.seekToEnd()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("before\nPASS: mirror trace"), String(text.prefix(200)))
        XCTAssertTrue(text.contains("<html"), String(text.suffix(200)))
    }

    /// A report that cannot be written to standard output exits 2 saying so, even when the
    /// trace passes (exit 0 would tell CI all is well with no report).
    func testAFullStandardOutputExitsTwo() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full") }
        let pass = PlumbBinary.root.appendingPathComponent("Traces/mirror/pass-basic-one-stream.jsonl").path
        // `replay` wrote its trace through a call that trapped (exit 132) on a failed write.
        for arguments in [["check", "--format", "json", pass], ["replay", try token()]] {
            let process = Process()
            process.executableURL = PlumbBinary.url
            process.arguments = arguments
            process.standardOutput = try XCTUnwrap(FileHandle(forWritingAtPath: "/dev/full"))
            let err = Pipe()
            process.standardError = err
            try process.run()
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 2, "\(arguments[0]): \(stderr)")
            XCTAssertTrue(stderr.contains("cannot write standard output: no space left on the device"), stderr)
        }
    }

    /// `record mirror` keeps what is there: an existing secondary log is refused, not emptied,
    /// and a folder where a trace goes is named (it was `Error: Is a directory`, exit 1).
    func testRecordMirrorRefusesToDestroyOrMisnameItsOutputs() throws {
        let log = path("file")
        let before = try Data(contentsOf: URL(fileURLWithPath: log))
        let kept = try PlumbBinary.run(["record", "mirror", "--records", "5", "--out", path("m"), "--secondary-log", log])
        XCTAssertEqual(kept.status, 2, kept.stderr)
        XCTAssertTrue(kept.stderr.contains("--secondary-log \(log) exists (1 bytes)"), kept.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: log)), before)

        try FileManager.default.createDirectory(atPath: path("m/primary.jsonl"), withIntermediateDirectories: true)
        for arguments in [["record", "mirror", "--records", "5", "--out", path("m")], ["record", "controller", "--out", path("m")]] {
            let run = try PlumbBinary.run(arguments)
            XCTAssertEqual(run.status, 2, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("cannot write \(path("m/primary.jsonl")): it is a folder, not a file"), run.stderr)
        }
    }
}
