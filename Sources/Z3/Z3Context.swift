import CZ3
import Dispatch

/// A Z3 context: the factory and owner of every term, solver and model made from it.
///
/// **Not thread-safe.** Use one context per task or thread and never share it: Z3 contexts are
/// not thread-safe, so `Z3Context` is deliberately not `Sendable`. Everything made from a
/// context (terms, solvers, models) keeps it alive and must stay on the same task. The one
/// cross-thread call Z3 allows, `Z3_interrupt`, is made internally by the solver's watchdog.
///
/// The context uses Z3's reference-counted mode (`Z3_mk_context_rc`) and installs an error
/// handler that does not exit, so Z3 failures become `Z3Error` values. Mixing terms of
/// different contexts is a programmer error and stops the process with a precondition failure.
package final class Z3Context {
    /// The raw context; owned by this object and deleted in `deinit`.
    let raw: Z3_context
    /// The integer sort, reference-counted by this context.
    let intSort: Z3_sort
    /// The Boolean sort, reference-counted by this context.
    let boolSort: Z3_sort

    /// The default timeout for every check in this context, in milliseconds, if any.
    ///
    /// `Z3Solver.check` uses it when the call gives no timeout of its own, both as Z3's
    /// `timeout` parameter and as the deadline of the interrupting watchdog;
    /// `Z3Solver.checkWatched` as the watchdog's deadline alone.
    package let timeoutMilliseconds: Int?

    /// The cancellation every check in this context obeys, if any: once it is cancelled,
    /// checks return `.unknown(reason: Z3Cancellation.reason)` (see `Z3Cancellation`).
    package let cancellation: Z3Cancellation?

    /// Serializes context creation: creating contexts concurrently was historically unsafe in Z3.
    private static let creationQueue = DispatchQueue(label: "plumb.z3.context-creation")

    /// Creates a context, optionally with a default timeout for every check made in it.
    ///
    /// - Parameters:
    ///   - timeoutMilliseconds: the default check timeout; `nil` means none. Values below one
    ///     millisecond are raised to one (Z3 reads zero as "no timeout"), and values above
    ///     `UInt32.max - 1` (about 49 days) are lowered to it.
    ///   - cancellation: cancels every check made in this context from another thread.
    package init(timeoutMilliseconds: Int? = nil, cancellation: Z3Cancellation? = nil) {
        self.cancellation = cancellation
        self.timeoutMilliseconds = timeoutMilliseconds.map { min(max(1, $0), Self.maxMilliseconds) }
        let timeout = self.timeoutMilliseconds
        let made: Z3_context? = Self.creationQueue.sync {
            let config = Z3_mk_config()
            defer { Z3_del_config(config) }
            if let timeout {
                Z3_set_param_value(config, "timeout", String(Z3Context.clampMilliseconds(timeout)))
            }
            return Z3_mk_context_rc(config)
        }
        guard let made else { fatalError("Z3_mk_context_rc returned no context (out of memory?)") }
        raw = made
        // An error handler that does nothing: Z3's default prints and calls exit(). Errors are
        // read with Z3_get_error_code right after each call that can fail.
        Z3_set_error_handler(raw) { _, _ in }
        intSort = Z3_mk_int_sort(raw)
        boolSort = Z3_mk_bool_sort(raw)
        Z3_inc_ref(raw, Z3_sort_to_ast(raw, intSort))
        Z3_inc_ref(raw, Z3_sort_to_ast(raw, boolSort))
    }

    deinit {
        Z3_dec_ref(raw, Z3_sort_to_ast(raw, intSort))
        Z3_dec_ref(raw, Z3_sort_to_ast(raw, boolSort))
        Z3_del_context(raw)
    }

    // MARK: Constants and literals

    /// An integer constant (a free variable of sort `Int`) named `name`.
    ///
    /// The same name gives the same constant, so two calls with one name denote one variable.
    package func intConstant(_ name: String) -> Z3Term {
        make("Z3_mk_const") { c in Z3_mk_const(c, Z3_mk_string_symbol(c, name), intSort) }
    }

    /// An integer constant named by a number rather than a string: cheaper to make when a
    /// query has many (`Z3_mk_int_symbol`). `number` must fit in 32 bits.
    package func intConstant(number: Int) -> Z3Term {
        precondition(number >= 0 && number <= Int(Int32.max), "symbol numbers are 32-bit")
        return make("Z3_mk_const") { c in Z3_mk_const(c, Z3_mk_int_symbol(c, Int32(number)), intSort) }
    }

    /// The integer literal `value`.
    package func int(_ value: Int) -> Z3Term {
        make("Z3_mk_int64") { c in Z3_mk_int64(c, Int64(value), intSort) }
    }

    /// A Boolean constant (a free propositional variable) named `name`.
    package func boolConstant(_ name: String) -> Z3Term {
        make("Z3_mk_const") { c in Z3_mk_const(c, Z3_mk_string_symbol(c, name), boolSort) }
    }

    /// The Boolean literal `value`.
    package func bool(_ value: Bool) -> Z3Term {
        make(value ? "Z3_mk_true" : "Z3_mk_false") { c in value ? Z3_mk_true(c) : Z3_mk_false(c) }
    }

    // MARK: Boolean connectives

    /// The conjunction of `terms`; `true` when `terms` is empty.
    package func and(_ terms: [Z3Term]) -> Z3Term {
        apply("Z3_mk_and", terms) { c, args in Z3_mk_and(c, UInt32(args.count), args.baseAddress) }
    }

    /// The disjunction of `terms`; `false` when `terms` is empty.
    package func or(_ terms: [Z3Term]) -> Z3Term {
        apply("Z3_mk_or", terms) { c, args in Z3_mk_or(c, UInt32(args.count), args.baseAddress) }
    }

    /// The negation of the Boolean term `t`.
    package func not(_ t: Z3Term) -> Z3Term {
        apply("Z3_mk_not", [t]) { c, args in Z3_mk_not(c, args[0]) }
    }

    /// The implication `premise => conclusion` of two Boolean terms.
    package func implies(_ premise: Z3Term, _ conclusion: Z3Term) -> Z3Term {
        apply("Z3_mk_implies", [premise, conclusion]) { c, args in Z3_mk_implies(c, args[0], args[1]) }
    }

    /// The constraint that all `terms` (of one sort) differ pairwise; `true` for fewer than two.
    package func distinct(_ terms: [Z3Term]) -> Z3Term {
        if terms.count < 2 {
            for t in terms { checkOwned(t) }
            if let error = terms.first?.error { return Z3Term(context: self, error: error) }
            return bool(true)
        }
        return apply("Z3_mk_distinct", terms) { c, args in
            Z3_mk_distinct(c, UInt32(args.count), args.baseAddress)
        }
    }

    /// If-then-else: `then` where `condition` holds, else `else` (both of one sort).
    package func ite(_ condition: Z3Term, then: Z3Term, else otherwise: Z3Term) -> Z3Term {
        apply("Z3_mk_ite", [condition, then, otherwise]) { c, args in
            Z3_mk_ite(c, args[0], args[1], args[2])
        }
    }

    // MARK: Internals shared by the other files

    /// Stops the process if `term` belongs to another context: mixing contexts is a programmer error.
    func checkOwned(_ term: Z3Term, file: StaticString = #file, line: UInt = #line) {
        precondition(term.context === self, "Z3Term used with a Z3Context that did not make it",
                     file: file, line: line)
    }

    /// The error of the last Z3 call, if it failed; must be read right after that call.
    func lastError(_ call: String) -> Z3Error? {
        let code = Z3_get_error_code(raw)
        // Raw values compared: the enum's `!=` goes through a generic witness, once per Z3 call.
        guard code.rawValue != Z3_OK.rawValue else { return nil }
        let message = Z3_get_error_msg(raw, code).map { String(cString: $0) } ?? ""
        return Z3Error(code: Z3Error.Code(code), message: message, call: call)
    }

    /// Runs one term-making call and wraps its result, or its failure, as a `Z3Term`.
    func make(_ call: String, _ body: (Z3_context) -> Z3_ast?) -> Z3Term {
        let ast = body(raw)
        if let error = lastError(call) { return Z3Term(context: self, error: error) }
        guard let ast else {
            return Z3Term(context: self, error: Z3Error(code: .exception, message: "no result", call: call))
        }
        return Z3Term(context: self, ast: ast)
    }

    /// Runs a term-making call over `operands`, which must belong to this context; an invalid
    /// operand makes the result invalid with the operand's error, without calling Z3.
    func apply(
        _ call: String, _ operands: [Z3Term],
        _ body: (Z3_context, UnsafeBufferPointer<Z3_ast?>) -> Z3_ast?
    ) -> Z3Term {
        var asts: [Z3_ast?] = []
        asts.reserveCapacity(operands.count)
        for t in operands {
            checkOwned(t)
            guard let ast = t.ast else { return Z3Term(context: self, error: t.error!) }
            asts.append(ast)
        }
        return withExtendedLifetime(operands) {
            asts.withUnsafeBufferPointer { buffer in
                make(call) { c in body(c, buffer) }
            }
        }
    }

    /// The longest timeout Z3 takes, in milliseconds (`UInt32.max` means "none" to Z3).
    static let maxMilliseconds = Int(UInt32.max - 1)

    /// Clamps a millisecond count to what Z3's unsigned parameters accept (at least 1, and
    /// below `UInt32.max`, which Z3 reads as "no limit").
    static func clampMilliseconds(_ ms: Int) -> UInt32 {
        UInt32(min(max(ms, 1), maxMilliseconds))
    }
}
