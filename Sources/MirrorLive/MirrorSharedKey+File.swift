#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Why a key file could not be read or written.
public enum MirrorKeyFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened or read.
    case cannotRead(path: String, reason: String)
    /// Group or others may read or write the file (as ssh refuses a private key so exposed).
    case tooOpen(path: String, mode: UInt32)
    /// The file is not in the key file format.
    case malformed(path: String, line: Int, reason: String)
    /// The file could not be created (it exists, or the folder cannot be written).
    case cannotWrite(path: String, reason: String)

    /// A sentence naming the file, and what to do.
    public var description: String {
        switch self {
        case let .cannotRead(path, reason):
            "\(path): cannot read the key file: \(reason)"
        case let .tooOpen(path, mode):
            "\(path): the key file's permissions \(String(mode, radix: 8, uppercase: false).leftPadded(4)) are too open: " +
                "group or others may read it. Run `chmod 600 \(path)`."
        case let .malformed(path, line, reason):
            "\(path):\(line): not a plumb mirror key file: \(reason) (write one with `plumb mirror keygen FILE`)"
        case let .cannotWrite(path, reason):
            "\(path): cannot write the key file: \(reason)"
        }
    }
}

/// The key file: how both controllers get the same shared key.
///
/// The format (version 1) is text: lines that are empty or start with `#` are comments, and
/// exactly one line reads `plumb-mirror-key-v1 HEX`, where HEX is the key in hexadecimal, 32 to
/// 128 digits (16 to 64 bytes; `keygen` writes 32 random bytes). The file must be readable by its
/// owner only (mode 0600 or 0400): a file that group or others may read or write is refused.
extension MirrorSharedKey {
    /// The word that opens the key line.
    package static let fileTag = "plumb-mirror-key-v1"

    /// Reads the key from the key file at `path`, refusing a file that group or others can
    /// read or write.
    public static func read(keyFile path: String) throws(MirrorKeyFileError) -> MirrorSharedKey {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .cannotRead(path: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .cannotRead(path: path, reason: "not a regular file") }
        let mode = UInt32(info.st_mode) & 0o7777
        guard mode & 0o077 == 0 else { throw .tooOpen(path: path, mode: mode) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .cannotRead(path: path, reason: "permission denied")
        }
        guard data.count <= 4096 else { throw .malformed(path: path, line: 1, reason: "the file is larger than 4 KiB") }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    /// The key in the key file's text (see the format above); `path` names the file in errors.
    package static func parse(_ text: String, path: String) throws(MirrorKeyFileError) -> MirrorSharedKey {
        var found: (line: Int, key: MirrorSharedKey)?
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 2, fields[0] == fileTag else {
                throw .malformed(path: path, line: index + 1, reason: "expected `\(fileTag) HEX`")
            }
            guard found == nil else {
                throw .malformed(path: path, line: index + 1, reason: "a second key (line \(found!.line) has one)")
            }
            let hex = Array(fields[1].utf8)
            guard hex.count % 2 == 0, (32...128).contains(hex.count) else {
                throw .malformed(path: path, line: index + 1, reason: "the key has \(hex.count) hex digits; 32 to 128, an even number, are needed")
            }
            var bytes: [UInt8] = []
            for i in stride(from: 0, to: hex.count, by: 2) {
                guard let high = hexValue(hex[i]), let low = hexValue(hex[i + 1]) else {
                    throw .malformed(path: path, line: index + 1, reason: "the key is not hexadecimal")
                }
                bytes.append(high << 4 | low)
            }
            found = (index + 1, MirrorSharedKey(bytes: bytes))
        }
        guard let found else { throw .malformed(path: path, line: 1, reason: "no `\(fileTag) HEX` line") }
        return found.key
    }

    /// The key file's text for this key.
    package var fileText: String {
        let hex = bytes.map { String($0, radix: 16).leftPadded(2) }.joined()
        return """
            # plumb mirror shared key (format: `plumb mirror keygen --help`). Both controllers need
            # this same file; keep it secret and readable by its owner only (chmod 600).
            \(Self.fileTag) \(hex)

            """
    }

    /// Writes a fresh random key of 32 bytes to a new file at `path` with mode 0600; refuses to
    /// overwrite an existing file.
    public static func generate(keyFile path: String) throws(MirrorKeyFileError) -> MirrorSharedKey {
        let key = MirrorSharedKey(bytes: PathAuthenticator.nonce())
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "it exists (remove it first, or choose another name)" : String(cString: strerror(errno))
            throw .cannotWrite(path: path, reason: reason)
        }
        defer { _ = close(fd) }
        let text = Array(key.fileText.utf8)
        // The mode is set explicitly too: the umask may have taken bits off, never added them.
        guard fchmod(fd, 0o600) == 0, text.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == text.count,
              fsync(fd) == 0
        else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw .cannotWrite(path: path, reason: reason)
        }
        return key
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension String {
    /// The string with zeros in front up to `width` characters.
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
