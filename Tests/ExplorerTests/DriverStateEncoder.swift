import Driver
import Specs

/// A canonical byte encoding of any value, by reflection: the oracle the tests hold the
/// driver's explicit fingerprints (`DriverCore.hash(into:)`, `DriverSpec.hash(into:)`) to.
///
/// Reflection (`Mirror`) reaches every stored property, internal ones included, so the driver
/// core's whole state is encoded without the core exposing it, and a field added to the core
/// later is covered without anyone remembering to add it here. Encoded:
/// - integers, `Bool`, `String`, `[UInt8]` and a few common composites of integers directly
///   (`Mirror` costs a few microseconds per stored property: it is what a fingerprint costs);
/// - structs, classes, tuples and arrays as their children in order, each one marked, then an
///   end mark;
/// - enums as their case name and payload; optionals as absent or their value;
/// - dictionaries and sets as their elements' encodings, sorted bytewise, so that their
///   iteration order (which depends on the per-process seed) does not show.
/// Each item starts with a tag byte, and variable-length items carry their length, so two
/// different values of one type never encode alike. Not for values with reference cycles.
struct DriverStateEncoder {
    /// The encoding so far.
    private(set) var bytes: [UInt8] = []

    private enum Tag: UInt8 {
        case none = 0, int, bytes, bool, string, unsigned, aggregate, enumCase, unordered, other
    }

    /// Names of stored properties left out wherever they occur (the caller makes sure they hold
    /// the same value in every state it compares).
    var skipped: Set<String> = []
    /// Whether an `EventStamp` is encoded as its event name alone (its seq and place left out).
    var stampsAsNames = false

    private static let intType = ObjectIdentifier(Int.self)
    private static let bytesType = ObjectIdentifier([UInt8].self)
    private static let boolType = ObjectIdentifier(Bool.self)
    private static let uint32Type = ObjectIdentifier(UInt32.self)
    private static let uint64Type = ObjectIdentifier(UInt64.self)
    private static let stringType = ObjectIdentifier(String.self)
    private static let intsType = ObjectIdentifier([Int].self)
    private static let stampType = ObjectIdentifier(EventStamp.self)
    private static let optionalIntType = ObjectIdentifier(Int?.self)
    private static let rangeType = ObjectIdentifier(Range<Int>.self)
    private static let intSetType = ObjectIdentifier(Set<Int>.self)
    private static let intMapType = ObjectIdentifier([Int: Int].self)
    private static let intListMapType = ObjectIdentifier([Int: [Int]].self)
    private static let ticketType = ObjectIdentifier(IOTicket.self)
    private static let idRangeType = ObjectIdentifier(IDRange.self)
    private static let idRangesType = ObjectIdentifier([IDRange].self)

    /// Appends the encoding of `value`.
    mutating func encode(_ value: Any) {
        // Leaves are told apart by their type's identity, which costs far less than casts.
        switch ObjectIdentifier(type(of: value)) {
        case Self.intType:
            tag(.int)
            word(UInt64(bitPattern: Int64(value as! Int)))
        case Self.bytesType:
            let v = value as! [UInt8]
            tag(.bytes)
            word(UInt64(v.count))
            bytes.append(contentsOf: v)
        case Self.intsType:
            let v = value as! [Int]
            tag(.aggregate)
            word(UInt64(v.count))
            for element in v {
                tag(.int)
                word(UInt64(bitPattern: Int64(element)))
            }
        case Self.boolType:
            tag(.bool)
            bytes.append(value as! Bool ? 1 : 0)
        case Self.uint32Type:
            tag(.unsigned)
            word(UInt64(value as! UInt32))
        case Self.uint64Type:
            tag(.unsigned)
            word(value as! UInt64)
        case Self.stringType:
            string(value as! String, tag: .string)
        case Self.stampType where stampsAsNames:
            string((value as! EventStamp).name, tag: .string)
        // Common composites of integers, without `Mirror` (each type always takes one path).
        case Self.optionalIntType:
            if let v = value as! Int? {
                tag(.aggregate)
                word(1)
                encode(v)
            } else {
                tag(.none)
            }
        case Self.rangeType:
            let v = value as! Range<Int>
            fields([v.lowerBound, v.upperBound])
        case Self.ticketType:
            fields([(value as! IOTicket).raw])
        case Self.idRangeType:
            let v = value as! IDRange
            fields([v.first, v.count])
        case Self.idRangesType:
            let v = value as! [IDRange]
            tag(.aggregate)
            for range in v {
                tag(.aggregate)
                fields([range.first, range.count])
            }
            tag(.none)
        case Self.intSetType:
            unordered((value as! Set<Int>).map { [$0] })
        case Self.intMapType:
            unordered((value as! [Int: Int]).map { [$0.key, $0.value] })
        case Self.intListMapType:
            unordered((value as! [Int: [Int]]).map { [$0.key] + $0.value })
        default:
            reflect(value)
        }
    }

    /// Encodes a value that is not a leaf, through its `Mirror`.
    private mutating func reflect(_ value: Any) {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            if let child = mirror.children.first {
                tag(.aggregate)
                word(1)
                encode(child.value)
            } else {
                tag(.none)
            }
        case .enum:
            // A case with a payload has one child labelled with the case name.
            if let child = mirror.children.first {
                string(child.label ?? "", tag: .enumCase)
                encode(child.value)
            } else {
                string(String(describing: value), tag: .enumCase)
                tag(.none)
            }
        case .dictionary, .set:
            var parts: [[UInt8]] = []
            for child in mirror.children {
                var part = DriverStateEncoder()
                part.skipped = skipped
                part.stampsAsNames = stampsAsNames
                part.encode(child.value)
                parts.append(part.bytes)
            }
            parts.sort { $0.lexicographicallyPrecedes($1) }
            tag(.unordered)
            word(UInt64(parts.count))
            for part in parts { bytes.append(contentsOf: part) }
        case .struct, .class, .tuple, .collection:
            tag(.aggregate)
            for child in mirror.children {
                if let label = child.label, skipped.contains(label) { continue }
                tag(.aggregate)
                encode(child.value)
            }
            tag(.none)
        default:
            string(String(describing: value), tag: .other)
        }
    }

    private mutating func tag(_ tag: Tag) { bytes.append(tag.rawValue) }

    /// A struct of integer fields, as `reflect` encodes it.
    private mutating func fields(_ values: [Int]) {
        tag(.aggregate)
        for value in values {
            tag(.aggregate)
            tag(.int)
            word(UInt64(bitPattern: Int64(value)))
        }
        tag(.none)
    }

    /// Elements of a set or dictionary given as integer lists: each encoded, sorted bytewise.
    private mutating func unordered(_ elements: [[Int]]) {
        let parts = elements.map { element in
            var part = DriverStateEncoder()
            if element.count == 1 { part.encode(element[0]) } else { part.fields(element) }
            return part.bytes
        }.sorted { $0.lexicographicallyPrecedes($1) }
        tag(.unordered)
        word(UInt64(parts.count))
        for part in parts { bytes.append(contentsOf: part) }
    }

    private mutating func word(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private mutating func string(_ text: String, tag: Tag) {
        self.tag(tag)
        word(UInt64(text.utf8.count))
        bytes.append(contentsOf: text.utf8)
    }
}
