import Crypto

/// The secret both controllers hold, which a path's handshake proves without sending it.
///
/// Kept as bytes (swift-crypto's `SymmetricKey` is not `Sendable`), turned into a key for each
/// proof.
public struct MirrorSharedKey: Sendable, Equatable {
    /// The key's bytes.
    public var bytes: [UInt8]

    /// A key of these bytes (at least 16).
    public init(bytes: [UInt8]) {
        precondition(bytes.count >= 16, "a shared key has at least 16 bytes")
        self.bytes = bytes
    }

    /// A key derived from a passphrase (its SHA-256), for configuration files and tests.
    public init(passphrase: String) {
        self.init(bytes: Array(SHA256.hash(data: Array(passphrase.utf8))))
    }

    /// A fresh random key.
    public static func random() -> MirrorSharedKey {
        MirrorSharedKey(bytes: PathAuthenticator.nonce())
    }

    /// The key for swift-crypto.
    var symmetricKey: SymmetricKey { SymmetricKey(data: bytes) }
}
