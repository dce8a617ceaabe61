/// An `x-` event: something a node records that no system table defines (a stale primary's
/// refused attempts, a debug mark). The checker drops these before anything else; recording
/// them keeps the trace honest about what the node tried.
public struct ExtensionEvent: Sendable, Equatable {
    /// One integer field of the event.
    public struct Field: Sendable, Equatable {
        /// The field name.
        public var key: String
        /// Its value.
        public var value: Int

        /// Makes a field.
        public init(_ key: String, _ value: Int) {
            self.key = key
            self.value = value
        }
    }

    /// The node that recorded it.
    public var node: String
    /// The node's counter at the event (not checked by the checker, but kept increasing).
    public var seq: Int
    /// The event name; it starts with `x-`.
    public var name: String
    /// Integer fields, in order.
    public var fields: [Field]

    /// Makes an `x-` event; `name` must start with `x-`.
    public init(node: String, seq: Int, name: String, fields: [Field] = []) {
        precondition(name.hasPrefix("x-"), "extension events are named x-...")
        self.node = node
        self.seq = seq
        self.name = name
        self.fields = fields
    }
}
