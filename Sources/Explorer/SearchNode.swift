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
