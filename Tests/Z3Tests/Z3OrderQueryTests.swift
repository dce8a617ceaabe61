import XCTest
import Z3

/// `Z3Solver.checkSomeGoalFails`: happens-before certificates checked by Z3.
final class Z3OrderQueryTests: XCTestCase {
    // Events: 0 = a#1, 1 = a#2, 2 = b#5, 3 = b#7 (node numbers 0 and 1).
    private let events: [(node: Int, seq: Int)] = [(0, 1), (0, 2), (1, 5), (1, 7)]

    func testALinkedChainProvesItsGoal() throws {
        let solver = Z3Solver(context: Z3Context(), logic: "QF_IDL")
        let goal = Z3OrderQuery.Goal(before: 0, after: 3, steps: [.program(from: 0, to: 1), .cause(0), .program(from: 2, to: 3)])
        let query = Z3OrderQuery(events: events, causes: [(1, 2)], goals: [goal])
        XCTAssertTrue(try solver.checkSomeGoalFails(query).isUnsat)
        XCTAssertEqual(solver.scopeDepth, 0, "the query's scope is popped")
    }

    func testStepsThatDoNotLinkUpProveNothing() throws {
        let solver = Z3Solver(context: Z3Context(), logic: "QF_IDL")
        // The cause starts at a#1, but the chain reached a#2 only: nothing links them.
        let unlinked = Z3OrderQuery.Goal(before: 1, after: 3, steps: [.cause(0), .program(from: 2, to: 3)])
        let query = Z3OrderQuery(events: events, causes: [(0, 2)], goals: [unlinked])
        XCTAssertTrue(try solver.checkSomeGoalFails(query).isSat)
        // Steps that stop short of the goal's `after` prove nothing either.
        let short = Z3OrderQuery.Goal(before: 0, after: 3, steps: [.cause(0)])
        XCTAssertTrue(try solver.checkSomeGoalFails(Z3OrderQuery(events: events, causes: [(0, 2)], goals: [short])).isSat)
    }

    func testProgramStepsNeedOneNodeAndALowerSeq() throws {
        let solver = Z3Solver(context: Z3Context(), logic: "QF_IDL")
        let good = Z3OrderQuery.Goal(before: 2, after: 3, steps: [])
        XCTAssertTrue(try solver.checkSomeGoalFails(Z3OrderQuery(events: events, goals: [good])).isUnsat)
        for (before, after) in [(3, 2), (1, 2)] {
            let bad = Z3OrderQuery.Goal(before: before, after: after, steps: [])
            let query = Z3OrderQuery(events: events, goals: [good, bad])
            XCTAssertTrue(try solver.checkSomeGoalFails(query).isSat, "\(before) -> \(after)")
            XCTAssertTrue(try solver.checkSomeGoalFails(query, goals: 0..<1).isUnsat, "the good goal alone")
        }
        // A program step written inside a chain is held to the same rule.
        let across = Z3OrderQuery.Goal(before: 1, after: 2, steps: [.program(from: 1, to: 2)])
        XCTAssertTrue(try solver.checkSomeGoalFails(Z3OrderQuery(events: events, goals: [across])).isSat)
    }
}
