@testable import PlumbCLI
import XCTest

/// `plumb bench check` says "faster" only when it is, and never prints a ratio over zero.
final class BenchWordingTests: XCTestCase {
    func testComparisonsReadNaturally() {
        XCTAssertEqual(CheckBench.compare(1.0, 2.35), "is 2.35x faster than")
        XCTAssertEqual(CheckBench.compare(4.5, 3.3), "is 1.36x slower than")
        XCTAssertEqual(CheckBench.compare(0, 3.3), "is too fast to compare with")
    }
}
