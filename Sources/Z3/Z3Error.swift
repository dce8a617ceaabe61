import CZ3

/// A failure reported by Z3, as a typed value instead of Z3's default `exit()`.
///
/// Z3 records an error code on its context when a call fails; `Z3Context` reads it right after
/// every call that can fail (the next call clears it) and turns it into this value. Term makers
/// never throw: a failed maker returns an invalid `Z3Term` carrying its `Z3Error`, and
/// `Z3Solver.check` throws it when such a term reaches a query.
package struct Z3Error: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which kind of failure Z3 reported.
    package let code: Code
    /// Z3's message for the failure (`Z3_get_error_msg`).
    package let message: String
    /// The Z3 C function that failed, such as `Z3_mk_add`.
    package let call: String

    /// Creates an error from its parts; `Z3Context` makes these from Z3's error code.
    package init(code: Code, message: String, call: String) {
        self.code = code
        self.message = message
        self.call = call
    }

    /// A one-line description: the call, the code and Z3's message.
    package var description: String {
        "\(call) failed: \(code) (\(message))"
    }
}

extension Z3Error {
    /// A Z3 error code (`Z3_error_code`), typed like swift-system's `Errno`.
    package struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The raw `Z3_error_code` value.
        package let rawValue: Int32

        /// Creates a code from a raw `Z3_error_code` value.
        package init(rawValue: Int32) { self.rawValue = rawValue }

        /// Creates a code from the imported C enum.
        init(_ code: Z3_error_code) { self.rawValue = Int32(bitPattern: UInt32(code.rawValue)) }

        /// No error. The corresponding C code is `Z3_OK`.
        package static var ok: Code { Code(Z3_OK) }
        /// A term of the wrong sort, such as adding a Boolean to an integer. `Z3_SORT_ERROR`.
        package static var sortError: Code { Code(Z3_SORT_ERROR) }
        /// An index out of bounds. `Z3_IOB`.
        package static var indexOutOfBounds: Code { Code(Z3_IOB) }
        /// An invalid argument, such as an unknown parameter name. `Z3_INVALID_ARG`.
        package static var invalidArgument: Code { Code(Z3_INVALID_ARG) }
        /// A parse error in SMT-LIB input. `Z3_PARSER_ERROR`.
        package static var parserError: Code { Code(Z3_PARSER_ERROR) }
        /// Parser output asked for before any parse. `Z3_NO_PARSER`.
        package static var noParser: Code { Code(Z3_NO_PARSER) }
        /// An invalid quantifier pattern. `Z3_INVALID_PATTERN`.
        package static var invalidPattern: Code { Code(Z3_INVALID_PATTERN) }
        /// A memory allocation failure. `Z3_MEMOUT_FAIL`.
        package static var outOfMemory: Code { Code(Z3_MEMOUT_FAIL) }
        /// A file could not be accessed. `Z3_FILE_ACCESS_ERROR`.
        package static var fileAccessError: Code { Code(Z3_FILE_ACCESS_ERROR) }
        /// An error internal to Z3. `Z3_INTERNAL_FATAL`.
        package static var internalFatal: Code { Code(Z3_INTERNAL_FATAL) }
        /// A call that is invalid in the current state, such as popping too far. `Z3_INVALID_USAGE`.
        package static var invalidUsage: Code { Code(Z3_INVALID_USAGE) }
        /// A reference count decremented below zero. `Z3_DEC_REF_ERROR`.
        package static var decRefError: Code { Code(Z3_DEC_REF_ERROR) }
        /// An internal Z3 exception; the message says more (often sort mismatches). `Z3_EXCEPTION`.
        package static var exception: Code { Code(Z3_EXCEPTION) }

        /// The C name of the code, such as `Z3_SORT_ERROR`.
        package var description: String {
            switch self {
            case .ok: "Z3_OK"
            case .sortError: "Z3_SORT_ERROR"
            case .indexOutOfBounds: "Z3_IOB"
            case .invalidArgument: "Z3_INVALID_ARG"
            case .parserError: "Z3_PARSER_ERROR"
            case .noParser: "Z3_NO_PARSER"
            case .invalidPattern: "Z3_INVALID_PATTERN"
            case .outOfMemory: "Z3_MEMOUT_FAIL"
            case .fileAccessError: "Z3_FILE_ACCESS_ERROR"
            case .internalFatal: "Z3_INTERNAL_FATAL"
            case .invalidUsage: "Z3_INVALID_USAGE"
            case .decRefError: "Z3_DEC_REF_ERROR"
            case .exception: "Z3_EXCEPTION"
            default: "Z3 error \(rawValue)"
            }
        }
    }
}
