import Crypto

/// The challenge-response proofs of the path handshake, with HMAC-SHA256 over a shared key.
///
/// The listener sends a fresh nonce; the connector answers with its own nonce and
/// `HMAC(key, "plumb-mirror/connector" | listener nonce | connector nonce | path)`; the listener
/// checks it and answers `HMAC(key, "plumb-mirror/listener" | connector nonce | listener nonce |
/// path)`, which the connector checks. Both sides prove the key without sending it, a recorded
/// handshake cannot be replayed (each side's nonce is fresh), and the path number is bound in.
package struct PathAuthenticator: Sendable {
    /// Bytes of each nonce.
    package static let nonceSize = 32

    let key: MirrorSharedKey

    /// Makes an authenticator for the shared `key`.
    package init(key: MirrorSharedKey) { self.key = key }

    /// A fresh random nonce.
    package static func nonce() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<nonceSize).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The connector's proof.
    package func connectorProof(listenerNonce: [UInt8], connectorNonce: [UInt8], path: Int) -> [UInt8] {
        mac("plumb-mirror/connector", listenerNonce, connectorNonce, path)
    }

    /// The listener's proof.
    package func listenerProof(listenerNonce: [UInt8], connectorNonce: [UInt8], path: Int) -> [UInt8] {
        mac("plumb-mirror/listener", connectorNonce, listenerNonce, path)
    }

    /// Whether `proof` is the connector's proof (compared in constant time).
    package func checkConnector(_ proof: [UInt8], listenerNonce: [UInt8], connectorNonce: [UInt8], path: Int) -> Bool {
        check(proof, "plumb-mirror/connector", listenerNonce, connectorNonce, path)
    }

    /// Whether `proof` is the listener's proof (compared in constant time).
    package func checkListener(_ proof: [UInt8], listenerNonce: [UInt8], connectorNonce: [UInt8], path: Int) -> Bool {
        check(proof, "plumb-mirror/listener", connectorNonce, listenerNonce, path)
    }

    private func message(_ label: String, _ first: [UInt8], _ second: [UInt8], _ path: Int) -> [UInt8] {
        var bytes = Array(label.utf8)
        bytes += first
        bytes += second
        withUnsafeBytes(of: UInt32(path).bigEndian) { bytes += $0 }
        return bytes
    }

    private func mac(_ label: String, _ first: [UInt8], _ second: [UInt8], _ path: Int) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message(label, first, second, path), using: key.symmetricKey))
    }

    private func check(_ proof: [UInt8], _ label: String, _ first: [UInt8], _ second: [UInt8], _ path: Int) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(proof, authenticating: message(label, first, second, path), using: key.symmetricKey)
    }
}

extension PathAuthenticator {
    /// The keys that authenticate a path's frames after its handshake, one per direction:
    /// HKDF-SHA256 of the shared key, salted with both nonces and bound to the path, so that
    /// each connection (and each direction of it) has keys of its own.
    func frameKeys(listenerNonce: [UInt8], connectorNonce: [UInt8], path: Int)
        -> (connectorToListener: SymmetricKey, listenerToConnector: SymmetricKey)
    {
        let salt = listenerNonce + connectorNonce
        func derive(_ label: String) -> SymmetricKey {
            var info = Array(label.utf8)
            withUnsafeBytes(of: UInt32(path).bigEndian) { info += $0 }
            return HKDF<SHA256>.deriveKey(
                inputKeyMaterial: key.symmetricKey, salt: salt, info: info, outputByteCount: 32)
        }
        return (derive("plumb-mirror/frames/connector-to-listener"), derive("plumb-mirror/frames/listener-to-connector"))
    }
}
