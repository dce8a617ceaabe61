import Foundation
import Mirror
@testable import MirrorLive
import XCTest

/// The mirror as two controllers: `plumb mirror secondary` and `plumb mirror primary` as two
/// processes on loopback, sharing a key file; the primary killed with SIGKILL mid-run.
final class MirrorTwoControllersTests: XCTestCase {
    private func scratchDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mirror-2p-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    /// Starts a secondary listening on two free loopback ports; returns it and `HOST:PORT,HOST:PORT`.
    private func startSecondary(
        in dir: String, key: String = "mirror.key", log: String = "s.log", verbose: Bool = true
    ) throws -> (MirrorProcess, String) {
        let secondary = try MirrorProcess([
            "mirror", "secondary", "--listen", "127.0.0.1:0,127.0.0.1:0", "--key-file", key,
            "--log", log, "--trace", "secondary.jsonl", "--paths", "3",
        ] + (verbose ? ["--verbose"] : []), in: dir)
        let line = try secondary.waitForLine(containing: "listening on ")
        let addresses = String(line.dropFirst("listening on ".count).prefix { $0 != " " })
        return (secondary, addresses)
    }

    /// The lsns of the `commit` lines of a trace file, whole lines only (a killed recorder's
    /// file may end in the middle of a line).
    private func committedLSNs(in file: String) throws -> [Int] {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> Int? in
            guard line.contains("\"ev\":\"commit\""),
                  let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            else { return nil }
            return object["lsn"] as? Int
        }
    }

    /// Checks that every lsn in `committed` is in the log file with the payload the client wrote.
    private func assertHeld(_ committed: [Int], in log: String, payload: Int, file: StaticString = #filePath, line: UInt = #line) throws -> MirrorLogFormat.Contents {
        let contents = try MirrorLogFile.contents(path: log)
        var held: [Int: [UInt8]] = [:]
        for record in contents.records { held[record.lsn] = record.payload }
        let missing = committed.filter { held[$0] != MirrorWorkload.payload(index: $0 - 1, size: payload) }
        XCTAssertEqual(missing, [], "committed records missing or wrong at the secondary", file: file, line: line)
        return contents
    }

    func testKilledPrimaryLosesNoCommittedRecordAndTheRestartedSecondaryServesThemAgain() throws {
        let dir = try scratchDirectory()
        XCTAssertEqual(try MirrorProcess.run(["mirror", "keygen", "mirror.key"], in: dir).status, 0)
        let (secondary, addresses) = try startSecondary(in: dir)

        let primary = try MirrorProcess([
            "mirror", "primary", "--connect", addresses, "--paths", "3", "--key-file", "mirror.key",
            "--trace", "primary.jsonl", "--records", "1000000", "--window", "256",
        ], in: dir)
        // Mid-run: once the primary's trace has some commits on disk, at a random moment.
        let partial = dir + "/primary.jsonl.partial"
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, ((try? FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int) ?? 0) < 600_000 {
            Thread.sleep(forTimeInterval: 0.01)
        }
        Thread.sleep(forTimeInterval: Double.random(in: 0...0.2))
        primary.signal(SIGKILL)
        XCTAssertEqual(primary.wait(), 128 + SIGKILL)

        XCTAssertEqual(secondary.wait(), 0, secondary.stderr)
        XCTAssertTrue(secondary.stdout.contains("took over at epoch 2"), secondary.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/primary.jsonl"), "a killed recording keeps its .partial name")

        let committed = try committedLSNs(in: partial)
        XCTAssertGreaterThan(committed.count, 100, "the primary committed records before it was killed")
        let before = try assertHeld(committed, in: dir + "/s.log", payload: 64)
        XCTAssertEqual(before.takeoverEpoch, 2)

        // Both traces pass `plumb check --truncated` (the primary's was cut by the kill).
        let check = try MirrorProcess.run(["check", "--truncated", partial, "secondary.jsonl"], in: dir)
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)

        // A torn tail, as a power cut mid-write would leave: the restarted secondary cuts it and
        // serves the same records.
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: dir + "/s.log"))
        handle.seekToEndOfFile()
        handle.write(Data([0, 0, 0, 80, 1, 2, 3, 4, 9]))
        try handle.close()
        let restart = try MirrorProcess.run([
            "mirror", "secondary", "--listen", "127.0.0.1:0", "--key-file", "mirror.key", "--log", "s.log",
            "--trace", "again.jsonl",
        ], in: dir)
        XCTAssertEqual(restart.status, 0, restart.stderr)
        XCTAssertTrue(restart.stdout.contains("cut a torn tail of 9 bytes"), restart.stdout)
        XCTAssertTrue(restart.stdout.contains("serving \(before.records.count) records"), restart.stdout)
        let after = try assertHeld(committed, in: dir + "/s.log", payload: 64)
        XCTAssertEqual(after.records, before.records)
        XCTAssertEqual(after.tornBytes, 0, "the torn tail was cut off the file")
    }

    /// Without --verbose too: "refused peers are printed always" (the secondary's help).
    func testAPrimaryWithTheWrongKeyIsRefusedAndLogged() throws {
        let dir = try scratchDirectory()
        XCTAssertEqual(try MirrorProcess.run(["mirror", "keygen", "mirror.key"], in: dir).status, 0)
        XCTAssertEqual(try MirrorProcess.run(["mirror", "keygen", "other.key"], in: dir).status, 0)
        let (secondary, addresses) = try startSecondary(in: dir, verbose: false)
        let intruder = try MirrorProcess.run([
            "mirror", "primary", "--connect", addresses, "--key-file", "other.key", "--trace", "intruder.jsonl",
            "--records", "10",
        ], in: dir)
        XCTAssertEqual(intruder.status, 2, intruder.stderr)  // bad input: the key, not a violation
        XCTAssertTrue(intruder.stderr.contains("handshake failed"), intruder.stderr)
        secondary.signal(SIGTERM)
        XCTAssertEqual(secondary.wait(), 143)
        XCTAssertTrue(secondary.stderr.contains("refused connection from [IPv4]127.0.0.1"), secondary.stderr)
        XCTAssertTrue(secondary.stderr.contains("authentication failed"), secondary.stderr)
        XCTAssertEqual(try MirrorLogFile.contents(path: dir + "/s.log").records, [], "nothing applied")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/secondary.jsonl.partial"), "an interrupted recording stays .partial")
    }

    func testKeyFilesAreWrittenPrivateAndOpenOnesAreRefused() throws {
        let dir = try scratchDirectory()
        XCTAssertEqual(try MirrorProcess.run(["mirror", "keygen", "k"], in: dir).status, 0)
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: dir + "/k")[.posixPermissions] as? Int)
        XCTAssertEqual(mode, 0o600)
        let again = try MirrorProcess.run(["mirror", "keygen", "k"], in: dir)
        XCTAssertEqual(again.status, 2, "never overwrites a key")
        XCTAssertTrue(again.stderr.contains("k exists"), again.stderr)

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: dir + "/k")
        let open = try MirrorProcess.run([
            "mirror", "secondary", "--listen", "127.0.0.1:0", "--key-file", "k", "--log", "s.log", "--trace", "s.jsonl",
        ], in: dir)
        XCTAssertEqual(open.status, 2)
        XCTAssertTrue(open.stderr.contains("k: the key file's permissions 0644 are too open"), open.stderr)
        XCTAssertTrue(open.stderr.contains("chmod 600 k"), open.stderr)
    }
}
