/// A token bucket that limits a path to a rate in bytes per second: the arithmetic only, with
/// time passed in (nanoseconds on a monotonic clock) so that it is tested without waiting.
///
/// Credit refills continuously at `bytesPerSecond` up to `burst` bytes. A send is allowed
/// whenever the credit is not negative, and spends its whole size even if that takes the credit
/// below zero (a debt the refill pays back first). So a frame larger than the burst still goes
/// out, and over any long interval the bytes sent stay within `rate × time + burst + one frame`.
///
/// Credit is kept in byte-nanoseconds (bytes × 10⁹), so refills of a few nanoseconds are never
/// rounded away.
struct TokenBucket: Sendable, Equatable {
    /// The refill rate.
    let bytesPerSecond: Int
    /// The most credit the bucket holds, in bytes.
    let burst: Int
    /// Credit in byte-nanoseconds; negative while in debt.
    private(set) var credit: Int
    /// The time of the latest refill.
    private(set) var refilledAt: Int

    private static let nanosPerSecond = 1_000_000_000

    /// A full bucket at time `now`.
    init(bytesPerSecond: Int, burst: Int, now: Int) {
        precondition(bytesPerSecond > 0 && burst > 0, "a positive rate and burst")
        self.bytesPerSecond = bytesPerSecond
        self.burst = burst
        self.credit = burst * Self.nanosPerSecond
        self.refilledAt = now
    }

    /// Whole bytes of credit (negative while in debt) after refilling up to `now`.
    mutating func available(at now: Int) -> Int {
        refill(at: now)
        return credit >= 0 ? credit / Self.nanosPerSecond : -((-credit + Self.nanosPerSecond - 1) / Self.nanosPerSecond)
    }

    /// Sends `bytes` at `now` if the bucket is not in debt, returning 0; otherwise spends
    /// nothing and returns the nanoseconds until it will be out of debt.
    mutating func spend(_ bytes: Int, at now: Int) -> Int {
        refill(at: now)
        guard credit >= 0 else { return (-credit + bytesPerSecond - 1) / bytesPerSecond }
        credit -= bytes * Self.nanosPerSecond
        return 0
    }

    /// Adds the credit earned since the latest refill, up to the burst. A clock that goes
    /// backwards earns nothing.
    private mutating func refill(at now: Int) {
        guard now > refilledAt else { return }
        let elapsed = now - refilledAt
        refilledAt = now
        let capacity = burst * Self.nanosPerSecond
        // Compared before multiplying, so a long idle time cannot overflow.
        let toFill = (capacity - credit) / bytesPerSecond + 1
        credit = elapsed >= toFill ? capacity : credit + elapsed * bytesPerSecond
    }
}
