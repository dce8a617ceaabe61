import Mirror
import NIOCore

/// A node's open path connections and the ones written since the last flush.
///
/// Not thread-safe: owned by a node and used only on its event loop. A reference type on
/// purpose: closing or flushing a channel can call back into the node (its handler reports the
/// path closed) and remove a path while the call is in progress; every method here touches its
/// storage only briefly, never across such a call.
final class PathChannels {
    private var channels: [Int: Channel] = [:]
    private var dirty: [Int] = []

    /// The open paths, in order.
    var openPaths: [Int] { channels.keys.sorted() }

    /// Whether no path is open.
    var isEmpty: Bool { channels.isEmpty }

    /// The channel of `path`, if open.
    subscript(path: Int) -> Channel? { channels[path] }

    /// Adds a path's channel; false when the path already has one.
    func add(_ path: Int, _ channel: Channel) -> Bool {
        guard channels[path] == nil else { return false }
        channels[path] = channel
        return true
    }

    /// Removes the path if `channel` is its channel; returns whether it was.
    func remove(_ path: Int, _ channel: Channel) -> Bool {
        guard let current = channels[path], current === channel else { return false }
        channels[path] = nil
        return true
    }

    /// Writes `message` on `path` (flushed by `flush()`); a path that is not open loses it, as a
    /// dead connection would.
    func send(_ message: MirrorMessage, on path: Int) {
        guard let channel = channels[path] else { return }
        var buffer = channel.allocator.buffer(capacity: 96)
        WireMessage.mirror(message).encode(into: &buffer)
        if !dirty.contains(path) { dirty.append(path) }
        channel.write(buffer, promise: nil)
    }

    /// Says farewell on every open path, flushed (the primary's clean end).
    func sayFarewell() {
        for channel in openPaths.compactMap({ channels[$0] }) {
            var buffer = channel.allocator.buffer(capacity: 1)
            WireMessage.farewell.encode(into: &buffer)
            channel.writeAndFlush(buffer, promise: nil)
        }
    }

    /// Flushes every path written since the last flush.
    func flush() {
        let written = dirty.compactMap { channels[$0] }
        dirty.removeAll(keepingCapacity: true)
        for channel in written { channel.flush() }
    }

    /// Closes every path.
    func closeAll() {
        let open = openPaths.compactMap { channels[$0] }
        for channel in open { channel.close(promise: nil) }
    }
}
