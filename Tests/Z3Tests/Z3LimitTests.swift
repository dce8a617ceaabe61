import XCTest
@testable import Z3

/// Timeouts, resource limits and the watchdog bound hard queries, which end `.unknown`.
final class Z3LimitTests: XCTestCase {
    /// Pigeonhole: 12 pigeons in 11 holes, as integers that must differ. Unsat, but far beyond
    /// what Z3 proves in seconds (9 pigeons already ran past 20 s here).
    private func pigeonhole(_ solver: Z3Solver, pigeons: Int = 12) {
        let ctx = solver.context
        let p = (0..<pigeons).map { ctx.intConstant("p\($0)") }
        for x in p { solver.assert(x >= 1 && x <= pigeons - 1) }
        solver.assert(ctx.distinct(p))
    }

    /// Checks `result` is unknown for the reason expected (one of `reasons` appears in Z3's).
    /// Wall time is not asserted (CI machines are loaded): a limit that did not work would leave
    /// the pigeonhole query running far past any CI time limit, and `plumb bench` measures times.
    private func assertUnknown(_ result: Z3Result, because reasons: [String],
                               file: StaticString = #filePath, line: UInt = #line) {
        guard case .unknown(let reason) = result else {
            return XCTFail("expected unknown, got \(result)", file: file, line: line)
        }
        XCTAssertTrue(reasons.contains { reason.contains($0) }, "unknown because \(reason)", file: file, line: line)
    }

    func testTimeoutOnPigeonholeIsUnknownNotUnsat() throws {
        let solver = Z3Solver(context: Z3Context(), logic: "QF_LIA")
        pigeonhole(solver)
        assertUnknown(try solver.check(timeout: .seconds(1)), because: ["timeout", "canceled"])
        // The timeout applied to that check only: a small query afterwards runs normally.
        solver.reset()
        solver.assert(solver.context.intConstant("y") > 2)
        XCTAssertTrue(try solver.check().isSat)
    }

    func testContextTimeoutIsTheDefault() throws {
        let solver = Z3Solver(context: Z3Context(timeoutMilliseconds: 500))
        pigeonhole(solver)
        assertUnknown(try solver.check(), because: ["timeout", "canceled"])
    }

    func testResourceLimitIsUnknownNotUnsat() throws {
        let solver = Z3Solver(context: Z3Context(), logic: "QF_LIA", resourceLimit: 200_000)
        pigeonhole(solver)
        assertUnknown(try solver.check(), because: ["resource", "canceled"])
        // The limit is per check, and small problems fit in it.
        let ctx = solver.context
        solver.reset()
        solver.assert(ctx.intConstant("a") < ctx.intConstant("b"))
        XCTAssertTrue(try solver.check().isSat)
    }

    /// With no Z3 timeout at all, the watchdog alone interrupts the check.
    func testWatchdogInterruptsWithoutZ3Timeout() throws {
        let ctx = Z3Context()
        let solver = Z3Solver(context: ctx, logic: "QF_LIA")
        pigeonhole(solver)
        let result = try solver.run(assumptions: [], watchdogMilliseconds: 300)
        guard case .unknown(let reason) = result else { return XCTFail("expected unknown, got \(result)") }
        XCTAssertTrue(reason.contains("watchdog"), reason)
        // The interrupt does not leak into later calls on the same context.
        solver.reset()
        solver.assert(ctx.intConstant("z") .== 3)
        XCTAssertEqual(try solver.check().model?.int(ctx.intConstant("z")), 3)
    }

    /// A watchdog disarmed before its deadline never fires.
    func testDisarmedWatchdogStaysQuiet() throws {
        let ctx = Z3Context()
        let solver = Z3Solver(context: ctx)
        solver.assert(ctx.intConstant("x") > 0)
        // Deadlines long enough that a loaded machine still answers first.
        for _ in 0..<20 {
            XCTAssertTrue(try solver.run(assumptions: [], watchdogMilliseconds: 200).isSat)
        }
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertTrue(try solver.check().isSat)
    }

    func testDurationToMilliseconds() {
        XCTAssertEqual(Z3Solver.milliseconds(.seconds(2)), 2_000)
        XCTAssertEqual(Z3Solver.milliseconds(.microseconds(1_500)), 2)
        XCTAssertEqual(Z3Solver.milliseconds(.zero), 1)
        XCTAssertEqual(Z3Solver.milliseconds(.seconds(-3)), 1)
        XCTAssertEqual(Z3Solver.milliseconds(.seconds(Int64.max)), Int(UInt32.max - 1))
    }
}
