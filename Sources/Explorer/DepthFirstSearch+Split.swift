extension DepthFirstSearch {
    /// The most levels `split` unrolls (a long chain of single choices would otherwise be
    /// unrolled to its end).
    static var maxSplitLevels: Int { 256 }

    /// Unrolls the tree below `nodes`, one level at a time, until there are at least `target`
    /// nodes or none can be expanded. The result is in depth-first order, and is the same in
    /// every process for the same start and options, so shards can number it alike. Nodes that
    /// end a path (violation, no choices, all asleep, depth bound) stay as they are, for their
    /// owner to count. No cache is used here, so no coverage depends on another shard's cache;
    /// sleep sets are computed as the depth-first search would. Stops as soon as the search
    /// is over (its time is up, or it was cancelled): the nodes are then returned as they
    /// are, and the threads they go to stop at once.
    func split(_ nodes: [SearchNode<System>], target: Int) -> [SearchNode<System>] {
        var level = nodes
        var rounds = 0
        while level.count < target, rounds < Self.maxSplitLevels {
            var next: [SearchNode<System>] = []
            var expanded = false
            for (i, node) in level.enumerated() {
                if control.isOver() { return next + level[i...] }
                if let children = expand(node) {
                    next.append(contentsOf: children)
                    expanded = true
                } else {
                    next.append(node)
                }
            }
            if !expanded { break }
            level = next
            rounds += 1
        }
        return level
    }

    /// The children of `node` the search would take, or nil when `node` ends a path.
    private func expand(_ node: SearchNode<System>) -> [SearchNode<System>]? {
        guard node.state.violation() == nil else { return nil }
        let choices = node.state.choices()
        guard !choices.isEmpty else { return nil }
        if let bound = options.depthBound, node.depth >= bound { return nil }
        let por = options.partialOrderReduction
        var sleep = por ? node.sleep.filter { choices.contains($0) } : []
        let toExplore = choices.indices.filter { !sleep.contains(choices[$0]) }
        guard !toExplore.isEmpty else { return nil }
        tally.seen.insert(node.state.fingerprint())
        tally.maxDepth = max(tally.maxDepth, node.depth)
        var children: [SearchNode<System>] = []
        for index in toExplore {
            let choice = choices[index]
            let childSleep = por ? sleep.filter { node.state.independent($0, choice) } : []
            if por { sleep.append(choice) }
            var state = node.state
            state.apply(choice)
            tally.transitions += 1
            children.append(SearchNode(state: state, depth: node.depth + 1, sleep: childSleep,
                                       path: node.path + [index]))
        }
        return children
    }
}
