import Trace

/// A recorded exploration as `plumb explore` and `plumb replay` drive it.
///
/// Its configuration text, which replay tokens carry, references the trace rather than
/// holding its workload (a trace of thousands of events would make a token of many kilobytes):
/// `from=/abs/a.jsonl+/abs/b.jsonl.gz digest=0123456789abcdef window=1 crashes=1` and the
/// plan's settings (`torn=1 states=lazy`, ...). Paths are percent-encoded (`%20` for a space,
/// `%2B` for a plus). `plumb replay` re-reads the files, checks the digest of their events, and
/// says which file it needs, or that it changed, when it cannot (`load(configuration:files:)`;
/// `--from` there names the trace where it lives now).
extension Recorded: ExplorationTarget {
    /// The system's name.
    package static var system: String { Plan.System.system }

    /// `from=... digest=... window=N crashes=N` and the plan's settings.
    package var configurationText: String {
        var text = "from=" + source.files.map(Self.percentEncoded).joined(separator: "+")
        text += " digest=" + Self.hex(source.digest) + " window=\(window) crashes=\(crashes)"
        let settings = plan.settingsText
        return settings.isEmpty ? text : text + " " + settings
    }

    /// The start state of a configuration text, reading the trace it names; nil when anything
    /// fails (`load(configuration:files:)` says what).
    package init?(parsing text: String) {
        guard let loaded = try? Self.load(configuration: text) else { return nil }
        self = loaded
    }

    /// The start state of a configuration text: the trace re-read from the files it names (or
    /// from `files`, when given: the same trace elsewhere), its digest checked. Throws naming
    /// what is missing or changed.
    package static func load(configuration text: String, files: [String]? = nil) throws(TraceInputError) -> Self {
        func bad(_ why: String) -> TraceInputError {
            TraceInputError(file: "", line: 0, message: "the \(system) configuration \"\(text)\" \(why)")
        }
        guard let pairs = ConfigurationText.pairs(text) else { throw bad("is not key=value pairs") }
        var named: [String]?, digest: UInt64?, window = 0, crashes = 1
        var settings: [(key: String, value: String)] = []
        for (key, value) in pairs {
            switch key {
            case "from": named = value.split(separator: "+").map { Self.percentDecoded(String($0)) }
            case "digest":
                guard let d = UInt64(value, radix: 16) else { throw bad("has a digest that is not hexadecimal") }
                digest = d
            case "window":
                guard let w = Int(value), w >= 0 else { throw bad("has a window that is not a count") }
                window = w
            case "crashes":
                guard let c = Int(value), c >= 0 else { throw bad("has crashes that are not a count") }
                crashes = c
            default: settings.append((key, value))
            }
        }
        guard let named, !named.isEmpty else { throw bad("names no trace (from=)") }
        let paths = files ?? named
        let trace = try RecordedTrace(files: paths)
        try trace.expect(TraceSystem(rawValue: system)!)
        let plan = try Plan(trace: trace, crashes: crashes, settings: settings)
        let found = RecordedTrace.digest(trace.events)
        if let digest, digest != found {
            throw TraceInputError(
                file: paths.joined(separator: ", "), line: 0,
                message: "the trace changed since it was explored (digest \(hex(found)), the token's \(hex(digest))): "
                    + "the token replays only on the trace it was explored from")
        }
        return Self(plan: plan, window: window, crashes: crashes, source: RecordedSource(files: named, digest: found))
    }

    /// The system's trace so far.
    package func encodedTrace() -> [UInt8] { base.encodedTrace() }

    /// The same state, keeping no trace.
    package func withoutTrace() -> Self {
        var copy = self
        copy.base = base.withoutTrace()
        return copy
    }

    /// 16 hex digits.
    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// `path` with the characters the configuration text separates on (and `%`) encoded.
    static func percentEncoded(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: ","), UInt8(ascii: "+"), UInt8(ascii: "%"),
                 UInt8(ascii: "="), 0..<32, 127...255:
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 15, radix: 16, uppercase: true)
            default:
                out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out
    }

    /// Undoes `percentEncoded`.
    static func percentDecoded(_ text: String) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
