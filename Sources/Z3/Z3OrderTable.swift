import CZ3

/// Terms every order query of one solver uses again: small seq offsets as 16-bit numerals,
/// comparisons of them, and numbered Boolean atoms, each made once and referenced until the
/// table goes away.
///
/// Making a term was most of an order query's cost: a numeral is a declaration with a rational
/// parameter, hashed into the context's table of terms, and an atom a declaration and a
/// constant; both were deleted again when the query dropped them. Queries write seqs as small
/// offsets (see `Z3OrderQuery`) and number their atoms from zero, so the same few
/// thousand terms serve every query.
///
/// Offsets are bit-vectors, compared unsigned (`bvule`): every offset in the table is
/// below 2^14, so the comparison is the integers' order, and Z3 decides a comparison of two
/// bit-vector numerals in under half the time it takes for integers (measured with Z3 4.8.12,
/// queries of 256: 0.26 against 0.68 us a goal, nearly all of it in the rewriter that
/// evaluates the comparison). Not thread-safe, like the context that made the terms.
final class Z3OrderTable {
    /// The context that made every term here; kept alive until they are released.
    private let context: Z3Context
    /// The sort of the offsets: bit-vectors of `offsetBits` bits.
    private let offsetSort: Z3_sort
    /// Numerals by value, `0..<numeralLimit`; nil where not made yet.
    private var numerals: [Z3_ast?] = []
    /// Boolean atoms by number and kind (see `Atom`); nil where not made yet.
    private var atoms: [[Z3_ast?]] = [[], []]
    /// Comparisons of two numerals of the table, by their values (see `comparison`).
    private var comparisons = Slots(capacity: 2 * comparisonLimit)

    /// The width of an offset: more than `numeralLimit` needs, and the narrowest Z3 was
    /// measured fastest with (32 and 64 bits cost a quarter more).
    static let offsetBits: UInt32 = 16
    /// Numerals kept, from zero. A program step writes its two seqs as offsets from the lower
    /// of them, so this bounds how far apart they may be; seqs further apart are written as
    /// integers (see `OrderTerms.programFails`).
    static let numeralLimit = 1 << 14
    /// Atoms kept of each kind: a query of 256 three-step goals numbers about 800 (`Prover`
    /// asks 128 at a time).
    static let atomLimit = 1 << 13
    /// Comparisons kept: one of a comparison's two offsets is 0, so there are at most twice
    /// `numeralLimit` of them, and few serve every query (on a 1M-event mirror trace, 295
    /// comparisons served 784,191 program steps).
    static let comparisonLimit = 2 * numeralLimit

    /// The kinds of atom, named apart so that one query's atoms never meet another kind's.
    enum Atom: Int {
        /// A free atom, standing for an event that no step of a goal reached (integer symbols
        /// from 0).
        case reach = 0
        /// A cause fact (string symbols `cause0`, `cause1`, ...).
        case cause = 1
    }

    /// A table for the terms of `context`.
    init(context: Z3Context) {
        self.context = context
        offsetSort = Z3_mk_bv_sort(context.raw, Self.offsetBits)
        Z3_inc_ref(context.raw, Z3_sort_to_ast(context.raw, offsetSort))
    }

    deinit {
        let c = context.raw
        for ast in numerals { if let ast { Z3_dec_ref(c, ast) } }
        for kind in atoms { for ast in kind { if let ast { Z3_dec_ref(c, ast) } } }
        for ast in comparisons.values { if let ast { Z3_dec_ref(c, ast) } }
        Z3_dec_ref(c, Z3_sort_to_ast(c, offsetSort))
    }

    /// The comparisons made so far.
    var comparisonCount: Int { comparisons.count }

    /// Whether `value` is an offset the table writes.
    static func holds(_ value: Int) -> Bool { value >= 0 && value < numeralLimit }

    /// The comparison `x <= y` of the offsets `x` and `y` (unsigned), if both are in the
    /// table's range and the table has room (else nil: make it apart, with `lessOrEqual`).
    func comparison(_ x: Int, _ y: Int) throws(Z3Error) -> Z3_ast? {
        guard Self.holds(x) && Self.holds(y) else { return nil }
        let key = x << 14 | y
        let slot = comparisons.slot(of: key)
        if let known = comparisons.values[slot] { return known }
        guard comparisons.count < Self.comparisonLimit else { return nil }
        let made = try keep(Self.lessOrEqual(context.raw, try numeral(x), try numeral(y)), "Z3_mk_bvule")
        comparisons.insert(made, for: key, at: slot)
        return made
    }

    /// A fresh comparison `x <= y` of two offset numerals (the caller references it).
    static func lessOrEqual(_ c: Z3_context, _ x: Z3_ast, _ y: Z3_ast) -> Z3_ast? {
        Z3_mk_bvule(c, x, y)
    }

    /// The offset numeral `value`, which must be in the table's range.
    func numeral(_ value: Int) throws(Z3Error) -> Z3_ast {
        precondition(Self.holds(value), "offset \(value) outside the table")
        if value < numerals.count, let known = numerals[value] { return known }
        if numerals.count <= value { numerals += repeatElement(nil, count: value + 1 - numerals.count) }
        let made = try keep(Z3_mk_unsigned_int(context.raw, UInt32(value), offsetSort), "Z3_mk_unsigned_int")
        numerals[value] = made
        return made
    }

    /// The Boolean atom `number` of `kind`, if it is in the table's range (else nil).
    func atom(_ kind: Atom, _ number: Int) throws(Z3Error) -> Z3_ast? {
        guard number >= 0 && number < Self.atomLimit else { return nil }
        let k = kind.rawValue
        if number < atoms[k].count, let known = atoms[k][number] { return known }
        if atoms[k].count <= number { atoms[k] += repeatElement(nil, count: number + 1 - atoms[k].count) }
        let made = try keep(Self.makeAtom(context, kind, number), "Z3_mk_const")
        atoms[k][number] = made
        return made
    }

    /// A fresh Boolean constant for atom `number` of `kind` (not kept by any table).
    static func makeAtom(_ context: Z3Context, _ kind: Atom, _ number: Int) -> Z3_ast? {
        let c = context.raw
        switch kind {
        case .reach:
            precondition(number <= Int(Int32.max), "symbol numbers are 32-bit")
            return Z3_mk_const(c, Z3_mk_int_symbol(c, Int32(number)), context.boolSort)
        case .cause:
            return Z3_mk_const(c, Z3_mk_string_symbol(c, "cause\(number)"), context.boolSort)
        }
    }

    /// References `ast` for the table's life, throwing the error of the call that made it.
    private func keep(_ ast: Z3_ast?, _ call: String) throws(Z3Error) -> Z3_ast {
        if let error = context.lastError(call) { throw error }
        guard let ast else { throw Z3Error(code: .exception, message: "no result", call: call) }
        Z3_inc_ref(context.raw, ast)
        return ast
    }
}

/// A hash table from non-negative integers to terms, open addressing with linear probing and
/// a multiplicative hash: the table's lookup runs once per goal, and `Dictionary`'s hashing and
/// generic key comparison showed in profiles. Never deletes; holds at most half its capacity,
/// which the caller keeps to.
private struct Slots {
    /// The key in each slot, -1 where empty.
    private var keys: [Int]
    /// The term in each slot (nil where empty).
    private(set) var values: [Z3_ast?]
    /// Keys held.
    private(set) var count = 0
    /// log2 of the capacity.
    private let bits: Int

    /// An empty table of `capacity` slots, rounded up to a power of two.
    init(capacity: Int) {
        var bits = 1
        while 1 << bits < capacity { bits += 1 }
        self.bits = bits
        keys = Array(repeating: -1, count: 1 << bits)
        values = Array(repeating: nil, count: 1 << bits)
    }

    /// The slot that holds `key`, or the empty one where it would go.
    func slot(of key: Int) -> Int {
        let mask = (1 << bits) - 1
        let hash = UInt64(bitPattern: Int64(key)) &* 0x9E37_79B9_7F4A_7C15
        var i = Int(truncatingIfNeeded: hash >> UInt64(64 - bits))
        while keys[i] != -1 && keys[i] != key { i = (i + 1) & mask }
        return i
    }

    /// Puts `value` for `key` in `slot`, found empty by `slot(of:)`.
    mutating func insert(_ value: Z3_ast, for key: Int, at slot: Int) {
        keys[slot] = key
        values[slot] = value
        count += 1
    }
}
