import Explorer
import Mirror
import Specs
import XCTest

/// Each seeded bug of the mirror's cores is found by exhaustive search with a counterexample
/// whose shrunk path replays to the same invariant, and its trace is rejected by the spec the
/// same way; the correct cores pass the same bounds exhaustively.
final class MirrorSeededBugTests: XCTestCase {
    /// Explores `bounds` with the fault `fault` on, expects `invariant`, and checks the correct
    /// cores pass the same bounds. Returns the shrunk counterexample's steps.
    @discardableResult
    func find(_ fault: String, in bounds: String, expect invariant: String,
              file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let correct = try XCTUnwrap(MirrorSimulation(parsing: bounds), file: file, line: line)
        let clean = explore(correct)
        XCTAssertEqual(clean.verdict, .pass, "the correct cores fail: \(clean.counterexamples)", file: file, line: line)
        XCTAssertTrue(clean.exhaustive, file: file, line: line)

        let faulty = try XCTUnwrap(MirrorSimulation(parsing: bounds + " faults=" + fault), file: file, line: line)
        let report = explore(faulty)
        XCTAssertEqual(report.verdict, .violation, file: file, line: line)
        let found = try XCTUnwrap(report.counterexamples.first, file: file, line: line)
        XCTAssertEqual(found.violation.invariant, invariant, "\(found.violation)", file: file, line: line)
        XCTAssertLessThanOrEqual(found.path.count, found.originalLength ?? found.path.count, file: file, line: line)

        // The shrunk path replays to the same invariant at its last step...
        let replayed = try replay(faulty, path: found.path)
        XCTAssertEqual(replayed.violation?.invariant, invariant, file: file, line: line)
        XCTAssertEqual(replayed.violationStep, found.path.count, file: file, line: line)
        XCTAssertEqual(replayed.steps, found.steps, file: file, line: line)
        // ...through a replay token...
        let token = found.token(system: MirrorSimulation.system, configuration: faulty.configuration.description)
        let decoded = try ReplayToken(decoding: token.encoded)
        let rebuilt = try XCTUnwrap(MirrorSimulation(parsing: decoded.configuration), file: file, line: line)
        XCTAssertEqual(try replay(rebuilt, path: decoded.path).state.events, replayed.state.events, file: file, line: line)
        // ...and its trace breaks the same invariant first for the spec `plumb check` runs.
        let verdict = try SpecRunner.run(MirrorSpec.self, events: replayed.state.events)
        XCTAssertEqual(verdict.violations.first?.invariant.rawValue, invariant, file: file, line: line)
        return found.steps
    }

    func testASecondaryThatAppliesOnReceiptBreaksStreamOrder() throws {
        // Stream 1 (lsn 1 and 3) moves to a path that comes back while its first entry is still
        // in flight on the other path: the second can overtake it.
        let steps = try find("appliesOnReceipt", in: "streams=2 paths=2 records=3 crashes=0 failures=1 barriers=0",
                             expect: "mirror.stream-order")
        XCTAssertTrue(steps.contains { $0.hasSuffix("comes back") }, "\(steps)")
    }

    func testAPrimaryThatCommitsBeforeTheAckBreaksCommitAfterMirror() throws {
        let steps = try find("commitsBeforeAck", in: "streams=1 paths=1 records=1 crashes=0 failures=0",
                             expect: "mirror.commit-after-mirror")
        XCTAssertEqual(steps, ["the client writes lsn 1"])
    }

    func testAPrimaryThatDoesNotResendAfterAPathFailureCommitsUnmirroredRecords() throws {
        let steps = try find("skipsResendAfterPathFailure", in: "streams=1 paths=2 records=1 crashes=1 failures=1",
                             expect: "mirror.commit-after-mirror")
        XCTAssertEqual(steps, ["the client writes lsn 1", "path 0 fails", "the primary sees path 0 down"])
    }

    func testASecondaryThatIgnoresBarriersBreaksTheBarrier() throws {
        // lsn 3 (stream 1) depends on lsn 2 (stream 0), which travels on the other path.
        try find("ignoresBarriers", in: "streams=2 paths=2 records=3 crashes=0 failures=0",
                 expect: "mirror.barrier")
    }

    func testASecondaryThatKeepsApplyingAfterItsTakeoverLosesCommits() throws {
        // A partition: the secondary takes over while the primary runs; when the path comes
        // back, the unfenced secondary applies and acknowledges the old primary's entry, which
        // the primary then commits: a commit the serving secondary did not have at takeover.
        let steps = try find("appliesAfterTakeover", in: "streams=1 paths=1 records=1 crashes=0 failures=1",
                             expect: "mirror.no-loss")
        XCTAssertTrue(steps.contains("the secondary takes over"), "\(steps)")
    }

    func testPCTFindsTheBugsOnTheCLIConfiguration() throws {
        // The CLI's default bounds take seconds to exhaust in release, too long for a debug test
        // run: seeded PCT walks find these bugs there at once. (Not the out-of-order apply: it
        // needs a failure, a comeback and one delivery order, which 5,000 random or PCT walks
        // miss and exhaustive search finds.)
        let faults = [
            ("commitsBeforeAck", "mirror.commit-after-mirror"),
            ("skipsResendAfterPathFailure", "mirror.commit-after-mirror"), ("ignoresBarriers", "mirror.barrier"),
        ]
        for (fault, invariant) in faults {
            let start = try XCTUnwrap(MirrorSimulation(parsing: "streams=2 paths=2 records=3 crashes=1 failures=1 faults=" + fault))
            let report = explore(start, strategy: .pct(seed: 7, depth: 3), budget: ExplorationBudget(executions: 2_000))
            XCTAssertEqual(report.verdict, .violation, fault)
            XCTAssertEqual(report.counterexamples.first?.violation.invariant, invariant, fault)
        }
    }
}
