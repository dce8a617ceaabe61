/// Why a string is not a valid replay token, and where: what a user pasting a token needs to
/// see to tell a truncated or mistyped token from one of another version.
public struct ReplayTokenError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public enum Problem: Sendable, Equatable {
        /// The token does not start with `plumb2.` (another tool, or another token version).
        case missingPrefix
        /// A token of an earlier format, made by an older build.
        case olderFormat
        /// A character that base64url does not use.
        case invalidCharacter(Character)
        /// The base64url text has an impossible length (cut off or with an extra character).
        case invalidLength
        /// The last character carries bits that a correct encoder leaves zero.
        case nonCanonicalEnding
        /// The data ends inside the named field.
        case truncated(field: String)
        /// A number that does not fit, or is encoded in too many bytes.
        case malformedNumber(field: String)
        /// A text field that is not UTF-8.
        case invalidUTF8(field: String)
        /// Bytes left after the checksum.
        case trailingData
        /// The checksum does not match: a character was changed.
        case checksumMismatch
    }

    /// What is wrong.
    public var problem: Problem
    /// The offset (in characters, from 0) of the character where the problem shows.
    public var position: Int

    /// Makes an error.
    package init(_ problem: Problem, at position: Int) {
        self.problem = problem
        self.position = position
    }

    /// For people: the problem and the character it is at.
    public var description: String {
        let what: String
        switch problem {
        case .missingPrefix: what = "does not start with \"\(ReplayToken.prefix)\""
        case .olderFormat:
            what = "made by an older build of plumb (format \(ReplayToken.olderPrefixes.joined(separator: ", "))); "
                + "run the exploration again with this build for a token it can replay"
        case .invalidCharacter(let c): what = "invalid character \"\(c)\""
        case .invalidLength: what = "impossible length (cut off, or a character too many)"
        case .nonCanonicalEnding: what = "last character is not a valid ending"
        case .truncated(let field): what = "ends inside the \(field)"
        case .malformedNumber(let field): what = "malformed number in the \(field)"
        case .invalidUTF8(let field): what = "the \(field) is not UTF-8"
        case .trailingData: what = "unexpected data after the checksum"
        case .checksumMismatch: what = "checksum mismatch (the token was altered or cut off)"
        }
        return "invalid replay token: \(what), at character \(position)"
    }
}
