import Foundation
import XCTest
@testable import Trace

/// Mutates valid lines at random and compares the verdict with Foundation's JSON parser:
/// what Foundation rejects must be rejected, and what it reads as an object must not be
/// called "not JSON" or "not an object" (except where Foundation is laxer than RFC 8259).
final class ParserFuzzTests: XCTestCase {
    /// A small deterministic generator (SplitMix64), so failures replay.
    private struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func testMutationsAgreeWithFoundation() {
        let seeds = recorderSamples.values.joined().map { TraceEncoder.encode($0) } + [
            Array(#"{"a":[1,-2.5e+3,{"b":null}],"c":"\u00e9\n","d":true,"node":"primary","seq":0,"ev":"crash"}"#.utf8),
            Array(#" { "format" : "plumb-trace" , "version" : 1 , "system" : "mirror" , "meta" : { } } "#.utf8),
        ]
        let alphabet = Array(#"{}[]:,"\-+.eE0123456789 tfnrulsa\/"#.utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xA9, 0xFF]
        var rng = SplitMix(state: 42)
        var checked = 0
        for round in 0..<20_000 {
            var line = seeds[round % seeds.count]
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let at = Int.random(in: 0..<line.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: line[at] = alphabet.randomElement(using: &rng)!
                case 1: line.insert(alphabet.randomElement(using: &rng)!, at: at)
                default: if line.count > 1 { line.remove(at: at) }
                }
            }
            let foundation = try? JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed])
            let message: String?
            do {
                _ = try EventParser(system: .mirror).parse(line)
                message = nil
            } catch {
                message = error.message
            }
            let text = String(decoding: line, as: UTF8.self)
            if foundation == nil {
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }  // blank
                // Foundation rejects lone surrogates that a skipped string may hold.
                if text.contains("\\u") { continue }
                XCTAssertNotNil(message, "accepted what Foundation rejects: \(text)")
            } else if foundation is [String: Any] {
                // Foundation accepts a trailing comma ([1,] and {"a":1,}); RFC 8259 does not.
                let squeezed = text.filter { !" \t\n\r".contains($0) }
                if squeezed.contains(",]") || squeezed.contains(",}") { continue }
                XCTAssertFalse(message?.hasPrefix("not ") ?? false, "\(message!): \(text)")
            } else {
                XCTAssertTrue(message?.hasPrefix("not an object") ?? false, "\(message ?? "accepted"): \(text)")
            }
            checked += 1
        }
        XCTAssertGreaterThan(checked, 15_000)
    }
}
