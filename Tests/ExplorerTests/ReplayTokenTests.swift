import Explorer
import XCTest

final class ReplayTokenTests: XCTestCase {
    func testRoundTrips() throws {
        let tokens = [
            ReplayToken(system: "mirror", configuration: "paths=2,records=3", path: [0, 1, 127, 128, 300, 1 << 40, 0]),
            ReplayToken(system: "", configuration: "", path: []),
            ReplayToken(system: "driver", configuration: "crash=1 ünïcødé", path: Array(0..<200)),
            ReplayToken(system: "recovery", configuration: "c", path: [Int.max]),
            ReplayToken(system: "mirror", configuration: "records=1", path: [2, 0], model: .max),
        ]
        for token in tokens {
            let text = token.encoded
            XCTAssertTrue(text.hasPrefix("plumb2."))
            XCTAssertFalse(text.contains("="))
            XCTAssertTrue(text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }, text)
            XCTAssertEqual(try ReplayToken(decoding: text), token)
            XCTAssertEqual(token.description, text)
        }
    }

    func testCounterexampleToken() throws {
        let report = explore(RaceModel())
        let found = try XCTUnwrap(report.counterexamples.first)
        let token = try ReplayToken(decoding: found.token(system: "race", configuration: "unlocked").encoded)
        XCTAssertEqual(token.system, "race")
        XCTAssertEqual(try replay(RaceModel(), path: token.path).violation, found.violation)
    }

    func testTokensOfAnOlderFormatAreRefusedAsSuch() throws {
        // A token of the first format (no model stamp), as an older build printed it.
        XCTAssertThrowsError(try ReplayToken(decoding: "plumb1.BW1pcnJvcglyZWNvcmRzPTECAgAYZMmS")) { error in
            XCTAssertEqual((error as? ReplayTokenError)?.problem, .olderFormat)
            XCTAssertTrue("\(error)".contains("older build"), "\(error)")
        }
    }

    func testTheModelStampFollowsTheStartState() throws {
        let one = try XCTUnwrap(MirrorSimulation(parsing: "records=1"))
        let two = try XCTUnwrap(MirrorSimulation(parsing: "records=2"))
        XCTAssertEqual(ReplayToken.model(of: one), ReplayToken.model(of: try XCTUnwrap(MirrorSimulation(parsing: "records=1"))))
        XCTAssertNotEqual(ReplayToken.model(of: one), ReplayToken.model(of: two))
        let found = Counterexample(path: [0], steps: [], violation: ExplorationViolation(invariant: "x", message: "", kind: .traceInvariant))
        let token = try ReplayToken(decoding: found.token(system: "mirror", configuration: "records=1", start: one).encoded)
        XCTAssertEqual(token.model, ReplayToken.model(of: one))
    }

    func testARevisedModelOfChoicesChangesTheStampSoOlderTokensAreRefused() throws {
        // The mirror's model was never revised: its stamp is the start state's fingerprint bits,
        // as tokens made before revisions came in carry.
        let mirror = try XCTUnwrap(MirrorSimulation(parsing: "records=1"))
        XCTAssertEqual(MirrorSimulation.modelRevision, 0)
        XCTAssertEqual(ReplayToken.model(of: mirror), UInt32(truncatingIfNeeded: mirror.fingerprint() >> 32))
        // The driver's was (its reading choices came in another order): a token stamped
        // with the fingerprint bits alone is another build's.
        let driver = try XCTUnwrap(DriverSimulation(parsing: "ifaces=1 requests=2"))
        XCTAssertGreaterThan(DriverSimulation.modelRevision, 0)
        XCTAssertNotEqual(ReplayToken.model(of: driver), UInt32(truncatingIfNeeded: driver.fingerprint() >> 32))
    }

    func testEveryCorruptionIsAnError() {
        let text = ReplayToken(system: "mirror", configuration: "paths=2", path: [3, 1, 4, 1, 5, 9, 2, 6]).encoded
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for position in Array(text.indices).dropFirst(7) {
            var corrupted = text
            let original = text[position]
            let replacement = alphabet[(alphabet.firstIndex(of: original)! + 17) % alphabet.count]
            corrupted.replaceSubrange(position...position, with: String(replacement))
            XCTAssertThrowsError(try ReplayToken(decoding: corrupted), "\(corrupted)") { error in
                XCTAssertTrue(error is ReplayTokenError)
            }
        }
    }

    func testErrorsNameTheProblemAndCharacter() {
        let text = ReplayToken(system: "mirror", configuration: "paths=2", path: [3, 1, 4]).encoded
        XCTAssertEqual(decodingError("plumb3." + text.dropFirst(7)), ReplayTokenError(.missingPrefix, at: 0))
        var bad = text
        bad.insert("!", at: bad.index(bad.startIndex, offsetBy: 10))
        XCTAssertEqual(decodingError(bad), ReplayTokenError(.invalidCharacter("!"), at: 10))
        let cut = String(text.dropLast(5))
        XCTAssertNotNil(decodingError(cut))
        let error = decodingError(String(text.dropLast(1)) + (text.last == "A" ? "B" : "A"))
        XCTAssertNotNil(error)
        XCTAssertTrue(ReplayTokenError(.invalidCharacter("!"), at: 10).description.contains("character 10"))
        // A token with one character too many cannot be base64url.
        XCTAssertEqual(decodingError("plumb2.AAAAA")?.problem, .invalidLength)
        XCTAssertEqual(decodingError("plumb2.")?.problem, .truncated(field: "system name"))
    }

    func testChecksumMismatchIsReported() {
        // The last character holds only checksum bits; flipping a used one leaves the rest valid.
        let text = ReplayToken(system: "s", configuration: "c", path: [1, 2]).encoded
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let last = alphabet.firstIndex(of: text.last!)!
        let altered = String(text.dropLast()) + String(alphabet[last ^ 16])
        let error = decodingError(altered)
        XCTAssertEqual(error?.problem, .checksumMismatch)
        XCTAssertGreaterThan(error?.position ?? 0, 7)
        XCTAssertTrue(error?.description.contains("checksum") ?? false)
    }

    private func decodingError(_ text: String) -> ReplayTokenError? {
        do {
            _ = try ReplayToken(decoding: text)
            return nil
        } catch {
            return error
        }
    }
}
