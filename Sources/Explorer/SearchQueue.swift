#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Trace

/// The subtrees the threads of one exhaustive search take their work from. It starts with the
/// nodes the tree was split at, in depth-first order; a thread that finds it empty waits, and
/// says so (`isHungry`), and a busy thread then hands over the choices it has not taken yet at
/// its shallowest node (`DepthFirstSearch.donate`), so that no thread sits idle while another
/// has a long subtree ahead. The search is over when every thread that started waits and
/// nothing is left.
///
/// Thread-safe.
final class SearchQueue<System: Explorable>: Sendable {
    private struct State: Sendable {
        var nodes: [SearchNode<System>]
        var next = 0
        var started = 0
        var waiting = 0
        var over = false
    }

    private let state: Locked<State>

    /// A queue of `nodes`.
    init(_ nodes: [SearchNode<System>]) {
        state = Locked(State(nodes: nodes))
    }

    /// Counts a thread in, before it takes its first node. (A thread that starts late, queued
    /// behind the others, finds the search over or takes what is left.)
    func begin() {
        state.withLock { $0.started += 1 }
    }

    /// Whether a thread waits for work and none is queued: a busy thread should hand some over.
    var isHungry: Bool {
        state.withLock { $0.waiting > 0 && $0.next == $0.nodes.count }
    }

    /// Queues `nodes` (a busy thread's untaken choices), to be taken before anything else.
    func donate(_ nodes: [SearchNode<System>]) {
        state.withLock { s in
            s.nodes.removeFirst(s.next)
            s.next = 0
            s.nodes.insert(contentsOf: nodes, at: 0)
        }
    }

    /// The next node, waiting for one while other threads may still hand some over; nil once
    /// every thread waits with nothing queued, or when `isOver` says the search stopped.
    func take(isOver: () -> Bool) -> SearchNode<System>? {
        var waited = false
        var pause: UInt32 = 100
        while true {
            let (node, done): (SearchNode<System>?, Bool) = state.withLock { s in
                if s.next < s.nodes.count {
                    if waited { s.waiting -= 1 }
                    s.next += 1
                    return (s.nodes[s.next - 1], false)
                }
                if !waited { s.waiting += 1 }
                if s.waiting == s.started { s.over = true }
                return (nil, s.over)
            }
            if let node { return node }
            if done || isOver() { return nil }
            waited = true
            // Polls, backing off to 10 ms (with a depth bound no work is handed over).
            usleep(pause)
            pause = min(2 * pause, 10_000)
        }
    }
}
