/// The answer of one `Z3Solver.check`: satisfiable with a model, unsatisfiable, or unknown.
///
/// Timeouts, interrupts and resource limits always give `.unknown`, never `.unsat`: only a
/// completed proof of unsatisfiability is reported as `.unsat`.
package enum Z3Result {
    /// The assertions (and assumptions) are satisfiable; the model gives values that satisfy them.
    case sat(Z3Model)
    /// The assertions (and assumptions) are unsatisfiable.
    case unsat
    /// Z3 gave up; `reason` is Z3's explanation (`Z3_solver_get_reason_unknown`), such as
    /// `timeout`, `canceled` or `max. resource limit exceeded`.
    case unknown(reason: String)

    /// Whether the result is `.sat`.
    package var isSat: Bool {
        if case .sat = self { return true }
        return false
    }

    /// Whether the result is `.unsat`.
    package var isUnsat: Bool {
        if case .unsat = self { return true }
        return false
    }

    /// The model of a `.sat` result, else `nil`.
    package var model: Z3Model? {
        if case .sat(let model) = self { return model }
        return nil
    }
}
