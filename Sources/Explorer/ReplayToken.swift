/// One printable string that reproduces an execution: `plumb replay TOKEN` rebuilds the system
/// in its configuration and re-applies the path. Format: `plumb2.` and base64url (no padding)
/// of a compact binary: the system name and the configuration as length-prefixed UTF-8, the
/// model stamp and the path as varints (LEB128: a count, then one per index), then a 32-bit
/// FNV-1a checksum of all that, so a mistyped character is caught instead of replaying another
/// path.
///
/// The model stamp is 32 bits of the start state's fingerprint (and the system's
/// `Explorable.modelRevision`): a build whose model of the system differs (other choices,
/// other state) makes another stamp, so its tokens are refused rather than replayed into a
/// different execution.
public struct ReplayToken: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The system the path belongs to (`mirror`, `driver`, `recovery`).
    public var system: String
    /// The adapter's configuration string (its bounds), enough to rebuild the start state.
    public var configuration: String
    /// The choice index taken at each step.
    public var path: [Int]
    /// 32 bits of the start state's fingerprint in the build that made the token (0: unstamped).
    public var model: UInt32

    /// The prefix: the format and its version.
    package static let prefix = "plumb2."
    /// The prefixes of earlier formats, refused with a message that says so.
    static let olderPrefixes = ["plumb1."]

    /// Makes a token; every index must be non-negative.
    package init(system: String, configuration: String, path: [Int], model: UInt32 = 0) {
        precondition(path.allSatisfy { $0 >= 0 }, "choice indices are non-negative")
        self.system = system
        self.configuration = configuration
        self.path = path
        self.model = model
    }

    /// The model stamp of a start state: 32 bits of its fingerprint, mixed with the system's
    /// `modelRevision` (revision 0 leaves the bits as they are, so older tokens still replay).
    public static func model<S: Explorable>(of start: S) -> UInt32 {
        UInt32(truncatingIfNeeded: start.fingerprint() >> 32) ^ (S.modelRevision &* 0x9E37_79B9)
    }

    /// Decodes `text`, naming what is wrong and at which character when it is not a token.
    public init(decoding text: String) throws(ReplayTokenError) {
        if Self.olderPrefixes.contains(where: text.hasPrefix) { throw ReplayTokenError(.olderFormat, at: 0) }
        guard text.hasPrefix(Self.prefix) else { throw ReplayTokenError(.missingPrefix, at: 0) }
        let offset = Self.prefix.count
        let bytes = try Base64URL.decode(text.dropFirst(offset), offset: offset)
        do {
            try self.init(bytes: bytes, offset: offset)
        } catch {
            // A changed character most often shows first as a bad field; the checksum over the
            // whole data says what really happened.
            if error.problem != .checksumMismatch, error.problem != .trailingData, bytes.count >= 4,
               fnv1a32(bytes.dropLast(4)) != bytes.suffix(4).reduce(UInt32(0), { $0 << 8 | UInt32($1) }) {
                throw ReplayTokenError(.checksumMismatch, at: text.count - 1)
            }
            throw error
        }
    }

    /// Reads the token's binary, `offset` characters into its text.
    private init(bytes: [UInt8], offset: Int) throws(ReplayTokenError) {
        var reader = TokenReader(bytes: bytes, offset: offset)
        system = try reader.string(field: "system name")
        configuration = try reader.string(field: "configuration")
        let stamp = try reader.number(field: "model stamp")
        guard stamp <= Int(UInt32.max) else { throw reader.error(.malformedNumber(field: "model stamp")) }
        model = UInt32(stamp)
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
        writer.number(Int(model))
        writer.number(path.count)
        for index in path { writer.number(index) }
        writer.checksum()
        return Self.prefix + Base64URL.encode(writer.bytes)
    }

    /// The token text.
    public var description: String { encoded }
}
