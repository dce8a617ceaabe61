import Explorer
import XCTest

final class ExplorableTests: XCTestCase {
    func testViolationDescription() {
        XCTAssertEqual(ExplorationViolation(invariant: "x.y", message: "m", kind: .traceInvariant).description, "x.y: m")
    }
}
