import Foundation
import Recovery
import Trace

/// A synthetic recovery workload: a dependency graph whose consumers suspend for a given time,
/// some of them failing and one hanging past its timeout. What `plumb record recovery` runs.
///
/// Read from JSON (`{"consumers":[{"name":..,"deps":[..],"after":[..],"logs":[..],"ms":..,
/// "timeoutMs":..,"fail":..,"hang":..}]}`, every field but `name` optional) or generated from a
/// seed. Each consumer owns a log `NAME.log`: it tags it when it starts and untags it halfway,
/// and a consumer with `logs: [a]` processes `a.log` between its two halves.
package struct RecoveryWorkload: Codable, Sendable, Equatable {
    /// One consumer of the workload.
    package struct Consumer: Codable, Sendable, Equatable {
        /// Its name.
        package var name: String
        /// Hard dependencies.
        package var deps: [String]?
        /// Soft (start-order) dependencies.
        package var after: [String]?
        /// Per-log dependencies.
        package var logs: [String]?
        /// How long its action suspends, in milliseconds (default 10).
        package var ms: Int?
        /// Its timeout in milliseconds, if any.
        package var timeoutMs: Int?
        /// Whether its action throws at the end.
        package var fail: Bool?
        /// Whether it ignores cancellation and runs far past its timeout (needs `timeoutMs`).
        package var hang: Bool?

        /// Makes a consumer.
        package init(name: String, deps: [String] = [], after: [String] = [], logs: [String] = [], ms: Int = 10) {
            self.name = name
            self.deps = deps
            self.after = after
            self.logs = logs
            self.ms = ms
        }

        /// Its duration.
        package var duration: Duration { .milliseconds(max(ms ?? 10, 0)) }

        /// What it registers (without its action).
        package var registration: ConsumerRegistration {
            ConsumerRegistration(
                name, deps: deps ?? [], after: after ?? [], logs: logs ?? [],
                timeout: timeoutMs.map { .milliseconds($0) })
        }
    }

    /// The consumers, in registration order.
    package var consumers: [Consumer]

    /// Makes a workload.
    package init(consumers: [Consumer]) { self.consumers = consumers }

    /// A random graph of `count` consumers from `seed`: each depends on up to three earlier
    /// ones, sometimes runs after or processes the log of another, and takes 1...`maxMs` ms.
    package static func random(count: Int, maxMs: Int, seed: UInt64) -> RecoveryWorkload {
        var rng = SplitMix64(seed: seed)
        var consumers: [Consumer] = []
        for i in 0..<count {
            var c = Consumer(name: String(format: "c%04d", i), ms: Int.random(in: 1...max(maxMs, 1), using: &rng))
            if i > 0 {
                let earlier = { String(format: "c%04d", Int.random(in: max(0, i - 40)..<i, using: &rng)) }
                var seen = Set<String>()
                c.deps = (0..<Int.random(in: 0...3, using: &rng)).map { _ in earlier() }.filter { seen.insert($0).inserted }
                if Int.random(in: 0..<10, using: &rng) == 0 { c.after = [earlier()] }
                if Int.random(in: 0..<10, using: &rng) == 0 { c.logs = [earlier()] }
            }
            consumers.append(c)
        }
        return RecoveryWorkload(consumers: consumers)
    }

    /// Marks one consumer to hang past a timeout of `timeoutMs` (when `hang`) and `failures`
    /// more to fail, chosen from `seed` among those the framework will accept, so that none of
    /// them is a hard dependency, direct or not, of another: each one really runs, instead of
    /// being skipped for another's failure. Fewer are marked when the graph does not allow more.
    package mutating func inject(failures: Int, hang: Bool, timeoutMs: Int, seed: UInt64) {
        var rng = SplitMix64(seed: seed ^ 0x5EED)
        let graph = RecoveryGraph.seal(consumers.map(\.registration))
        var candidates = consumers.indices.filter {
            graph.indexOf(consumers[$0].name) != nil && consumers[$0].fail != true && consumers[$0].hang != true
        }
        candidates.shuffle(using: &rng)
        var index: [String: Int] = [:]
        for (j, c) in consumers.enumerated() { index[c.name] = j }
        var chosen: Set<Int> = []
        var chosenAncestors: Set<Int> = []
        var wanted = failures + (hang ? 1 : 0)
        for i in candidates where wanted > 0 && !chosenAncestors.contains(i) {
            let ancestors = self.ancestors(of: i, index)
            guard ancestors.isDisjoint(with: chosen) else { continue }
            chosen.insert(i)
            chosenAncestors.formUnion(ancestors)
            if hang, consumers.allSatisfy({ $0.hang != true }) {
                consumers[i].hang = true
                consumers[i].timeoutMs = timeoutMs
            } else {
                consumers[i].fail = true
            }
            wanted -= 1
        }
    }

    /// The consumers `i` depends on through `deps`, directly or not.
    private func ancestors(of i: Int, _ index: [String: Int]) -> Set<Int> {
        var seen: Set<Int> = []
        var stack = [i]
        while let j = stack.popLast() {
            for name in consumers[j].deps ?? [] {
                if let k = index[name], seen.insert(k).inserted { stack.append(k) }
            }
        }
        return seen
    }

    /// The consumers as the live runtime runs them.
    package func recoveryConsumers() -> [RecoveryConsumer] {
        consumers.map { c in
            let name = c.name
            let half = c.duration / 2
            let logs = c.logs ?? []
            let fails = c.fail == true
            let hangs = c.hang == true
            let timeout = c.timeoutMs.map { Duration.milliseconds($0) }
            return RecoveryConsumer(
                name, deps: c.deps ?? [], after: c.after ?? [], logs: logs, timeout: timeout
            ) { context in
                if hangs {
                    // Ignores cancellation: suspends far past its timeout.
                    let clock = ContinuousClock()
                    let until = clock.now + (timeout ?? .seconds(1)) * 20
                    while clock.now < until { try? await Task.sleep(for: .milliseconds(50)) }
                    return
                }
                try context.tag("\(name).log")
                try await Task.sleep(for: half)
                context.untag("\(name).log")
                for a in logs { try await context.process("\(a).log") }
                try await Task.sleep(for: half)
                if fails { throw WorkloadFailure(consumer: name) }
            }
        }
    }

    /// The time each consumer holds a worker when it runs: its duration, or its timeout if it hangs.
    package func busyTime(_ c: Consumer) -> Duration {
        c.hang == true ? .milliseconds(c.timeoutMs ?? 0) : c.duration
    }

    /// The longest chain of `deps` and `after` edges, weighted by busy time, among the consumers
    /// in `ran` (a lower bound on the recovery time of those consumers, whatever the workers).
    /// The consumers that ran form a DAG (the framework refused cycles); a cycle among them
    /// would simply be left out.
    package func criticalPath(ran: Set<String>) -> Duration {
        let members = consumers.filter { ran.contains($0.name) }
        var index: [String: Int] = [:]
        for (i, c) in members.enumerated() { index[c.name] = i }
        var dependents = [[Int]](repeating: [], count: members.count)
        var waiting = [Int](repeating: 0, count: members.count)
        for (i, c) in members.enumerated() {
            for j in Set((c.deps ?? []) + (c.after ?? [])).compactMap({ index[$0] }) {
                dependents[j].append(i)
                waiting[i] += 1
            }
        }
        var start = [Duration](repeating: .zero, count: members.count)
        var stack = members.indices.filter { waiting[$0] == 0 }
        var longest = Duration.zero
        while let i = stack.popLast() {
            let end = start[i] + busyTime(members[i])
            longest = max(longest, end)
            for d in dependents[i] {
                start[d] = max(start[d], end)
                waiting[d] -= 1
                if waiting[d] == 0 { stack.append(d) }
            }
        }
        return longest
    }

    /// The time of running every consumer in `ran` one after another.
    package func seriesTime(ran: Set<String>) -> Duration {
        consumers.filter { ran.contains($0.name) }.reduce(.zero) { $0 + busyTime($1) }
    }
}

/// The error a workload consumer marked `fail` throws.
package struct WorkloadFailure: Error, Sendable, CustomStringConvertible {
    /// The consumer.
    package var consumer: String
    /// `consumer "x" failed (injected)`.
    package var description: String { "consumer \"\(consumer)\" failed (injected)" }
}
