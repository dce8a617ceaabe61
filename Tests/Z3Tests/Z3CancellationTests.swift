import Dispatch
import XCTest
@testable import Z3

/// A cancellation (the user's interrupt) stops running checks and every later one.
final class Z3CancellationTests: XCTestCase {
    /// Pigeonhole with 12 pigeons: unsat, far beyond what Z3 proves in minutes.
    private func pigeonhole(_ solver: Z3Solver) {
        let ctx = solver.context
        let p = (0..<12).map { ctx.intConstant("p\($0)") }
        for x in p { solver.assert(x >= 1 && x <= 11) }
        solver.assert(ctx.distinct(p))
    }

    /// A check with no timeout, cancelled from another thread, returns unknown "cancelled".
    /// Without the cancellation it would run far past any CI limit, so no time is asserted.
    func testCancelStopsARunningCheckWithoutTimeout() throws {
        let cancellation = Z3Cancellation()
        let solver = Z3Solver(context: Z3Context(cancellation: cancellation), logic: "QF_LIA")
        pigeonhole(solver)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(200)) { cancellation.cancel() }
        assertCancelled(try solver.check())
        XCTAssertTrue(cancellation.isCancelled)
    }

    /// Once cancelled, a check does not start: even a trivially satisfiable one is unknown.
    func testChecksAfterCancelAreUnknown() throws {
        let cancellation = Z3Cancellation()
        let context = Z3Context(cancellation: cancellation)
        let solver = Z3Solver(context: context)
        solver.assert(context.intConstant("x") > 2)
        XCTAssertTrue(try solver.check().isSat)
        cancellation.cancel()
        assertCancelled(try solver.check())
    }

    /// Checks `result` is the unknown of a cancelled check.
    private func assertCancelled(_ result: Z3Result, file: StaticString = #filePath, line: UInt = #line) {
        guard case .unknown(let reason) = result else {
            return XCTFail("expected unknown, got \(result)", file: file, line: line)
        }
        XCTAssertEqual(reason, Z3Cancellation.reason, file: file, line: line)
    }
}
