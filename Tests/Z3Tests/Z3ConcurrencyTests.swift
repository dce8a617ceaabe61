import Foundation
import XCTest
import Z3

/// One context per task or thread, used at the same time, works.
final class Z3ConcurrencyTests: XCTestCase {
    /// A chain x_0 < ... < x_{n-1} from `start`: its model span, and whether closing it is unsat.
    private static func chainQuery(length: Int, start: Int) throws -> (span: Int, closedIsUnsat: Bool) {
        let ctx = Z3Context()
        let xs = (0..<length).map { ctx.intConstant("x_\($0)") }
        let solver = Z3Solver(context: ctx, logic: "QF_IDL")
        solver.assert(xs[0] .== start)
        for (a, b) in zip(xs, xs.dropFirst()) { solver.assert(a + 1 <= b) }
        solver.assert(xs[length - 1] <= start + length - 1)
        let model = try XCTUnwrap(try solver.check().model)
        let span = try XCTUnwrap(model.int(xs[length - 1])) - start
        solver.assert(xs[length - 1] < xs[0])
        return (span, try solver.check().isUnsat)
    }

    func testContextsInConcurrentTasks() async throws {
        let results = try await withThrowingTaskGroup(of: (Int, Int, Bool).self) { group in
            for task in 0..<4 {
                group.addTask {
                    var last = (0, false)
                    for round in 0..<5 { last = try Self.chainQuery(length: 200, start: task * 1000 + round) }
                    return (task, last.0, last.1)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(results.count, 4)
        for (_, span, unsat) in results {
            XCTAssertEqual(span, 199)
            XCTAssertTrue(unsat)
        }
    }

    func testContextsOnTwoThreads() {
        let lock = NSLock()
        nonisolated(unsafe) var outcomes: [Int: Result<(span: Int, closedIsUnsat: Bool), Error>] = [:]
        DispatchQueue.concurrentPerform(iterations: 2) { thread in
            let outcome = Result { try Self.chainQuery(length: 500, start: thread) }
            lock.withLock { outcomes[thread] = outcome }
        }
        XCTAssertEqual(outcomes.count, 2)
        for (_, outcome) in outcomes {
            guard case .success(let value) = outcome else { return XCTFail("\(outcome)") }
            XCTAssertEqual(value.span, 499)
            XCTAssertTrue(value.closedIsUnsat)
        }
    }
}
