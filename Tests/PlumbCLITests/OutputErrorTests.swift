import ArgumentParser
import Foundation
@testable import PlumbCLI
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
}
