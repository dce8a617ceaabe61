import Foundation
import Trace

/// Why a graph file is not a workload: what is wrong, where (line, when known), and which
/// consumer and field.
package struct RecoveryWorkloadError: Error, Equatable, CustomStringConvertible {
    /// The 1-based line of the text the problem is on, when it can be told.
    package var line: Int?
    /// What is wrong, naming the consumer and the field.
    package var message: String

    /// `line N: message`, or the message alone.
    package var description: String { line.map { "line \($0): \(message)" } ?? message }
}

extension RecoveryWorkload {
    /// The keys a consumer may have; any other is an error (a typo such as `dep` must not be
    /// ignored).
    static let consumerKeys = ["name", "deps", "after", "logs", "ms", "timeoutMs", "fail", "hang"]

    /// Reads a workload from JSON (the format in the type's documentation). Unknown keys, at
    /// the top level or in a consumer, are errors with the nearest known key suggested.
    package static func decode(_ data: Data) throws(RecoveryWorkloadError) -> RecoveryWorkload {
        let text = String(decoding: data, as: UTF8.self)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw notJSON(error, text)
        }
        guard let root = object as? [String: Any], let list = root["consumers"] as? [Any] else {
            throw RecoveryWorkloadError(line: nil, message: "expected an object {\"consumers\": [...]}")
        }
        for key in root.keys.sorted() where key != "consumers" {
            throw unknownKey(key, in: "the top level", known: ["consumers"], text)
        }
        for (i, entry) in list.enumerated() {
            guard let consumer = entry as? [String: Any] else {
                throw RecoveryWorkloadError(line: nil, message: "consumer \(i + 1) is not an object")
            }
            let who = (consumer["name"] as? String).map { "consumer \"\($0)\"" } ?? "consumer \(i + 1)"
            for key in consumer.keys.sorted() where !consumerKeys.contains(key) {
                throw unknownKey(key, in: who, known: consumerKeys, text)
            }
            // A duration or timeout below zero (0 is a timeout the framework refuses, itself).
            for key in ["ms", "timeoutMs"] {
                if let value = consumer[key] as? Int, value < 0 {
                    throw RecoveryWorkloadError(line: line(of: "\"\(key)\"", in: text, after: consumer["name"] as? String),
                                                message: "\(who), field \"\(key)\": \(value) is below 0 ms")
                }
            }
        }
        do {
            return try JSONDecoder().decode(RecoveryWorkload.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw RecoveryWorkloadError(line: nil, message: "\(place(context)) has no \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(type, context) {
            throw RecoveryWorkloadError(line: line(of: context, list: list, text), message: "\(place(context)): expected \(kind(type))")
        } catch let DecodingError.valueNotFound(type, context) {
            throw RecoveryWorkloadError(line: line(of: context, list: list, text),
                                        message: "\(place(context)): expected \(kind(type)), got null")
        } catch {
            throw RecoveryWorkloadError(line: nil, message: "\(error)")
        }
    }

    /// The line of the first `needle` in `text` after the consumer named `name` (when given and
    /// found), or nil.
    private static func line(of needle: String, in text: String, after name: String?) -> Int? {
        var start = text.startIndex
        // The consumer's own `"name": "X"`, not an `"X"` in another consumer's lists.
        if let name, let at = text.range(of: #""name"\s*:\s*"# + NSRegularExpression.escapedPattern(for: jsonQuoted(name)),
                                         options: .regularExpression) {
            start = at.upperBound
        }
        guard let range = text.range(of: needle, range: start ..< text.endIndex) else { return nil }
        return text[..<range.lowerBound].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
    }

    /// `name` as a JSON string literal, quotes included (how it most likely appears in the file).
    private static func jsonQuoted(_ name: String) -> String {
        (try? String(decoding: JSONSerialization.data(withJSONObject: [name], options: [.withoutEscapingSlashes]), as: UTF8.self)
            .dropFirst().dropLast()).map(String.init) ?? "\"\(name)\""
    }

    /// The line of the field a decoding error is about: its key after its consumer's name.
    private static func line(of context: DecodingError.Context, list: [Any], _ text: String) -> Int? {
        guard let key = context.codingPath.last(where: { $0.intValue == nil }), key.stringValue != "consumers" else { return nil }
        let index = context.codingPath.first(where: { $0.intValue != nil })?.intValue
        let name = index.flatMap { list.indices.contains($0) ? (list[$0] as? [String: Any])?["name"] as? String : nil }
        return line(of: "\"\(key.stringValue)\"", in: text, after: name)
    }

    /// Foundation's parse error with the line and column it names ("around character N" or
    /// "around line L, column C"), in plain words.
    private static func notJSON(_ error: any Error, _ text: String) -> RecoveryWorkloadError {
        let debug = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? ""
        func number(after word: String) -> Int? {
            guard let range = debug.range(of: word) else { return nil }
            return Int(debug[range.upperBound...].prefix { $0.isNumber })
        }
        var line: Int?, column: Int?
        if let l = number(after: "line "), let c = number(after: "column ") {
            (line, column) = (l, c)
        } else if let offset = number(after: "character ") {
            let before = text.utf8.prefix(offset)
            line = before.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
            column = before.count - (before.lastIndex(of: UInt8(ascii: "\n")).map { before.distance(from: before.startIndex, to: $0) + 1 } ?? 0) + 1
        }
        var reason = debug.components(separatedBy: " around ").first ?? ""
        if reason.hasSuffix(".") { reason.removeLast() }
        let what = reason.isEmpty ? "not JSON" : "not JSON: " + reason.prefix(1).lowercased() + reason.dropFirst()
        return RecoveryWorkloadError(line: line, message: what + (column.map { " (column \($0))" } ?? ""))
    }

    /// "unknown key" with the line of its first occurrence and a "did you mean".
    private static func unknownKey(_ key: String, in place: String, known: [String], _ text: String) -> RecoveryWorkloadError {
        var line: Int?
        if let range = text.range(of: "\"\(key)\"") {
            line = text[..<range.lowerBound].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
        }
        let hint = nearestName(to: key, among: known).map { " (did you mean \"\($0)\"?)" } ?? ""
        return RecoveryWorkloadError(
            line: line, message: "\(place): unknown key \"\(key)\"\(hint); known keys: \(known.joined(separator: ", "))")
    }

    /// "consumer 3, field "deps"" for a decoding path.
    private static func place(_ context: DecodingError.Context) -> String {
        var parts: [String] = []
        for key in context.codingPath {
            if let index = key.intValue {
                parts.append(parts.last == "consumers" ? "consumer \(index + 1)" : "entry \(index + 1)")
            } else if key.stringValue != "consumers" {
                parts.append("field \"\(key.stringValue)\"")
            } else {
                parts.append("consumers")
            }
        }
        let shown = parts.filter { $0 != "consumers" }
        return shown.isEmpty ? "the top level" : shown.joined(separator: ", ")
    }

    /// A Swift type as a JSON kind.
    private static func kind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Bool.Type: "true or false"
        case is [Any].Type, is [String].Type: "a list"
        case is [String: Any].Type: "an object"
        default: "\(type)"
        }
    }
}
