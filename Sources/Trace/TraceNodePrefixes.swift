/// The openings `{"node":"NAME","seq":` of the node names a recorder encodes most: its own
/// node's (every line starts with it) and the node its causes name (the peer's), kept encoded
/// so that a line copies them whole instead of escaping the name again.
///
/// Every opening is first written by `TraceLineCursor` as any other line's would be, then
/// copied: the bytes are the same either way.
///
/// Not thread-safe: a value kept under a recorder's lock, used by one thread at a time.
struct TraceNodePrefixes {
    /// One cached opening: up to 48 bytes, copied 48 at a time (lines reserve room for that).
    struct Slot {
        var name = ""
        /// Bytes of the opening; 0 while the slot is empty.
        var count = 0
        var bytes: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
    }

    /// The node of the lines (`node`).
    var own = Slot()
    /// The node of the latest cause.
    var cause = Slot()

    /// Bytes copied per opening, whatever its length: lines reserve this much for it.
    static let slotBytes = 48

    /// Writes `{"node":NAME,"seq":` for `node`: copied from `slot` when it holds `node`, else
    /// encoded (and kept in `slot` when it fits).
    @inline(__always)
    static func write(_ node: String, slot: inout Slot, _ c: inout TraceLineCursor) {
        if slot.count > 0, slot.name == node {
            // Always 48 bytes (the bound leaves room): a fixed-size copy, no call to memcpy.
            let out = UnsafeMutableRawPointer(c.at)
            withUnsafeBytes(of: &slot.bytes) { out.copyMemory(from: $0.baseAddress!, byteCount: slotBytes) }
            c.at += slot.count
        } else {
            encode(node, slot: &slot, &c)
        }
    }

    /// The miss: encodes the opening, and keeps it if it fits.
    private static func encode(_ node: String, slot: inout Slot, _ c: inout TraceLineCursor) {
        let start = c.at
        c.raw("{\"node\":")
        c.string(node)
        c.raw(",\"seq\":")
        let count = c.at - start
        guard count <= slotBytes else { return }
        slot.name = node
        slot.count = count
        withUnsafeMutableBytes(of: &slot.bytes) { $0.baseAddress!.copyMemory(from: start, byteCount: count) }
    }
}
