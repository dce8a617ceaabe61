/// An optional that encodes as JSON null instead of leaving its key out, as every report's
/// nullable keys do (tools test for the key).
package struct OrNull<Wrapped: Encodable>: Encodable {
    /// The value, or nil for null.
    package var value: Wrapped?

    /// Wraps `value`.
    package init(_ value: Wrapped?) { self.value = value }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}
