import Foundation
import Mirror
@testable import MirrorLive
import Trace
import XCTest

/// The secondary's log file: versioned header, checksummed frames, a torn tail cut on reopen,
/// damage before the tail refused with its offset.
final class MirrorLogFormatTests: XCTestCase {
    private func scratchFile() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mirror-log-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private let records: [MirrorRecord] = (1...4).map { (n: Int) -> MirrorRecord in
        let entry = StreamEntry(stream: n % 2, sn: (n + 1) / 2)
        return MirrorRecord(lsn: n, key: UInt64(n), entry: entry, payload: [UInt8](repeating: UInt8(n), count: 10 * n))
    }

    /// A file of the four records; returns its bytes and each frame's offset.
    private func writeLog(_ path: String, takeover: Int? = nil) throws -> (bytes: Data, offsets: [Int]) {
        let file = try MirrorLogFile(path: path)
        var offsets: [Int] = []
        var size = MirrorLogFormat.headerSize
        for record in records {
            offsets.append(size)
            file.append(record)
            size += MirrorLogFormat.frameHeaderSize + 1 + 8 * 4 + 4 + record.payload.count
        }
        if let takeover { file.appendTakeover(epoch: takeover) }
        try file.close()
        return (try XCTUnwrap(FileManager.default.contents(atPath: path)), offsets)
    }

    func testRecordsAndTheTakeoverReadBack() throws {
        let path = scratchFile()
        let (bytes, _) = try writeLog(path, takeover: 2)
        XCTAssertEqual(Array(bytes.prefix(8)), Array("PLMBMLOG".utf8))
        let contents = try MirrorLogFile.contents(path: path)
        XCTAssertEqual(contents.records, records)
        XCTAssertEqual(contents.takeoverEpoch, 2)
        XCTAssertEqual(contents.tornBytes, 0)
        XCTAssertEqual(contents.validLength, bytes.count)
    }

    func testATornTailIsCutOnReopenAndAppendsGoOnAfterIt() throws {
        let path = scratchFile()
        let (bytes, offsets) = try writeLog(path)
        // Cut inside the last frame's body, then inside its header: both are torn tails.
        for cut in [bytes.count - 5, offsets[3] + 6] {
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: path))
            let contents = try MirrorLogFile.contents(path: path)
            XCTAssertEqual(contents.records, Array(records.prefix(3)))
            XCTAssertEqual(contents.validLength, offsets[3])
            XCTAssertEqual(contents.tornBytes, cut - offsets[3])
        }
        // A last frame whose bytes are wrong (a write the crash cut short) is a torn tail too.
        var garbled = bytes
        garbled[garbled.count - 1] ^= 0x40
        try garbled.write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try MirrorLogFile.contents(path: path).records, Array(records.prefix(3)))

        let (file, contents) = try MirrorLogFile.reopen(path: path)
        XCTAssertEqual(contents.tornBytes, bytes.count - offsets[3])
        file.append(records[3])
        try file.close()
        let again = try MirrorLogFile.contents(path: path)
        XCTAssertEqual(again.records, records, "the cut tail is gone and the new frame follows the last whole one")
        XCTAssertEqual(again.tornBytes, 0)
    }

    func testDamageBeforeTheTailIsRefusedWithItsOffset() throws {
        let path = scratchFile()
        let (bytes, offsets) = try writeLog(path)
        // A flipped byte in the second record's payload, in its length, and in its header sum.
        for (index, expected) in [(offsets[1] + 40, offsets[1]), (offsets[1] + 2, offsets[1]), (offsets[2] + 9, offsets[2])] {
            var damaged = bytes
            damaged[index] ^= 0x01
            try damaged.write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try MirrorLogFile.contents(path: path)) { error in
                guard case MirrorLogFileError.damaged(let file, let offset, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(file, path)
                XCTAssertEqual(offset, expected, "byte \(index)")
                XCTAssertTrue("\(error)".contains("offset \(expected)"), "\(error)")
            }
            XCTAssertThrowsError(try MirrorLogFile.reopen(path: path), "a damaged log is not reopened")
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), damaged, "and is left as it is")
        }
    }

    func testAnotherVersionOrNoMagicIsRefused() throws {
        let path = scratchFile()
        let (bytes, _) = try writeLog(path)
        var other = bytes
        other[11] = 2  // version 2, with its header checksum made right
        let sum = other.prefix(12).withUnsafeBytes { CRC32Shim.checksum($0) }
        withUnsafeBytes(of: sum.bigEndian) { other.replaceSubrange(12..<16, with: $0) }
        try other.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try MirrorLogFile.contents(path: path)) { error in
            XCTAssertTrue("\(error)".contains("version 2"), "\(error)")
        }
        try Data("hello, this is not a log file".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try MirrorLogFile.contents(path: path)) { error in
            XCTAssertTrue("\(error)".contains("not a mirror log file"), "\(error)")
        }
    }
}

import Checksum

/// CRC-32 as the log format takes it.
enum CRC32Shim {
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 { CRC32.checksum(bytes) }
}
