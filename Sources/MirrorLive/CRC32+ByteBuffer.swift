import Checksum
import NIOCore

extension CRC32 {
    /// The checksum of a buffer's bytes: what every frame on a path takes, on the send and on
    /// the receive side.
    package static func checksum(_ bytes: ByteBufferView) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
