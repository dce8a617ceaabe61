import CZ3

/// A Z3 term (an integer or Boolean expression) made by a `Z3Context`.
///
/// A term holds its Z3 AST through a small owner object that takes a Z3 reference on creation,
/// releases it when the last copy of the term goes away, and keeps the context alive meanwhile.
/// Like its context it is not `Sendable`: use it only where the context lives.
///
/// A term is *invalid* when Z3 rejected the call that made it (such as adding a Boolean to an
/// integer). Invalid terms carry their `error`, propagate it through every term built from
/// them, and make `Z3Solver.check` throw it, so no query is answered with a broken formula.
///
/// `Z3Term` is not `Equatable`, so that `x == y` does not compile by mistake; the Z3 equation
/// is `x .== y` or `x.equals(y)`.
package struct Z3Term: CustomStringConvertible {
    /// Holds one Z3 reference to the AST (or the error that replaced it) and the context.
    private final class Owner {
        let context: Z3Context
        let ast: Z3_ast?
        let error: Z3Error?

        init(context: Z3Context, ast: Z3_ast) {
            self.context = context
            self.ast = ast
            self.error = nil
            Z3_inc_ref(context.raw, ast)
        }

        init(context: Z3Context, error: Z3Error) {
            self.context = context
            self.ast = nil
            self.error = error
        }

        deinit {
            if let ast { Z3_dec_ref(context.raw, ast) }
        }
    }

    private let owner: Owner

    /// Wraps a fresh AST from `context`, taking a reference to it.
    init(context: Z3Context, ast: Z3_ast) {
        owner = Owner(context: context, ast: ast)
    }

    /// Makes an invalid term that carries `error`.
    init(context: Z3Context, error: Z3Error) {
        owner = Owner(context: context, error: error)
    }

    /// The context that made this term; every term it is combined with must share it.
    package var context: Z3Context { owner.context }

    /// The AST, or `nil` for an invalid term. Valid while this term is alive.
    var ast: Z3_ast? { owner.ast }

    /// The Z3 error that made this term invalid, or `nil` for a valid term.
    package var error: Z3Error? { owner.error }

    /// Whether Z3 accepted the call that made this term (and every term it is built from).
    package var isValid: Bool { owner.ast != nil }

    /// The term in SMT-LIB syntax (`Z3_ast_to_string`), or `(error ...)` for an invalid term.
    package var description: String {
        guard let ast = owner.ast else { return "(error \(owner.error!))" }
        return Z3_ast_to_string(owner.context.raw, ast).map { String(cString: $0) } ?? ""
    }

    /// The equation `self = other` between two terms of one sort; also spelled `.==`.
    package func equals(_ other: Z3Term) -> Z3Term {
        context.apply("Z3_mk_eq", [self, other]) { c, args in Z3_mk_eq(c, args[0], args[1]) }
    }
}
