/// A node of the choice tree where a depth-first search starts: the root, or one of the nodes
/// the tree is split at for shards and threads.
struct SearchNode<System: Explorable>: Sendable {
    /// The state at the node.
    var state: System
    /// Steps from the start.
    var depth: Int
    /// The sleep set the node is reached with (empty without partial-order reduction).
    var sleep: [System.Choice]
    /// The choice indices from the start to the node.
    var path: [Int]
}

extension SearchNode {
    /// The node with its state reached again from `start` along its path: the same state (the
    /// systems are deterministic) in storage of its own. The node as it is when the replay does
    /// not reach a state with its fingerprint.
    func replayed(from start: System) -> SearchNode {
        var state = start
        for index in path {
            let choices = state.choices()
            guard choices.indices.contains(index) else { return self }
            state.apply(choices[index])
        }
        guard state.fingerprint() == self.state.fingerprint() else { return self }
        var node = self
        node.state = state
        return node
    }
}
