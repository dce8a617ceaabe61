/// Deliberate bugs for the explorer's tests: each flag makes `MirrorSecondary` misbehave in
/// one way, so that a test can show the explorer finds it. All false by default; never set
/// outside tests. Each buggy branch in the core is marked "test-only fault".
package struct MirrorSecondaryFaults: Sendable, Hashable {
    /// Applies a received entry at once, without waiting for the earlier sns of its stream
    /// (breaks `mirror.stream-order`).
    package var appliesOnReceipt = false
    /// Applies an entry without waiting for its deps (breaks `mirror.barrier`).
    package var ignoresBarriers = false
    /// Still applies (and acknowledges) a stale primary's entries after the takeover: no
    /// fencing (breaks `mirror.no-loss`).
    package var appliesAfterTakeover = false

    /// No fault: the correct core.
    package init(appliesOnReceipt: Bool = false, ignoresBarriers: Bool = false, appliesAfterTakeover: Bool = false) {
        self.appliesOnReceipt = appliesOnReceipt
        self.ignoresBarriers = ignoresBarriers
        self.appliesAfterTakeover = appliesAfterTakeover
    }
}

extension MirrorSecondary {
    /// The sn of stream `s` to apply next: the one after its applied prefix; under the
    /// test-only fault `appliesOnReceipt`, the smallest buffered one, gap or not.
    func nextToApply(_ s: Int) -> Int {
        if faults.appliesOnReceipt, let first = streams[s]!.buffer.keys.min() { return first }
        return streams[s]!.applied + 1
    }
}
