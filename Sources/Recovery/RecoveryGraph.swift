/// A sealed dependency graph: the accepted consumers in registration order, with their
/// dependencies and dependents as indices, and the refused registrations.
///
/// Built once per run by `seal(_:)`. Everything is in registration order, so the walk's choices
/// never depend on hashing.
package struct RecoveryGraph: Sendable {
    /// One accepted consumer, with its edges as indices into `consumers`.
    package struct Consumer: Sendable, Equatable {
        /// Its registration, as given.
        package var registration: ConsumerRegistration
        /// Hard dependencies, without repeats.
        package var deps: [Int] = []
        /// Soft (start-order) dependencies, without repeats.
        package var after: [Int] = []
        /// Per-log dependencies, without repeats.
        package var logs: [Int] = []
        /// Consumers that have this one in `deps`.
        package var hardDependents: [Int] = []
        /// Consumers that have this one in `after`.
        package var softDependents: [Int] = []
        /// Consumers that have this one in `logs`.
        package var logDependents: [Int] = []

        /// Its name.
        package var name: String { registration.name }
    }

    /// Accepted consumers in registration order.
    package private(set) var consumers: [Consumer] = []
    /// Refused registrations, in registration order.
    package private(set) var rejected: [RegistrationError] = []
    /// Every registration in order, each with its index in `consumers` or why it was refused.
    package private(set) var verdicts: [(registration: ConsumerRegistration, verdict: Result<Int, RegistrationError>)] = []
    /// Index in `consumers` by name.
    private var index: [String: Int] = [:]

    /// The accepted consumer named `name`, if any.
    package func indexOf(_ name: String) -> Int? { index[name] }

    /// Seals `registrations` (names unique, as the core guarantees): refuses each consumer that
    /// names an unknown consumer, is on a cycle, or names a refused consumer, and links the rest.
    package static func seal(_ registrations: [ConsumerRegistration]) -> RecoveryGraph {
        var position: [String: Int] = [:]
        for (i, r) in registrations.enumerated() { position[r.name] = i }
        let named = registrations.map { uniqued($0.deps + $0.after + $0.logs) }
        var errors = [RegistrationError?](repeating: nil, count: registrations.count)
        // What each consumer depends on, by position; unknown names refuse it.
        var edges = [[Int]](repeating: [], count: registrations.count)
        for i in registrations.indices {
            for name in named[i] {
                if let j = position[name] {
                    edges[i].append(j)
                } else if errors[i] == nil {
                    errors[i] = .unknown(consumer: registrations[i].name, name: name)
                }
            }
        }
        var dependents = [[Int]](repeating: [], count: registrations.count)
        for i in registrations.indices { for j in edges[i] { dependents[j].append(i) } }
        propagate(&errors, registrations, dependents)
        for (i, cycle) in cycles(edges, errors) {
            errors[i] = .cycle(consumer: registrations[i].name, cycle: cycle.map { registrations[$0].name })
        }
        propagate(&errors, registrations, dependents)
        return RecoveryGraph(registrations, errors)
    }

    /// Links the accepted consumers.
    private init(_ registrations: [ConsumerRegistration], _ errors: [RegistrationError?]) {
        for (r, error) in zip(registrations, errors) {
            if let error {
                rejected.append(error)
                verdicts.append((r, .failure(error)))
            } else {
                index[r.name] = consumers.count
                verdicts.append((r, .success(consumers.count)))
                consumers.append(Consumer(registration: r))
            }
        }
        for i in consumers.indices {
            let r = consumers[i].registration
            consumers[i].deps = Self.uniqued(r.deps).map { index[$0]! }
            consumers[i].after = Self.uniqued(r.after).map { index[$0]! }
            consumers[i].logs = Self.uniqued(r.logs).map { index[$0]! }
            for j in consumers[i].deps { consumers[j].hardDependents.append(i) }
            for j in consumers[i].after { consumers[j].softDependents.append(i) }
            for j in consumers[i].logs { consumers[j].logDependents.append(i) }
        }
    }

    /// Refuses, transitively and in a fixed order, every consumer that names a refused one.
    private static func propagate(
        _ errors: inout [RegistrationError?], _ registrations: [ConsumerRegistration], _ dependents: [[Int]]
    ) {
        var queue = errors.indices.filter { errors[$0] != nil }
        var head = 0
        while head < queue.count {
            let refused = queue[head]
            head += 1
            for d in dependents[refused] where errors[d] == nil {
                errors[d] = .namesRejected(consumer: registrations[d].name, name: registrations[refused].name)
                queue.append(d)
            }
        }
    }

    /// Each not yet refused consumer that lies on a cycle, with a shortest cycle through it
    /// (following "depends on" edges), in registration order.
    private static func cycles(_ edges: [[Int]], _ errors: [RegistrationError?]) -> [(Int, [Int])] {
        let n = edges.count
        // Peel off consumers that no cycle can pass through: those with no remaining
        // dependency, then those no remaining consumer depends on, until nothing changes.
        var alive = (0..<n).map { errors[$0] == nil }
        var out = [Int](repeating: 0, count: n)
        var into = [Int](repeating: 0, count: n)
        var dependents = [[Int]](repeating: [], count: n)
        for i in 0..<n where alive[i] {
            for j in edges[i] where alive[j] {
                out[i] += 1
                into[j] += 1
                dependents[j].append(i)
            }
        }
        var stack = (0..<n).filter { alive[$0] && (out[$0] == 0 || into[$0] == 0) }
        while let i = stack.popLast() {
            guard alive[i] else { continue }
            alive[i] = false
            for j in edges[i] where alive[j] {
                into[j] -= 1
                if into[j] == 0 { stack.append(j) }
            }
            for d in dependents[i] where alive[d] {
                out[d] -= 1
                if out[d] == 0 { stack.append(d) }
            }
        }
        var found: [(Int, [Int])] = []
        for start in 0..<n where alive[start] {
            if let cycle = shortestCycle(from: start, edges, alive) { found.append((start, cycle)) }
        }
        return found
    }

    /// A shortest cycle through `start` among `alive` consumers (breadth-first), or nil.
    private static func shortestCycle(from start: Int, _ edges: [[Int]], _ alive: [Bool]) -> [Int]? {
        var parent = [Int: Int]()
        var queue = [start]
        var head = 0
        while head < queue.count {
            let i = queue[head]
            head += 1
            for j in edges[i] where alive[j] {
                if j == start {
                    var path = [i]
                    while path.last! != start { path.append(parent[path.last!]!) }
                    return path.reversed()
                }
                if parent[j] == nil {
                    parent[j] = i
                    queue.append(j)
                }
            }
        }
        return nil
    }

    /// `names` without repeats, in their first order.
    static func uniqued(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}
