/// Violations are part of reports and counterexamples, which tools read as JSON.
extension ExplorationViolation: Codable {
    private enum CodingKeys: String, CodingKey { case invariant, message, kind }

    /// Reads `{"invariant": ..., "message": ..., "kind": ...}`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(invariant: try container.decode(String.self, forKey: .invariant),
                  message: try container.decode(String.self, forKey: .message),
                  kind: try container.decode(Kind.self, forKey: .kind))
    }

    /// Writes `{"invariant": ..., "message": ..., "kind": ...}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(invariant, forKey: .invariant)
        try container.encode(message, forKey: .message)
        try container.encode(kind, forKey: .kind)
    }
}
