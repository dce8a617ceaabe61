import CZ3

/// A satisfying assignment from a `.sat` check, used to read values of terms.
///
/// Not thread-safe, like its context, which it keeps alive. A model stays valid after the
/// solver moves on (it holds its own Z3 reference).
package final class Z3Model: CustomStringConvertible {
    /// The context the model belongs to.
    package let context: Z3Context
    /// The raw model, reference-counted by this object.
    private let raw: Z3_model

    /// Wraps `raw`, taking a reference to it.
    init(context: Z3Context, raw: Z3_model) {
        self.context = context
        self.raw = raw
        Z3_model_inc_ref(context.raw, raw)
    }

    deinit {
        Z3_model_dec_ref(context.raw, raw)
    }

    /// The value of the integer term `t` in this model, or `nil` if `t` is invalid, not an
    /// integer, or has a value outside `Int`'s range.
    ///
    /// Evaluation uses model completion: a constant the model does not mention gets a default
    /// value (which is consistent with the assertions, since they did not constrain it).
    package func int(_ t: Z3Term) -> Int? {
        evaluate(t) { c, value in
            var result: Int64 = 0
            guard Z3_get_numeral_int64(c, value, &result) else { return nil }
            return Int(exactly: result)
        }
    }

    /// The value of the Boolean term `t` in this model, or `nil` if `t` is invalid or not a
    /// Boolean. Uses model completion, like `int(_:)`.
    package func bool(_ t: Z3Term) -> Bool? {
        evaluate(t) { c, value in
            let b = Z3_get_bool_value(c, value)
            if b == Z3_L_TRUE { return true }
            if b == Z3_L_FALSE { return false }
            return nil
        }
    }

    /// The model in Z3's text form (`Z3_model_to_string`), for logs and failure messages.
    package var description: String {
        Z3_model_to_string(context.raw, raw).map { String(cString: $0) } ?? ""
    }

    /// Evaluates `t` with model completion and reads the value with `read`; `nil` on any failure.
    private func evaluate<T>(_ t: Z3Term, _ read: (Z3_context, Z3_ast) -> T?) -> T? {
        context.checkOwned(t)
        guard let ast = t.ast else { return nil }
        let c = context.raw
        var value: Z3_ast? = nil
        let ok = withExtendedLifetime(t) { Z3_model_eval(c, raw, ast, true, &value) }
        guard ok, context.lastError("Z3_model_eval") == nil, let value else { return nil }
        Z3_inc_ref(c, value)
        defer { Z3_dec_ref(c, value) }
        let result = read(c, value)
        return context.lastError("Z3_get_numeral") == nil ? result : nil
    }
}
