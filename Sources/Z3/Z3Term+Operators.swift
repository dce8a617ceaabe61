import CZ3

/// Arithmetic, comparison and Boolean operators that build Z3 terms.
///
/// Every operator needs both sides from one context (a precondition). An `Int` on either side
/// becomes an integer literal of the term's context, so `x + 1 < y` reads as written.
extension Z3Term {
    /// A binary term from `make`, applied to `lhs` and `rhs`.
    private static func binary(
        _ call: String, _ lhs: Z3Term, _ rhs: Z3Term,
        _ make: @escaping (Z3_context, Z3_ast?, Z3_ast?) -> Z3_ast?
    ) -> Z3Term {
        lhs.context.apply(call, [lhs, rhs]) { c, args in make(c, args[0], args[1]) }
    }

    /// An n-ary term from `make`, applied to `lhs` and `rhs`.
    private static func nary(
        _ call: String, _ lhs: Z3Term, _ rhs: Z3Term,
        _ make: @escaping (Z3_context, UInt32, UnsafePointer<Z3_ast?>?) -> Z3_ast?
    ) -> Z3Term {
        lhs.context.apply(call, [lhs, rhs]) { c, args in make(c, UInt32(args.count), args.baseAddress) }
    }

    // MARK: Comparisons

    /// The integer comparison `lhs < rhs`.
    package static func < (lhs: Z3Term, rhs: Z3Term) -> Z3Term { binary("Z3_mk_lt", lhs, rhs, Z3_mk_lt) }
    /// The integer comparison `lhs <= rhs`.
    package static func <= (lhs: Z3Term, rhs: Z3Term) -> Z3Term { binary("Z3_mk_le", lhs, rhs, Z3_mk_le) }
    /// The integer comparison `lhs > rhs`.
    package static func > (lhs: Z3Term, rhs: Z3Term) -> Z3Term { binary("Z3_mk_gt", lhs, rhs, Z3_mk_gt) }
    /// The integer comparison `lhs >= rhs`.
    package static func >= (lhs: Z3Term, rhs: Z3Term) -> Z3Term { binary("Z3_mk_ge", lhs, rhs, Z3_mk_ge) }
    /// The equation `lhs = rhs` between two terms of one sort (`Z3_mk_eq`).
    package static func .== (lhs: Z3Term, rhs: Z3Term) -> Z3Term { lhs.equals(rhs) }
    /// The disequation `lhs != rhs` between two terms of one sort.
    package static func .!= (lhs: Z3Term, rhs: Z3Term) -> Z3Term { !(lhs.equals(rhs)) }

    /// The comparison `lhs < rhs` with an integer literal on the right.
    package static func < (lhs: Z3Term, rhs: Int) -> Z3Term { lhs < lhs.context.int(rhs) }
    /// The comparison `lhs <= rhs` with an integer literal on the right.
    package static func <= (lhs: Z3Term, rhs: Int) -> Z3Term { lhs <= lhs.context.int(rhs) }
    /// The comparison `lhs > rhs` with an integer literal on the right.
    package static func > (lhs: Z3Term, rhs: Int) -> Z3Term { lhs > lhs.context.int(rhs) }
    /// The comparison `lhs >= rhs` with an integer literal on the right.
    package static func >= (lhs: Z3Term, rhs: Int) -> Z3Term { lhs >= lhs.context.int(rhs) }
    /// The equation `lhs = rhs` with an integer literal on the right.
    package static func .== (lhs: Z3Term, rhs: Int) -> Z3Term { lhs .== lhs.context.int(rhs) }
    /// The disequation `lhs != rhs` with an integer literal on the right.
    package static func .!= (lhs: Z3Term, rhs: Int) -> Z3Term { lhs .!= lhs.context.int(rhs) }

    /// The comparison `lhs < rhs` with an integer literal on the left.
    package static func < (lhs: Int, rhs: Z3Term) -> Z3Term { rhs.context.int(lhs) < rhs }
    /// The comparison `lhs <= rhs` with an integer literal on the left.
    package static func <= (lhs: Int, rhs: Z3Term) -> Z3Term { rhs.context.int(lhs) <= rhs }
    /// The comparison `lhs > rhs` with an integer literal on the left.
    package static func > (lhs: Int, rhs: Z3Term) -> Z3Term { rhs.context.int(lhs) > rhs }
    /// The comparison `lhs >= rhs` with an integer literal on the left.
    package static func >= (lhs: Int, rhs: Z3Term) -> Z3Term { rhs.context.int(lhs) >= rhs }

    // MARK: Arithmetic

    /// The integer sum `lhs + rhs`.
    package static func + (lhs: Z3Term, rhs: Z3Term) -> Z3Term { nary("Z3_mk_add", lhs, rhs, Z3_mk_add) }
    /// The integer difference `lhs - rhs`.
    package static func - (lhs: Z3Term, rhs: Z3Term) -> Z3Term { nary("Z3_mk_sub", lhs, rhs, Z3_mk_sub) }
    /// The integer product `lhs * rhs` (nonlinear unless one side is a literal).
    package static func * (lhs: Z3Term, rhs: Z3Term) -> Z3Term { nary("Z3_mk_mul", lhs, rhs, Z3_mk_mul) }
    /// The integer negation `-operand`.
    package static prefix func - (operand: Z3Term) -> Z3Term {
        operand.context.apply("Z3_mk_unary_minus", [operand]) { c, args in Z3_mk_unary_minus(c, args[0]) }
    }

    /// The sum `lhs + rhs` with an integer literal on the right.
    package static func + (lhs: Z3Term, rhs: Int) -> Z3Term { lhs + lhs.context.int(rhs) }
    /// The difference `lhs - rhs` with an integer literal on the right.
    package static func - (lhs: Z3Term, rhs: Int) -> Z3Term { lhs - lhs.context.int(rhs) }
    /// The product `lhs * rhs` with an integer literal on the right.
    package static func * (lhs: Z3Term, rhs: Int) -> Z3Term { lhs * lhs.context.int(rhs) }
    /// The sum `lhs + rhs` with an integer literal on the left.
    package static func + (lhs: Int, rhs: Z3Term) -> Z3Term { rhs.context.int(lhs) + rhs }
    /// The difference `lhs - rhs` with an integer literal on the left.
    package static func - (lhs: Int, rhs: Z3Term) -> Z3Term { rhs.context.int(lhs) - rhs }
    /// The product `lhs * rhs` with an integer literal on the left.
    package static func * (lhs: Int, rhs: Z3Term) -> Z3Term { rhs.context.int(lhs) * rhs }

    // MARK: Boolean connectives

    /// The conjunction `lhs && rhs` of two Boolean terms (both sides are always built).
    package static func && (lhs: Z3Term, rhs: Z3Term) -> Z3Term { lhs.context.and([lhs, rhs]) }
    /// The disjunction `lhs || rhs` of two Boolean terms (both sides are always built).
    package static func || (lhs: Z3Term, rhs: Z3Term) -> Z3Term { lhs.context.or([lhs, rhs]) }
    /// The negation `!operand` of a Boolean term.
    package static prefix func ! (operand: Z3Term) -> Z3Term { operand.context.not(operand) }
}
