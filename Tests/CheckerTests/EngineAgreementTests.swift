import Foundation
import Specs
import Trace
import XCTest
@testable import Checker

/// Z3 and the graph engine must agree; where they do not, the report must say so.
final class EngineAgreementTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-agree-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A generated mirror trace with some causal links cut, written one file per node.
    private func mutatedTrace(seed: UInt64, events: Int, cutEvery: Int) throws -> [String] {
        let files = ["primary", "secondary"].map { directory.appendingPathComponent("\($0)-\(seed).jsonl").path }
        let primary = try FileRecorder(path: files[0], system: .mirror)
        let secondary = try FileRecorder(path: files[1], system: .mirror)
        var rng = SplitMix64(seed: seed)
        var generator = SyntheticMirrorTrace()
        generator.seed = seed
        generator.streams = 2 + Int(seed % 4)
        generator.paths = 1 + Int(seed % 3)
        generator.generate(events: events) { event in
            var event = event
            if cutEvery > 0, !event.causes.isEmpty, rng.next() % UInt64(cutEvery) == 0 { event.causes = [] }
            (event.node == "primary" ? primary : secondary).record(event)
        }
        try primary.close()
        try secondary.close()
        return files
    }

    func testEnginesAgreeOnRandomTraces() throws {
        for seed in 1...24 as ClosedRange<UInt64> {
            let files = try mutatedTrace(seed: seed, events: 1500, cutEvery: seed % 3 == 0 ? 0 : 25)
            var graphOptions = Checker.Options()
            graphOptions.useSolver = false
            var z3Options = Checker.Options()
            z3Options.window = 64  // many small queries
            let graph = Checker(options: graphOptions).check(files: files)
            let z3 = Checker(options: z3Options).check(files: files)
            XCTAssertNil(z3.error, "seed \(seed): \(z3.text)")
            XCTAssertEqual(z3.disagreements, [], "seed \(seed)")
            XCTAssertEqual(z3.verdict, graph.verdict, "seed \(seed)")
            XCTAssertEqual(z3.violations.map(\.invariant), graph.violations.map(\.invariant), "seed \(seed)")
            XCTAssertEqual(z3.violations.map(\.events), graph.violations.map(\.events), "seed \(seed)")
            // Every invariant the graph engine refuted through an obligation, Z3 refuted too.
            for proof in z3.proofs where proof.engine == .z3 {
                let broken = graph.violations.contains { $0.invariant == proof.invariant }
                XCTAssertNotEqual(proof.result, .unknown, "seed \(seed) \(proof.invariant)")
                if !broken { XCTAssertEqual(proof.result, .proved, "seed \(seed) \(proof.invariant)") }
            }
            if seed % 3 == 0 { XCTAssertEqual(z3.verdict, .pass, "seed \(seed): \(z3.text)") }
        }
    }

    func testACutCausalLinkIsRefutedByZ3WithAnOrder() throws {
        let files = try mutatedTrace(seed: 5, events: 3000, cutEvery: 10)
        let report = Checker().check(files: files)
        XCTAssertEqual(report.verdict, .fail)
        let v = try XCTUnwrap(report.violations.first { $0.invariant == .mirrorCommitAfterMirror })
        // The counterexample is an order in which the commit comes before the apply.
        let commit = try XCTUnwrap(v.counterexample.firstIndex { $0.name == "commit" })
        let apply = try XCTUnwrap(v.counterexample.firstIndex { $0.name == "apply" })
        XCTAssertLessThan(commit, apply)
        let z3 = try XCTUnwrap(report.proofs.first { $0.invariant == .mirrorCommitAfterMirror && $0.engine == .z3 })
        XCTAssertEqual(z3.result, .refuted)
    }

    /// A graph engine that claimed an order without its steps must be caught by Z3.
    func testAProofWithoutItsStepsIsCaughtAsADisagreement() {
        let prover = Prover(timeout: .seconds(10))
        let a = EventID(node: "secondary", seq: 3), b = EventID(node: "primary", seq: 9)
        let wrong = prover.prove(.orders(.mirrorCommitAfterMirror, [
            OrderObligation(before: a, after: b, facts: [HappensBeforeStep(from: a, to: b, kind: .cause)]),
            OrderObligation(before: b, after: a, facts: []),
        ]))
        XCTAssertEqual(wrong.result, .refuted)
        XCTAssertEqual(wrong.disagreements.count, 1)
        XCTAssertTrue(wrong.disagreements[0].contains("primary#9 happens-before secondary#3"), wrong.disagreements[0])

        // A refutation the steps contradict is a disagreement too.
        switch prover.refute(before: a, after: b, facts: [HappensBeforeStep(from: a, to: b, kind: .cause)]) {
        case .disagreement: break
        default: XCTFail("expected the solver to prove what the graph engine refuted")
        }
    }

    /// The links that tie a member of a group of obligations to the group's goal are proved
    /// by Z3 too, count no obligation, and one that does not hold is a disagreement.
    func testLinksOfAGroupAreProvedAndCountNoObligation() {
        let prover = Prover(timeout: .seconds(10))
        let good = prover.prove(.orders(.mirrorCommitAfterMirror, [
            .link(EventID(node: "secondary", seq: 2), EventID(node: "secondary", seq: 5)),
            .link(EventID(node: "primary", seq: 9), EventID(node: "primary", seq: 12)),
        ]))
        XCTAssertEqual(good.result, .proved)
        XCTAssertEqual(good.goals, 0)
        let bad = prover.prove(.orders(.mirrorCommitAfterMirror, [
            .link(EventID(node: "secondary", seq: 5), EventID(node: "secondary", seq: 2)),
        ]))
        XCTAssertEqual(bad.result, .refuted)
        XCTAssertEqual(bad.disagreements.count, 1)
    }

    func testRankingCertificateAndCycleRefutation() {
        let prover = Prover(timeout: .seconds(10))
        let edges: [(from: Int, to: Int)] = [(0, 1), (1, 2), (0, 2)]
        let ranks = Ranking.ranks(vertexCount: 3, edges: edges)!
        XCTAssertEqual(prover.prove(.ranking(.recoveryAcyclic, ranks: ranks, edges: edges)).result, .proved)
        XCTAssertEqual(prover.prove(.ranking(.recoveryAcyclic, ranks: [2, 1, 0], edges: edges)).result, .refuted)
        let cycle = Ranking.cycle(vertexCount: 3, edges: [(0, 1), (1, 2), (2, 0)])!
        XCTAssertEqual(cycle.count, 3)
        XCTAssertEqual(prover.refuteRanking(cycle: cycle), .refuted)
    }

    /// A long cycle is refuted in segments (one query over all of it takes memory quadratic in
    /// its length); a path that is no cycle is not refuted, whatever the segments.
    func testLongCycleIsRefutedInSegments() {
        let prover = Prover(timeout: .seconds(10))
        let n = 1_000
        let cycle = Ranking.cycle(vertexCount: n, edges: (0..<n).map { ($0, ($0 + 1) % n) })!
        XCTAssertEqual(cycle.count, n)
        XCTAssertEqual(prover.refuteRanking(cycle: cycle, segment: 7), .refuted)
        XCTAssertEqual(prover.refuteRanking(cycle: cycle), .refuted)
        XCTAssertEqual(prover.refuteRanking(cycle: [4, 2], segment: 1), .refuted)
    }
}
