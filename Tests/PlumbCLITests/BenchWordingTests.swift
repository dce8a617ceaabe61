@testable import PlumbCLI
import XCTest

/// `plumb bench check` says "faster" only when it is, and never prints a ratio over zero.
final class BenchWordingTests: XCTestCase {
    func testComparisonsReadNaturally() {
        XCTAssertEqual(CheckBench.compare(1.0, 2.35), "is 2.4x faster than")
        XCTAssertEqual(CheckBench.compare(4.5, 3.3), "is 1.4x slower than")
        // 0.74x "faster" is slower: the inverse, said so.
        XCTAssertEqual(CheckBench.compare(1.0, 0.74), "is 1.4x slower than")
        XCTAssertEqual(CheckBench.compare(1.0, 1.01), "is about as fast as")
        XCTAssertEqual(CheckBench.compare(0, 3.3), "is too fast to compare with")
        XCTAssertEqual(CheckBench.compare(3.3, 1e-9), "is too fast to compare with")
    }

    /// Two significant digits, no exponent, never a ratio over about zero.
    func testRatiosHaveTwoSignificantDigits() {
        XCTAssertEqual(Ratio.number(0.7412), "0.74")
        XCTAssertEqual(Ratio.number(0.0123), "0.012")
        XCTAssertEqual(Ratio.number(2.35), "2.4")
        XCTAssertEqual(Ratio.number(12.3), "12")
        XCTAssertEqual(Ratio.number(371.2), "370")
        XCTAssertEqual(Ratio.number(370_875_000), "370000000")
        XCTAssertEqual(Ratio.times(3.0, over: 2.0), "1.5x")
        XCTAssertEqual(Ratio.times(370.875, over: 0.000_000_001), "too fast to compare")
        XCTAssertEqual(Ratio.times(370.875, over: 0.0001, tiny: 1e-3), "too fast to compare")
    }
}
