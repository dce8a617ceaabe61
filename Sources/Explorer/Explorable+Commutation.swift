extension Explorable {
    /// Whether `a` and `b`, both enabled now, commute here, found by trying both orders: each
    /// stays enabled after the other, neither order passes through a violation, and the two
    /// orders end in states with one fingerprint.
    ///
    /// Sound for partial-order reduction wherever fingerprints are (equal fingerprints, equal
    /// futures and verdicts: what state caching already relies on): sleep sets need exactly this
    /// diamond at the state where the two choices meet. It costs four steps, so a system answers
    /// `independent` statically where it can and asks this only for the pairs it cannot settle.
    public func commuteByTrial(_ a: Choice, _ b: Choice) -> Bool {
        var ab = self
        ab.apply(a)
        guard ab.violation() == nil, ab.choices().contains(b) else { return false }
        var ba = self
        ba.apply(b)
        guard ba.violation() == nil, ba.choices().contains(a) else { return false }
        ab.apply(b)
        ba.apply(a)
        return ab.fingerprint() == ba.fingerprint()
    }
}
