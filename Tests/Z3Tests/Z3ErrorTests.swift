import XCTest
import Z3

/// Z3 failures become `Z3Error` values; none of them ends the process.
final class Z3ErrorTests: XCTestCase {
    func testSortMismatchMakesAnInvalidTermAndCheckThrows() throws {
        let ctx = Z3Context()
        let x = ctx.intConstant("x"), b = ctx.boolConstant("b")
        let bad = x + b
        XCTAssertFalse(bad.isValid)
        let error = try XCTUnwrap(bad.error)
        XCTAssertEqual(error.call, "Z3_mk_add")
        XCTAssertTrue([.sortError, .exception].contains(error.code), "\(error.code)")
        XCTAssertTrue(error.message.lowercased().contains("sort"), error.message)
        XCTAssertTrue(error.description.contains("Z3_mk_add"))

        // The error flows through terms built from the invalid one.
        let derived = ctx.and([bad > 1, x < 3])
        XCTAssertEqual(derived.error, error)

        let solver = Z3Solver(context: ctx)
        solver.assert(x > 0)
        solver.assert(derived)
        XCTAssertThrowsError(try solver.check()) { thrown in
            XCTAssertEqual(thrown as? Z3Error, error)
        }
        // reset forgets it, and the context and solver keep working.
        solver.reset()
        solver.assert(x .== 1)
        XCTAssertEqual(try solver.check().model?.int(x), 1)
        XCTAssertNil(try solver.check().model?.int(bad))
    }

    func testPopForgetsAnErrorMadeInsideTheScope() throws {
        let ctx = Z3Context()
        let x = ctx.intConstant("x")
        let solver = Z3Solver(context: ctx)
        solver.push()
        solver.assert(x + 1)  // not a formula
        do {
            _ = try solver.check()
            XCTFail("asserting an integer term should throw")
        } catch {
            XCTAssertEqual(error.code, .invalidArgument)
            XCTAssertEqual(error.call, "Z3_solver_assert")
        }
        solver.pop()
        XCTAssertTrue(try solver.check().isSat)
    }

    func testInvalidAssumptionThrows() {
        let ctx = Z3Context()
        let bad = ctx.not(ctx.intConstant("x"))
        XCTAssertNotNil(bad.error)
        let solver = Z3Solver(context: ctx)
        XCTAssertThrowsError(try solver.check(assumptions: [bad]))
    }

    func testUnknownLogicThrowsOnCheck() {
        let ctx = Z3Context()
        let solver = Z3Solver(context: ctx, logic: "NOT_A_LOGIC")
        solver.assert(ctx.intConstant("x") > 1)
        XCTAssertThrowsError(try solver.check()) { error in
            XCTAssertEqual((error as? Z3Error)?.call, "Z3_mk_solver_for_logic")
        }
    }

    func testErrorCodesHaveCNames() {
        XCTAssertEqual(Z3Error.Code.sortError.description, "Z3_SORT_ERROR")
        XCTAssertEqual(Z3Error.Code.ok.rawValue, 0)
        XCTAssertEqual(Z3Error.Code(rawValue: 99).description, "Z3 error 99")
    }
}
