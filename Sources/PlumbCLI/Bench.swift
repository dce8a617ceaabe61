import ArgumentParser
import Checker
import Foundation
import Trace

#if canImport(Glibc)
import Glibc
#endif

/// `plumb bench`: measured performance figures, one run at a time.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Plumb's performance on generated traces.",
        subcommands: [CheckBench.self, MirrorBench.self, RecoveryBench.self, DriverBench.self, ExploreBench.self]
    )
}

/// Ratios as people read them: two significant digits, never a ratio over about zero.
enum Ratio {
    /// Times below this many seconds are too short to divide by: a clock tick, not a measure.
    static let tinySeconds = 1e-6

    /// `x` to two significant digits, without an exponent: 0.74, 2.4, 12, 370, 1200.
    static func number(_ x: Double) -> String {
        guard x.isFinite, x > 0 else { return "0" }
        let digits = Int((log10(x)).rounded(.down))
        if digits >= 1 {
            let unit = pow(10, Double(digits - 1))
            return "\(Int((x / unit).rounded()) * Int(unit))"
        }
        return String(format: "%.\(1 - digits)f", x)
    }

    /// "2.4x": `numerator / denominator`; "too fast to compare" when the denominator (or the
    /// numerator) is at most `tiny`, in the units of the two.
    static func times(_ numerator: Double, over denominator: Double, tiny: Double = tinySeconds) -> String {
        guard numerator > tiny, denominator > tiny else { return "too fast to compare" }
        return number(numerator / denominator) + "x"
    }
}
