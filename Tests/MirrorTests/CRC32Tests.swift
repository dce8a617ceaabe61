import XCTest
@testable import Checksum

/// Both CRC-32 implementations give the same values at every length, across the switch between
/// them, and continue one another.
final class CRC32Tests: XCTestCase {
    func testSlicingAndZlibAgreeAtEveryLengthAndContinue() {
        let bytes = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        bytes.withUnsafeBytes { all in
            for length in [0, 1, 7, 8, 9, 63, 512, CRC32.zlibThreshold - 1, CRC32.zlibThreshold, 1025, 4096, 5000] {
                let part = UnsafeRawBufferPointer(rebasing: all[0..<length])
                let expected = CRC32.slicingChecksum(part)
                XCTAssertEqual(CRC32.checksum(part), expected, "length \(length)")
                XCTAssertEqual(CRC32.checksum(bytes[0..<length].lazy.map { $0 }), expected, "generic, length \(length)")
                for cut in [0, length / 3, length] {
                    let head = CRC32.checksum(UnsafeRawBufferPointer(rebasing: all[0..<cut]))
                    XCTAssertEqual(CRC32.checksum(UnsafeRawBufferPointer(rebasing: all[cut..<length]), continuing: head),
                                   expected, "length \(length) cut at \(cut)")
                }
            }
        }
    }
}
