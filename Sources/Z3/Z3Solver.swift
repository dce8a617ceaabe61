import CZ3

/// A Z3 solver: a stack of assertions checked for satisfiability.
///
/// **Not thread-safe**, like its context, which it keeps alive. For many small queries, reuse
/// one solver with `push()`/`pop()` or with assumptions rather than making fresh solvers.
///
/// Errors do not throw where they happen: asserting an invalid term (or a failed Z3 call in
/// `assert`, `push` or `pop`) is remembered, and the next `check` throws it. The error is
/// forgotten by `reset()`, or by a `pop` that removes the scope in which it happened.
package final class Z3Solver: CustomStringConvertible {
    /// The context the solver belongs to; every asserted term must come from it.
    package let context: Z3Context
    /// The logic the solver was made for, such as `QF_IDL`, or `nil` for Z3's default solver.
    package let logic: String?
    /// The resource limit (`rlimit`) of each check, if any: a deterministic bound on work.
    package let resourceLimit: Int?

    /// The raw solver, reference-counted by this object.
    let raw: Z3_solver
    /// A failure while making the solver; every check throws it.
    private var creationError: Z3Error?
    /// The first error since the last reset, with the scope depth at which it happened.
    private var pendingError: (error: Z3Error, depth: Int)?
    /// The number of open `push()` scopes.
    package private(set) var scopeDepth = 0
    /// The `timeout` parameter (milliseconds, `UInt32.max` for none) the solver has now.
    private var appliedTimeout: UInt32
    /// Numerals and atoms that every order query of this solver shares (`checkSomeGoalFails`).
    lazy var orderTable = Z3OrderTable(context: context)
    /// Interrupts a check that overruns its deadline; one for all of the solver's checks.
    private lazy var watchdog = Z3Watchdog(context: context.raw)

    /// Creates a solver in `context`, optionally specialised to a logic and bounded in work.
    ///
    /// - Parameters:
    ///   - logic: an SMT-LIB logic such as `"QF_IDL"` or `"QF_LIA"` (`Z3_mk_solver_for_logic`);
    ///     `nil` makes Z3's default solver (`Z3_mk_solver`).
    ///   - resourceLimit: Z3's `rlimit` for each check, a deterministic bound on work that
    ///     makes an exhausted check return `.unknown`; `nil` means none.
    package init(context: Z3Context, logic: String? = nil, resourceLimit: Int? = nil) {
        self.context = context
        self.logic = logic
        self.resourceLimit = resourceLimit
        let c = context.raw
        var made: Z3_solver? = nil
        if let logic {
            made = Z3_mk_solver_for_logic(c, Z3_mk_string_symbol(c, logic))
            creationError = context.lastError("Z3_mk_solver_for_logic")
        }
        if made == nil { made = Z3_mk_solver(c) }
        guard let made else { fatalError("Z3_mk_solver returned no solver (out of memory?)") }
        raw = made
        Z3_solver_inc_ref(c, raw)
        appliedTimeout = context.timeoutMilliseconds.map(Z3Context.clampMilliseconds) ?? UInt32.max
        // Z3 would otherwise install its own SIGINT handler around every check (the solver
        // parameter `ctrl_c` defaults to true): it would take the user's interrupt from the
        // process's own handling, and concurrent checks swapping it crashed in libz3.
        // Interrupts reach Z3 through `Z3Cancellation` instead.
        creationError = creationError ?? setParameter("ctrl_c", false)
        if let resourceLimit, creationError == nil {
            creationError = setParameter("rlimit", UInt32(clamping: max(resourceLimit, 1)))
        }
    }

    deinit {
        Z3_solver_dec_ref(context.raw, raw)
    }

    /// Adds the Boolean term `t` to the assertions of the current scope.
    package func assert(_ t: Z3Term) {
        context.checkOwned(t)
        guard let ast = t.ast else { return remember(t.error!) }
        withExtendedLifetime(t) { Z3_solver_assert(context.raw, raw, ast) }
        if let error = context.lastError("Z3_solver_assert") { remember(error) }
    }

    /// Opens a scope: assertions made after it are removed by the matching `pop()`.
    package func push() {
        Z3_solver_push(context.raw, raw)
        if let error = context.lastError("Z3_solver_push") { remember(error) }
        scopeDepth += 1
    }

    /// Closes the `n` innermost scopes, removing their assertions. Popping more scopes than
    /// are open is a programmer error (a precondition).
    package func pop(_ n: Int = 1) {
        precondition(n >= 0 && n <= scopeDepth, "Z3Solver.pop(\(n)) with \(scopeDepth) open scopes")
        guard n > 0 else { return }
        Z3_solver_pop(context.raw, raw, UInt32(n))
        scopeDepth -= n
        if let pending = pendingError, pending.depth > scopeDepth { pendingError = nil }
        if let error = context.lastError("Z3_solver_pop") { remember(error) }
    }

    /// Removes every assertion and scope, and forgets a remembered error.
    package func reset() {
        Z3_solver_reset(context.raw, raw)
        scopeDepth = 0
        pendingError = nil
        if let error = context.lastError("Z3_solver_reset") { remember(error) }
    }

    /// Checks whether the assertions, together with `assumptions`, are satisfiable.
    ///
    /// Assumptions hold for this check only and keep what the solver learned, which makes
    /// them cheaper than push/assert/pop for many small queries; they are usually Boolean
    /// constants or their negations (`unsatCore()` then names the ones that conflict).
    ///
    /// A timeout (this call's, else the context's) is given to Z3 as its `timeout` parameter,
    /// and a watchdog interrupts the check a little after the deadline in case Z3 overruns it.
    /// A timed-out, interrupted or resource-limited check returns `.unknown`, never `.unsat`;
    /// once the context's `cancellation` is cancelled, every check returns
    /// `.unknown(reason: Z3Cancellation.reason)`, whatever Z3 answered.
    ///
    /// - Throws: a `Z3Error` remembered from an earlier invalid assertion or failed call, the
    ///   error of an invalid assumption, or a failure of the check itself.
    package func check(assumptions: [Z3Term] = [], timeout: Duration? = nil) throws(Z3Error) -> Z3Result {
        if let creationError { throw creationError }
        if let pendingError { throw pendingError.error }
        var asts: [Z3_ast?] = []
        asts.reserveCapacity(assumptions.count)
        for t in assumptions {
            context.checkOwned(t)
            guard let ast = t.ast else { throw t.error! }
            asts.append(ast)
        }
        let milliseconds = timeout.map(Self.milliseconds) ?? context.timeoutMilliseconds
        let wanted = milliseconds.map(Z3Context.clampMilliseconds) ?? UInt32.max
        if wanted != appliedTimeout {
            if let error = setParameter("timeout", wanted) { throw error }
            appliedTimeout = wanted
        }
        let watchdog = milliseconds.map { $0 + Z3Watchdog.grace(forTimeout: $0) }
        return try withExtendedLifetime(assumptions) { () throws(Z3Error) -> Z3Result in
            try run(assumptions: asts, watchdogMilliseconds: watchdog)
        }
    }

    /// Checks the assertions with the watchdog alone bounding the time: it interrupts the
    /// check once the timeout (this call's, else the context's) has passed, and Z3's own
    /// `timeout` parameter is left unset. For many small checks: with the parameter set,
    /// Z3 4.8.12 hands every check to a timer thread and waits for it to let go (a mutex, a
    /// wake-up and a loop of yields per check, more than a query of 256 goals costs in
    /// all). Results, errors and cancellation as in `check`.
    func checkWatched(timeout: Duration? = nil) throws(Z3Error) -> Z3Result {
        if let creationError { throw creationError }
        if let pendingError { throw pendingError.error }
        if appliedTimeout != UInt32.max {
            if let error = setParameter("timeout", UInt32.max) { throw error }
            appliedTimeout = UInt32.max
        }
        let milliseconds = timeout.map(Self.milliseconds) ?? context.timeoutMilliseconds
        return try run(assumptions: [], watchdogMilliseconds: milliseconds)
    }

    /// The assumptions of the last `.unsat` check that together conflict with the assertions
    /// (`Z3_solver_get_unsat_core`); empty if the check had none or was not unsat.
    package func unsatCore() -> [Z3Term] {
        let c = context.raw
        guard let vector = Z3_solver_get_unsat_core(c, raw), context.lastError("Z3_solver_get_unsat_core") == nil
        else { return [] }
        Z3_ast_vector_inc_ref(c, vector)
        defer { Z3_ast_vector_dec_ref(c, vector) }
        return (0..<Z3_ast_vector_size(c, vector)).compactMap { i in
            Z3_ast_vector_get(c, vector, i).map { Z3Term(context: context, ast: $0) }
        }
    }

    /// The assertions in SMT-LIB form (`Z3_solver_to_string`), for logs and reproductions.
    package var description: String {
        Z3_solver_to_string(context.raw, raw).map { String(cString: $0) } ?? ""
    }

    // MARK: Internals

    /// Runs the check itself, with a watchdog firing after `watchdogMilliseconds` if given.
    /// Internal so that tests can exercise the watchdog without Z3's own timeout.
    func run(assumptions: [Z3_ast?], watchdogMilliseconds: Int?) throws(Z3Error) -> Z3Result {
        let c = context.raw
        let cancellation = context.cancellation
        if let cancellation, !cancellation.begin(c) { return .unknown(reason: Z3Cancellation.reason) }
        if let watchdogMilliseconds { watchdog.arm(milliseconds: watchdogMilliseconds) }
        let answer = assumptions.withUnsafeBufferPointer { buffer in
            Z3_solver_check_assumptions(c, raw, UInt32(buffer.count), buffer.baseAddress)
        }
        let error = context.lastError("Z3_solver_check_assumptions")
        let interrupted = watchdogMilliseconds != nil && watchdog.disarm()
        cancellation?.end(c)
        // A cancelled check's answer is not used, whatever it was: the run is being abandoned.
        if let cancellation, cancellation.isCancelled { return .unknown(reason: Z3Cancellation.reason) }
        if answer == Z3_L_TRUE {
            if let error { throw error }
            guard let model = Z3_solver_get_model(c, raw) else {
                let failure = context.lastError("Z3_solver_get_model")
                // The watchdog fired between the answer and its disarming: the answer stands,
                // but its model was cancelled. Never guess: say the check was cut short.
                if interrupted { return .unknown(reason: "timeout (interrupted by watchdog before the model was read)") }
                throw failure ?? Z3Error(code: .exception, message: "no model", call: "Z3_solver_get_model")
            }
            return .sat(Z3Model(context: context, raw: model))
        }
        if answer == Z3_L_FALSE {
            if let error { throw error }
            return .unsat
        }
        if let error, !interrupted { throw error }
        let reason = Z3_solver_get_reason_unknown(c, raw).map { String(cString: $0) } ?? "unknown"
        guard interrupted else { return .unknown(reason: reason) }
        return .unknown(reason: "timeout (interrupted by watchdog; Z3 said: \(error?.message ?? reason))")
    }

    /// Sets one unsigned solver parameter; returns Z3's error if it rejects it.
    private func setParameter(_ name: String, _ value: UInt32) -> Z3Error? {
        setParameter(name) { c, params, symbol in Z3_params_set_uint(c, params, symbol, value) }
    }

    /// Sets one Boolean solver parameter; returns Z3's error if it rejects it.
    private func setParameter(_ name: String, _ value: Bool) -> Z3Error? {
        setParameter(name) { c, params, symbol in Z3_params_set_bool(c, params, symbol, value) }
    }

    /// Sets one solver parameter with `set`; returns Z3's error if it rejects it.
    private func setParameter(_ name: String, _ set: (Z3_context, Z3_params, Z3_symbol?) -> Void) -> Z3Error? {
        let c = context.raw
        guard let params = Z3_mk_params(c) else { return context.lastError("Z3_mk_params") }
        Z3_params_inc_ref(c, params)
        defer { Z3_params_dec_ref(c, params) }
        set(c, params, Z3_mk_string_symbol(c, name))
        Z3_solver_set_params(c, raw, params)
        return context.lastError("Z3_solver_set_params(\(name))")
    }

    /// Remembers `error` for the next check, unless an earlier one is already remembered.
    private func remember(_ error: Z3Error) {
        if pendingError == nil { pendingError = (error, scopeDepth) }
    }

    /// A duration in whole milliseconds, rounded up, between 1 and `Z3Context.maxMilliseconds`.
    static func milliseconds(_ d: Duration) -> Int {
        let (seconds, attoseconds) = d.components
        guard seconds >= 0, attoseconds >= 0 || seconds > 0 else { return 1 }
        let whole = seconds.multipliedReportingOverflow(by: 1_000)
        if whole.overflow { return Z3Context.maxMilliseconds }
        let fraction = (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return min(max(1, Int(clamping: whole.partialValue + fraction)), Z3Context.maxMilliseconds)
    }
}
