/// Why a trace is not a valid trace: the file, the line, and what is wrong there.
///
/// An input error is never a verdict; `plumb check` exits 2 on it.
public struct TraceInputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file the error is in, as the user named it; empty when not about one file.
    public var file: String
    /// The 1-based line, or 0 when the error is about the file (or trace) as a whole.
    public var line: Int
    /// What is wrong, in plain words, naming the field when there is one.
    public var message: String

    /// Makes an input error.
    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: message`, the shape compilers use.
    public var description: String {
        switch (file.isEmpty, line) {
        case (true, _): message
        case (false, 0): "\(file): \(message)"
        default: "\(file):\(line): \(message)"
        }
    }
}
