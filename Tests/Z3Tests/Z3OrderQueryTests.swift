import XCTest
@testable import Z3

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

    func testAnEventListedTwiceIsOneEvent() throws {
        let solver = Z3Solver(context: Z3Context(), logic: "QF_IDL")
        // a#2 twice (indices 1 and 4): the program step reaches one, the cause starts at the other.
        let listed = events + [(0, 2)]
        let goal = Z3OrderQuery.Goal(before: 0, after: 3, steps: [.program(from: 0, to: 1), .cause(0), .program(from: 2, to: 3)])
        let query = Z3OrderQuery(events: listed, causes: [(4, 2)], goals: [goal])
        XCTAssertTrue(try solver.checkSomeGoalFails(query).isUnsat)
    }

    /// Wrong certificates are caught on every way a seq is written: as an offset from the
    /// lower seq of its step (seqs past 16 bits, the top offset, node numbers of 64 or more),
    /// and as an integer (two seqs further apart than the table holds).
    func testWrongCertificatesAreCaughtOnEveryNumeralPath() throws {
        let sets: [[(node: Int, seq: Int)]] = [
            [(0, 65_535), (0, 65_537), (1, 7), (1, 9)],
            [(0, -3), (0, 16_380), (1, 7), (1, 9)],
            [(0, 0), (0, 16_384), (1, 7), (1, 9)],
            [(70, 65_535), (70, 65_537), (71, 7), (71, 9)],
        ]
        for events in sets {
            let solver = Z3Solver(context: Z3Context(), logic: "QF_IDL")
            func fails(_ goals: [Z3OrderQuery.Goal], causes: [(from: Int, to: Int)] = [], _ range: Range<Int>? = nil) throws -> Bool {
                try solver.checkSomeGoalFails(Z3OrderQuery(events: events, causes: causes, goals: goals), goals: range).isSat
            }
            let forward = Z3OrderQuery.Goal(before: 0, after: 1, steps: [])
            let backward = Z3OrderQuery.Goal(before: 1, after: 0, steps: [])
            XCTAssertFalse(try fails([forward]), "\(events)")
            XCTAssertTrue(try fails([forward, backward]), "\(events)")
            XCTAssertFalse(try fails([forward, backward], 0..<1), "\(events)")
            XCTAssertTrue(try fails([Z3OrderQuery.Goal(before: 0, after: 0, steps: [])]), "\(events)")
            let chain = Z3OrderQuery.Goal(before: 0, after: 3, steps: [.program(from: 0, to: 1), .cause(0), .program(from: 2, to: 3)])
            XCTAssertFalse(try fails([chain], causes: [(1, 2)]), "\(events)")
            let backA = Z3OrderQuery.Goal(before: 1, after: 3, steps: [.program(from: 1, to: 0), .cause(0), .program(from: 2, to: 3)])
            XCTAssertTrue(try fails([backA], causes: [(0, 2)]), "\(events)")
            let backB = Z3OrderQuery.Goal(before: 0, after: 2, steps: [.program(from: 0, to: 1), .cause(0), .program(from: 3, to: 2)])
            XCTAssertTrue(try fails([backB], causes: [(1, 3)]), "\(events)")
        }
    }

    /// A step's seqs are written from the lower of them: every step that spans one seq, near
    /// zero or past 16 bits, is one comparison, and a backward step among them is still caught.
    func testStepsOfOneSpanShareOneComparison() throws {
        let solver = Z3Solver(context: Z3Context(), logic: "QF_IDL")
        let starts = Array(0..<200) + Array(1_000_000..<1_000_200)
        let events = starts.flatMap { [(node: 0, seq: $0), (node: 0, seq: $0 + 1)] }
        let forward = starts.indices.map { Z3OrderQuery.Goal(before: 2 * $0, after: 2 * $0 + 1, steps: []) }
        XCTAssertTrue(try solver.checkSomeGoalFails(Z3OrderQuery(events: events, goals: forward)).isUnsat)
        XCTAssertEqual(solver.orderTable.comparisonCount, 1)
        var broken = forward
        broken[300] = Z3OrderQuery.Goal(before: 601, after: 600, steps: [])
        let query = Z3OrderQuery(events: events, goals: broken)
        XCTAssertTrue(try solver.checkSomeGoalFails(query).isSat)
        XCTAssertTrue(try solver.checkSomeGoalFails(query, goals: 0..<300).isUnsat)
        XCTAssertTrue(try solver.checkSomeGoalFails(query, goals: 300..<301).isSat)
        XCTAssertEqual(solver.orderTable.comparisonCount, 2, "the backward step is the other comparison")
    }

    func testSeqsFarApartAreComparedToo() throws {
        let solver = Z3Solver(context: Z3Context(), logic: "QF_IDL")
        // Seqs spanning more than the shared table of numerals holds, on node 0 only.
        let far: [(node: Int, seq: Int)] = [(0, 3), (0, 5_000_000), (1, 7), (1, 9)]
        let good = [Z3OrderQuery.Goal(before: 0, after: 1, steps: []), Z3OrderQuery.Goal(before: 2, after: 3, steps: [])]
        XCTAssertTrue(try solver.checkSomeGoalFails(Z3OrderQuery(events: far, goals: good)).isUnsat)
        let bad = Z3OrderQuery.Goal(before: 1, after: 0, steps: [])
        XCTAssertTrue(try solver.checkSomeGoalFails(Z3OrderQuery(events: far, goals: good + [bad])).isSat)
        let chain = Z3OrderQuery.Goal(before: 0, after: 3, steps: [.program(from: 0, to: 1), .cause(0), .program(from: 2, to: 3)])
        XCTAssertTrue(try solver.checkSomeGoalFails(Z3OrderQuery(events: far, causes: [(1, 2)], goals: [chain])).isUnsat)
        let backwards = Z3OrderQuery.Goal(before: 1, after: 3, steps: [.program(from: 1, to: 0), .cause(0), .program(from: 2, to: 3)])
        XCTAssertTrue(try solver.checkSomeGoalFails(Z3OrderQuery(events: far, causes: [(0, 2)], goals: [backwards])).isSat)
    }

    func testQueriesOfOneSolverStayApart() throws {
        // The solver's queries share numerals and atoms: a broken query before or after a sound
        // one changes neither answer.
        let solver = Z3Solver(context: Z3Context(), logic: "QF_IDL")
        let linked = Z3OrderQuery.Goal(before: 0, after: 3, steps: [.program(from: 0, to: 1), .cause(0), .program(from: 2, to: 3)])
        let unlinked = Z3OrderQuery.Goal(before: 1, after: 3, steps: [.cause(0), .program(from: 2, to: 3)])
        for _ in 0..<3 {
            XCTAssertTrue(try solver.checkSomeGoalFails(Z3OrderQuery(events: events, causes: [(0, 2)], goals: [unlinked])).isSat)
            XCTAssertTrue(try solver.checkSomeGoalFails(Z3OrderQuery(events: events, causes: [(1, 2)], goals: [linked])).isUnsat)
            let local = Z3OrderQuery(events: events, goals: [Z3OrderQuery.Goal(before: 3, after: 2, steps: [])])
            XCTAssertTrue(try solver.checkSomeGoalFails(local).isSat)
        }
        XCTAssertEqual(solver.scopeDepth, 0)
    }
}
