import Specs
import Trace

extension CheckReport {
    /// A JUnit XML document holding the given `<testsuite>` elements.
    package static func junitDocument(_ suites: [String]) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n" + suites.joined() + "</testsuites>\n"
    }

    /// This trace as one JUnit `<testsuite>` for CI systems: a test case per invariant (an input
    /// error is one case).
    package func junitSuite(name: String) -> String {
        var cases = ""
        var failures = 0, errors = 0, count = 0
        if let error {
            count = 1
            errors = 1
            cases += "    <testcase classname=\"plumb.check\" name=\"input\"><error message=\"\(xml(error.description))\"/></testcase>\n"
        } else {
            var byInvariant: [Invariant: [Proof]] = [:]
            for p in proofs { byInvariant[p.invariant, default: []].append(p) }
            for invariant in proofs.map(\.invariant).uniqued() {
                count += 1
                let mine = byInvariant[invariant]!
                let seconds = mine.map(\.ms).max().map { $0 / 1000 } ?? 0
                let broken = violations.filter { $0.invariant == invariant }
                let system = invariant.system?.rawValue ?? "trace"
                cases += "    <testcase classname=\"plumb.\(system)\" name=\"\(invariant.rawValue)\" time=\"\(seconds)\">"
                if !broken.isEmpty {
                    failures += 1
                    let body = violations.indices.filter { violations[$0].invariant == invariant }.map { i in
                        let v = violations[i]
                        let decided = decision(i).map { "  decided at \($0.name) \($0.id)\(place($0))\n" } ?? ""
                        return "\(v.message)\n" + decided + v.events.map { "  \($0.name) \($0.id)\(place($0))" }.joined(separator: "\n")
                    }.joined(separator: "\n")
                    cases += "<failure message=\"\(xml(broken[0].message))\" type=\"violation\">\(xml(body))</failure>"
                } else if mine.contains(where: { $0.result == .unknown }) {
                    errors += 1
                    cases += "<error message=\"inconclusive: the solver did not prove every obligation\" type=\"inconclusive\"/>"
                }
                cases += "</testcase>\n"
            }
        }
        return "  <testsuite name=\"\(xml(name))\" tests=\"\(count)\" failures=\"\(failures)\" errors=\"\(errors)\" time=\"\(stats.ms / 1000)\">\n"
            + cases + "  </testsuite>\n"
    }

    private func place(_ stamp: EventStamp) -> String {
        stamp.location.file >= 0 && stamp.location.file < files.count
            ? " at \(files[stamp.location.file]):\(stamp.location.line)" : ""
    }

    /// `s` as XML 1.0 text or attribute value: markup characters as entities, line ends and
    /// tabs as character references (an attribute keeps them), and the characters XML 1.0
    /// cannot hold at all (other control characters, U+FFFE, U+FFFF; a name in a trace may have
    /// them) written as their JSON escape, `\u0001`, so the document stays well-formed.
    private func xml(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            case "\t": out += "&#9;"
            case "\u{0}" ..< "\u{20}", "\u{FFFE}", "\u{FFFF}":
                out += c.jsonEscape
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}

extension Unicode.Scalar {
    /// The scalar as a JSON escape, `\u001b`: how a report shows a character it must not
    /// write as it is (one XML cannot hold, one that would drive a terminal).
    package var jsonEscape: String {
        let hex = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
