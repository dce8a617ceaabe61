/// One printable string that reproduces an execution: `plumb replay TOKEN` rebuilds the system
/// in its configuration and re-applies the path. Format: `plumb1.` and base64url (no padding)
/// of a compact binary: the system name and the configuration as length-prefixed UTF-8, the
/// path as a count and one varint (LEB128) per index, then a 32-bit FNV-1a checksum of all that,
/// so a mistyped character is caught instead of replaying another path.
public struct ReplayToken: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The system the path belongs to (`mirror`, `driver`, `recovery`).
    public var system: String
    /// The adapter's configuration string (its bounds), enough to rebuild the start state.
    public var configuration: String
    /// The choice index taken at each step.
    public var path: [Int]

    /// The prefix: the format and its version.
    public static let prefix = "plumb1."

    /// Makes a token; every index must be non-negative.
    public init(system: String, configuration: String, path: [Int]) {
        precondition(path.allSatisfy { $0 >= 0 }, "choice indices are non-negative")
        self.system = system
        self.configuration = configuration
        self.path = path
    }

    /// Decodes `text`, naming what is wrong and at which character when it is not a token.
    public init(decoding text: String) throws(ReplayTokenError) {
        guard text.hasPrefix(Self.prefix) else { throw ReplayTokenError(.missingPrefix, at: 0) }
        let offset = Self.prefix.count
        let bytes = try Base64URL.decode(text.dropFirst(offset), offset: offset)
        var reader = TokenReader(bytes: bytes, offset: offset)
        system = try reader.string(field: "system name")
        configuration = try reader.string(field: "configuration")
        let count = try reader.number(field: "path length")
        guard count <= bytes.count else { throw reader.error(.truncated(field: "path")) }
        var path: [Int] = []
        path.reserveCapacity(count)
        for _ in 0..<count { path.append(try reader.number(field: "path")) }
        self.path = path
        try reader.checksum()
    }

    /// The token text.
    public var encoded: String {
        var writer = TokenWriter()
        writer.string(system)
        writer.string(configuration)
        writer.number(path.count)
        for index in path { writer.number(index) }
        writer.checksum()
        return Self.prefix + Base64URL.encode(writer.bytes)
    }

    /// The token text.
    public var description: String { encoded }
}
