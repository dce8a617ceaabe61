import ArgumentParser

/// The client workload of a mirror run, shared by `plumb record mirror` and `plumb mirror
/// primary`: how many records, over how many streams, how large, and how many outstanding.
struct MirrorWorkloadOptions: ParsableArguments {
    /// Client writes.
    @Option(help: "Client writes to make (1...\(OptionRange.maxCount)).")
    var records = 10_000

    /// Streams.
    @Option(help: "Streams the caching log is parsed into (1...\(Self.maxStreams)).")
    var streams = 8

    /// Payload bytes per record.
    @Option(help: "Payload bytes per record (0...\(Self.maxPayload)).")
    var payload = 64

    /// Records outstanding at most.
    @Option(help: "Records outstanding (written, not yet committed) at most (1...\(Self.maxWindow)).")
    var window = 1024

    /// The most streams, payload bytes and outstanding records taken.
    static let maxStreams = 1_024, maxPayload = 1 << 20, maxWindow = 1 << 20

    /// Checks each option's range (see `OptionRange`).
    func validate() throws {
        try OptionRange.check("--records", records, 1...OptionRange.maxCount)
        try OptionRange.check("--streams", streams, 1...Self.maxStreams)
        try OptionRange.check("--payload", payload, 0...Self.maxPayload, "bytes")
        try OptionRange.check("--window", window, 1...Self.maxWindow, "records")
    }
}
