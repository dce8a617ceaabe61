import XCTest
import Z3

/// Satisfiable and unsatisfiable queries, models, scopes and assumptions.
final class Z3SolverTests: XCTestCase {
    func testVersionIsReported() {
        XCTAssertTrue(Z3Version.string.contains("\(Z3Version.numbers.major)."), Z3Version.string)
        XCTAssertGreaterThanOrEqual(Z3Version.numbers.major, 4)
    }

    func testSatGivesModelValues() throws {
        let ctx = Z3Context()
        let x = ctx.intConstant("x"), y = ctx.intConstant("y")
        let b = ctx.boolConstant("b"), unused = ctx.intConstant("unused")
        let solver = Z3Solver(context: ctx)
        solver.assert(x > 3 && x < 5)
        solver.assert(y .== x + 10)
        solver.assert(b.equals(x .== 4))
        solver.assert(ctx.implies(b, ctx.ite(ctx.bool(true), then: y >= 14, else: ctx.bool(false))))
        let result = try solver.check()
        let model = try XCTUnwrap(result.model, "expected sat, got \(result)")
        XCTAssertEqual(model.int(x), 4)
        XCTAssertEqual(model.int(y), 14)
        XCTAssertEqual(model.int(x * 2 - 1), 7)
        XCTAssertEqual(model.bool(b), true)
        XCTAssertNotNil(model.int(unused), "model completion gives unconstrained constants a value")
        XCTAssertNil(model.int(b), "a Boolean has no integer value")
        XCTAssertNil(model.bool(x), "an integer has no Boolean value")
        XCTAssertEqual(model.int(ctx.int(-42)), -42)
        XCTAssertEqual(model.int(ctx.int(Int.max)), Int.max)
        XCTAssertTrue(x.description.contains("x"))
    }

    func testLessThanBothWaysIsUnsat() throws {
        let ctx = Z3Context()
        let x = ctx.intConstant("x"), y = ctx.intConstant("y")
        let solver = Z3Solver(context: ctx)
        solver.assert(x < y && y < x)
        XCTAssertTrue(try solver.check().isUnsat)
    }

    func testConnectivesAndDistinct() throws {
        let ctx = Z3Context()
        let xs = (0..<3).map { ctx.intConstant("x\($0)") }
        let solver = Z3Solver(context: ctx)
        for x in xs { solver.assert(x >= 0 && x <= 2) }
        solver.assert(ctx.distinct(xs))
        solver.assert(ctx.or([xs[0] .== 2, ctx.not(ctx.bool(true))]))
        solver.assert(!(xs[1] .== 0) || ctx.bool(false))
        solver.assert(ctx.and([]))
        solver.assert(ctx.distinct([xs[0]]))
        let model = try XCTUnwrap(try solver.check().model)
        XCTAssertEqual(xs.map { model.int($0) }, [2, 1, 0])
        solver.assert(ctx.or([]))
        XCTAssertTrue(try solver.check().isUnsat, "an empty disjunction is false")
    }

    /// x_0 < x_1 < ... < x_999 and x_999 <= x_0 is unsat, in both the difference-logic and the
    /// default solver.
    func testDifferenceLogicChainOf1000IsUnsat() throws {
        for logic in ["QF_IDL", nil] {
            let ctx = Z3Context()
            let xs = (0..<1000).map { ctx.intConstant("x_\($0)") }
            let solver = Z3Solver(context: ctx, logic: logic)
            for (a, b) in zip(xs, xs.dropFirst()) { solver.assert(a < b) }
            let model = try XCTUnwrap(try solver.check().model, "chain alone is sat (\(logic ?? "default"))")
            let first = try XCTUnwrap(model.int(xs[0])), last = try XCTUnwrap(model.int(xs[999]))
            XCTAssertGreaterThanOrEqual(last - first, 999)
            solver.assert(xs[999] <= xs[0])
            XCTAssertTrue(try solver.check().isUnsat, "negated goal must be unsat (\(logic ?? "default"))")
        }
    }

    func testPushPop() throws {
        let ctx = Z3Context()
        let x = ctx.intConstant("x")
        let solver = Z3Solver(context: ctx, logic: "QF_LIA")
        solver.assert(x > 0)
        solver.push()
        solver.assert(x < 0)
        XCTAssertEqual(solver.scopeDepth, 1)
        XCTAssertTrue(try solver.check().isUnsat)
        solver.pop()
        XCTAssertEqual(solver.scopeDepth, 0)
        XCTAssertTrue(try solver.check().isSat)
        solver.push()
        solver.push()
        solver.assert(x .== 0)
        XCTAssertTrue(try solver.check().isUnsat)
        solver.pop(2)
        solver.assert(x .!= 1)
        solver.assert(x < 3)
        XCTAssertEqual(try solver.check().model?.int(x), 2)
        solver.reset()
        solver.assert(x .== -7)
        XCTAssertEqual(try solver.check().model?.int(x), -7)
    }

    func testAssumptionsHoldForOneCheckAndGiveACore() throws {
        let ctx = Z3Context()
        let x = ctx.intConstant("x")
        let a = ctx.boolConstant("a"), b = ctx.boolConstant("b"), c = ctx.boolConstant("c")
        let solver = Z3Solver(context: ctx)
        solver.assert(ctx.implies(a, x > 5))
        solver.assert(ctx.implies(b, x < 3))
        solver.assert(ctx.implies(c, x > 0))
        XCTAssertTrue(try solver.check(assumptions: [a, b, c]).isUnsat)
        let core = Set(solver.unsatCore().map(\.description))
        XCTAssertEqual(core, ["a", "b"])
        XCTAssertGreaterThan(try XCTUnwrap(solver.check(assumptions: [a]).model?.int(x)), 5)
        XCTAssertLessThan(try XCTUnwrap(solver.check(assumptions: [b, !a]).model?.int(x)), 3)
        XCTAssertTrue(try solver.check().isSat, "assumptions do not stay asserted")
        XCTAssertTrue(try solver.check(assumptions: [x > 10, x < 10]).isUnsat, "formulas work as assumptions")
    }

    func testManySmallQueriesOnOneSolver() throws {
        let ctx = Z3Context()
        let x = ctx.intConstant("x"), y = ctx.intConstant("y")
        let solver = Z3Solver(context: ctx, logic: "QF_IDL")
        solver.assert(x - y <= 10)
        for k in 0..<200 {
            solver.push()
            solver.assert(x - y >= k)
            XCTAssertEqual(try solver.check().isSat, k <= 10)
            solver.pop()
        }
    }
}
