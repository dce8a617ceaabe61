import Explorer
import XCTest

final class ShardingTests: XCTestCase {
    func testShardsTogetherCoverTheUnshardedStates() {
        let models: [(String, any Explorable)] = [
            ("counters", Counters(k: 3, m: 3)),
            ("locked", RaceModel(locked: true, noise: 2)),
            ("program", RandomProgram(seed: 7, threads: 3, length: 3, variables: 2)),
        ]
        for (name, model) in models {
            for mode in searchModes {
                check(model, name: name, mode: mode)
            }
        }
    }

    private func check<S: Explorable>(_ start: S, name: String, mode: (caching: Bool, reduction: Bool)) {
        let whole = explore(start, caching: mode.caching, reduction: mode.reduction, fingerprints: true)
        XCTAssertTrue(whole.exhaustive)
        for n in 1...5 {
            var union: Set<UInt64> = []
            var executions = 0
            for i in 0..<n {
                let part = explore(start, caching: mode.caching, reduction: mode.reduction,
                                   shard: Shard(index: i, count: n)!, fingerprints: true)
                XCTAssertTrue(part.exhaustive, "\(name) \(i)/\(n)")
                union.formUnion(part.fingerprints!)
                executions += part.executions
            }
            XCTAssertEqual(union, Set(whole.fingerprints!), "\(name) n=\(n) \(mode)")
            if !mode.caching {
                // Without caching the shards split the tree's paths exactly.
                XCTAssertEqual(executions, whole.executions, "\(name) n=\(n) \(mode)")
            }
        }
    }

    func testShardsOfABoundedSearchCoverTheBoundedStates() {
        let start = RandomProgram(seed: 3, threads: 3, length: 4, variables: 2)
        let whole = explore(start, depthBound: 4, fingerprints: true)
        XCTAssertEqual(Set(whole.fingerprints!), reachable(start, bound: 4))
        for n in [2, 3, 5] {
            let union = (0..<n).reduce(into: Set<UInt64>()) { union, i in
                let part = explore(start, depthBound: 4, shard: Shard(index: i, count: n)!, fingerprints: true)
                XCTAssertFalse(part.exhaustive)
                union.formUnion(part.fingerprints!)
            }
            XCTAssertEqual(union, Set(whole.fingerprints!), "n=\(n)")
        }
    }

    func testParallelModeMergesToTheUnshardedResult() {
        let start = Counters(k: 4, m: 3)
        for mode in searchModes where mode.reduction || mode.caching {
            let whole = explore(start, caching: mode.caching, reduction: mode.reduction)
            for threads in [2, 3] {
                let parallel = explore(start, caching: mode.caching, reduction: mode.reduction, parallelism: threads)
                XCTAssertEqual(parallel.states, 256, "\(mode) \(threads)")
                XCTAssertEqual(parallel.states, whole.states)
                XCTAssertTrue(parallel.exhaustive)
                if !mode.caching { XCTAssertEqual(parallel.executions, whole.executions) }
            }
        }
        let sharded = explore(start, shard: Shard(index: 1, count: 2)!, parallelism: 2, fingerprints: true)
        let alone = explore(start, shard: Shard(index: 1, count: 2)!, fingerprints: true)
        XCTAssertEqual(sharded.fingerprints, alone.fingerprints)
    }

    func testParallelSearchFindsTheRace() throws {
        let report = explore(RaceModel(noise: 3), caching: false, parallelism: 3)
        XCTAssertEqual(report.verdict, .violation)
        let found = try XCTUnwrap(report.counterexamples.first)
        XCTAssertEqual(try replay(RaceModel(noise: 3), path: found.path).violation?.invariant, "race.lostUpdate")
    }

    func testShardParsing() {
        XCTAssertEqual(Shard(parsing: "2/5"), Shard(index: 2, count: 5))
        XCTAssertEqual(Shard(parsing: "0/1"), .whole)
        for bad in ["5/5", "-1/3", "1/0", "1", "a/b", "1/2/3", ""] {
            XCTAssertNil(Shard(parsing: bad), bad)
        }
        XCTAssertEqual(Shard(index: 3, count: 4)?.description, "3/4")
    }

    func testShareIsTheNumberOfWalksAShardRuns() throws {
        XCTAssertEqual(Shard(index: 3, count: 8)?.share(of: 20_000), 2_500)
        XCTAssertEqual(Shard(index: 2, count: 3)?.share(of: 10), 3)
        XCTAssertEqual(Shard(index: 5, count: 8)?.share(of: 3), 0)
        for total in [1, 7, 10, 33] {
            let shares = (0..<4).map { Shard(index: $0, count: 4)!.share(of: total) }
            XCTAssertEqual(shares.reduce(0, +), total, "\(total)")
        }
        // What a walk search of the shard does.
        for index in 0..<3 {
            let shard = try XCTUnwrap(Shard(index: index, count: 3))
            let report = explore(Counters(k: 2, m: 2), strategy: .random(seed: 1),
                                 budget: ExplorationBudget(executions: 10), shard: shard)
            XCTAssertEqual(report.executions, shard.share(of: 10), "\(shard)")
        }
    }
}
