extension Duration {
    /// The duration in seconds, as a double: what reports and progress lines print.
    package var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// The duration in milliseconds, as a double.
    package var milliseconds: Double { seconds * 1e3 }

    /// The duration in whole nanoseconds: what trace timestamps count.
    package var nanoseconds: Int {
        Int(components.seconds) * 1_000_000_000 + Int(components.attoseconds / 1_000_000_000)
    }
}
