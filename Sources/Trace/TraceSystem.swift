/// The three systems a trace can come from, as named in a trace header's `system` field.
public enum TraceSystem: String, Sendable, CaseIterable, Codable {
    /// A caching log mirrored from a primary to a secondary over several paths.
    case mirror
    /// A byte-addressable persistent device simulated on a block device.
    case driver
    /// A recovery-consumer framework.
    case recovery
}

/// The first line of every trace file: `{"format":"plumb-trace","version":1,"system":...}`.
public struct TraceHeader: Sendable, Equatable {
    /// The only format name the checker reads.
    public static let formatName = "plumb-trace"
    /// The only format version the checker reads.
    public static let currentVersion = 1

    /// The system whose table the trace's events follow.
    public var system: TraceSystem
    /// The format version; always `currentVersion` once parsed.
    public var version: Int

    /// Makes a header for `system` at the current version.
    public init(system: TraceSystem, version: Int = TraceHeader.currentVersion) {
        self.system = system
        self.version = version
    }
}
