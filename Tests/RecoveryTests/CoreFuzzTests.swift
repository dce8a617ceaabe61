import Recovery
import Trace
import XCTest

/// Seeded random graphs and completion orders: every trace passes the spec, no worker is idle
/// while a consumer could start, and exactly the transitive dependents of failures are skipped.
final class CoreFuzzTests: XCTestCase {
    func testRandomWalksFollowTheRules() {
        for seed in 0..<300 {
            var rng = SplitMix64(seed: UInt64(seed))
            let count = Int.random(in: 1...14, using: &rng)
            var registrations: [ConsumerRegistration] = []
            for i in 0..<count {
                var r = ConsumerRegistration("c\(i)")
                for j in 0..<i where Int.random(in: 0..<5, using: &rng) == 0 {
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: r.deps.append("c\(j)")
                    case 1: r.after.append("c\(j)")
                    default: r.logs.append("c\(j)")
                    }
                }
                if Int.random(in: 0..<6, using: &rng) == 0 { r.timeout = .seconds(1) }
                registrations.append(r)
            }
            registrations.shuffle(using: &rng)
            var h = CoreHarness(workers: Int.random(in: 1...3, using: &rng))
            for r in registrations { h.register(r) }
            var running: [Ticket] = []
            var failed: Set<String> = []
            func take(_ actions: [RecoveryCore.Action]) {
                for case let .start(t, _, _) in actions { running.append(t) }
            }
            take(h.feed(.begin))
            var outcome: RecoveryOutcome?
            while !running.isEmpty {
                let t = running.remove(at: Int.random(in: 0..<running.count, using: &rng))
                var actions: [RecoveryCore.Action] = []
                for log in ["L0", "L1"] where Int.random(in: 0..<2, using: &rng) == 0 {
                    actions += h.feed(.tag(t, log: log))
                    actions += h.feed(.process(t, log: log))
                    if Bool.random(using: &rng) { actions += h.feed(.untag(t, log: log)) }
                }
                switch Int.random(in: 0..<6, using: &rng) {
                case 0:
                    failed.insert(t.consumer)
                    actions += h.feed(.ended(t, failure: "boom"))
                case 1 where registrations.first { $0.name == t.consumer }?.timeout != nil:
                    failed.insert(t.consumer)
                    actions += h.feed(.timeoutFired(t))
                default:
                    actions += h.feed(.ended(t, failure: nil))
                }
                take(actions)
                outcome = actions.outcome ?? outcome
                if running.count < h.core.workerCount, let idle = startable(registrations, h) {
                    XCTFail("seed \(seed): a worker is idle while \(idle) could start")
                }
            }
            XCTAssertNotNil(outcome, "seed \(seed)")
            XCTAssertEqual(h.lines.last?.hasPrefix("done"), true, "seed \(seed): never done")
            h.assertSpecPasses()
            // Skipped exactly the transitive hard dependents of failures.
            var expected: Set<String> = []
            var changed = true
            while changed {
                changed = false
                for r in registrations where !expected.contains(r.name) {
                    if r.deps.contains(where: { failed.contains($0) || expected.contains($0) }) {
                        expected.insert(r.name)
                        changed = true
                    }
                }
            }
            let skipped = Set(h.lines.filter { $0.hasPrefix("skip ") }.map { String($0.dropFirst(5)) })
            XCTAssertEqual(skipped, expected, "seed \(seed)")
        }
    }

    /// A consumer that has not started and whose start conditions all hold, judged from the
    /// recorded events alone.
    func startable(_ registrations: [ConsumerRegistration], _ h: CoreHarness) -> String? {
        var started: Set<String> = [], succeeded: Set<String> = [], finished: Set<String> = []
        for e in h.events {
            switch e.kind {
            case let .start(c): started.insert(c)
            case let .end(c, ok, _):
                finished.insert(c)
                if ok { succeeded.insert(c) }
            case let .skip(c): finished.insert(c)
            default: break
            }
        }
        return registrations.first { r in
            !started.contains(r.name) && !finished.contains(r.name)
                && r.deps.allSatisfy(succeeded.contains) && r.after.allSatisfy(finished.contains)
                && r.logs.allSatisfy { started.contains($0) || finished.contains($0) }
        }?.name
    }
}
