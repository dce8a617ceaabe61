/// Topological ranking of a dependency graph, or a cycle when there is none.
///
/// The graph engine's half of `recovery.acyclic`: the ranking is the certificate that Z3 checks.
package enum Ranking {
    /// Ranks with `rank[from] < rank[to]` for every edge, or nil when the graph has a cycle.
    /// Deterministic: ties go to the lower vertex index.
    package static func ranks(vertexCount: Int, edges: [(from: Int, to: Int)]) -> [Int]? {
        var successors = Array(repeating: [Int](), count: vertexCount)
        var indegree = Array(repeating: 0, count: vertexCount)
        for e in edges {
            successors[e.from].append(e.to)
            indegree[e.to] += 1
        }
        var ready = (0..<vertexCount).filter { indegree[$0] == 0 }.reversed() as [Int]
        var rank = Array(repeating: -1, count: vertexCount)
        var next = 0
        while let v = ready.popLast() {
            rank[v] = next
            next += 1
            for s in successors[v] {
                indegree[s] -= 1
                if indegree[s] == 0 { ready.append(s) }
            }
        }
        return next == vertexCount ? rank : nil
    }

    /// One cycle of the graph as vertex indices in edge order, or nil when it is acyclic.
    package static func cycle(vertexCount: Int, edges: [(from: Int, to: Int)]) -> [Int]? {
        var successors = Array(repeating: [Int](), count: vertexCount)
        for e in edges { successors[e.from].append(e.to) }
        // Iterative DFS with colours: 0 new, 1 on stack, 2 done.
        var colour = Array(repeating: 0, count: vertexCount)
        var parent = Array(repeating: -1, count: vertexCount)
        for root in 0..<vertexCount where colour[root] == 0 {
            var stack: [(vertex: Int, next: Int)] = [(root, 0)]
            colour[root] = 1
            while var top = stack.popLast() {
                if top.next < successors[top.vertex].count {
                    let s = successors[top.vertex][top.next]
                    top.next += 1
                    stack.append(top)
                    if colour[s] == 1 {
                        var cycle = [top.vertex]
                        var v = top.vertex
                        while v != s { v = parent[v]; cycle.append(v) }
                        return cycle.reversed()
                    }
                    if colour[s] == 0 {
                        colour[s] = 1
                        parent[s] = top.vertex
                        stack.append((s, 0))
                    }
                } else {
                    colour[top.vertex] = 2
                }
            }
        }
        return nil
    }
}
