import Explorer

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The replay-token fuzz target: one call of `run` per input; a broken property traps.
enum TokenHarness {
    /// Longest path replayed: replays are linear in the path, and longer ones add nothing.
    static let maxReplayedSteps = 64

    /// One input. Always returns 0 (libFuzzer's "keep going").
    static func run(_ input: UnsafeBufferPointer<UInt8>) -> CInt {
        guard let first = input.first else { return 0 }
        let rest = input[1...]
        let text = first & 1 == 0 ? String(decoding: rest, as: UTF8.self) : wrap(Array(rest))
        let token: ReplayToken
        do {
            token = try ReplayToken(decoding: text)
        } catch {
            // A refusal must point into the text (or just past its end).
            guard error.position >= 0, error.position <= text.count else {
                fatalError("error position \(error.position) outside a text of \(text.count) characters: \(error)")
            }
            _ = error.description
            return 0
        }
        // What decodes encodes to a token that decodes to the same.
        let encoded = token.encoded
        guard let again = try? ReplayToken(decoding: encoded), again == token else {
            fatalError("a decoded token does not survive encoding: \(text) -> \(encoded)")
        }
        switch token.system {
        case MirrorSimulation.system: replay(token, as: MirrorSimulation.self)
        case DriverSimulation.system: replay(token, as: DriverSimulation.self)
        case RecoverySimulation.system: replay(token, as: RecoverySimulation.self)
        default: break
        }
        return 0
    }

    /// What `plumb replay` does with a decoded token, but for printing.
    private static func replay<S: ExplorationTarget>(_ token: ReplayToken, as: S.Type) {
        guard let start = S(parsing: token.configuration) else { return }
        // The configuration's own text reads back as the same configuration.
        guard let reread = S(parsing: start.configurationText),
              reread.configurationText == start.configurationText
        else {
            fatalError("configuration \"\(token.configuration)\" reads as \"\(start.configurationText)\", "
                       + "which does not read back")
        }
        if token.model != 0, token.model != ReplayToken.model(of: start) { return }
        guard token.path.count <= maxReplayedSteps else { return }
        guard let outcome = try? Explorer.replay(start, path: token.path) else { return }
        _ = outcome.state.encodedTrace()
        _ = outcome.violation?.message
    }

    // MARK: the token's binary form

    /// `plumb2.` and base64url of `payload` followed by its FNV-1a checksum.
    static func wrap(_ payload: [UInt8]) -> String {
        var hash: UInt32 = 0x811C_9DC5
        for byte in payload { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        let bytes = payload + [UInt8(hash >> 24), UInt8(hash >> 16 & 0xFF), UInt8(hash >> 8 & 0xFF), UInt8(hash & 0xFF)]
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var out: [UInt8] = Array(ReplayToken.prefix.utf8)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var word: UInt32 = 0
            for (k, byte) in chunk.enumerated() { word |= UInt32(byte) << (16 - 8 * UInt32(k)) }
            for k in 0...chunk.count { out.append(alphabet[Int(word >> (18 - 6 * UInt32(k)) & 63)]) }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The binary form of a token without its checksum: the inverse of `wrap` but for it.
    static func payload(_ token: ReplayToken) -> [UInt8] {
        var out: [UInt8] = []
        func number(_ value: Int) {
            var rest = UInt64(value)
            while rest >= 0x80 {
                out.append(UInt8(rest & 0x7F) | 0x80)
                rest >>= 7
            }
            out.append(UInt8(rest))
        }
        for text in [token.system, token.configuration] {
            number(text.utf8.count)
            out += text.utf8
        }
        number(Int(token.model))
        number(token.path.count)
        token.path.forEach(number)
        return out
    }

    // MARK: seeds

    /// Writes tokens of real executions (a walk of each system's default configuration, with and
    /// without a model stamp), in both input forms, to `directory`; returns the exit code.
    static func writeSeeds(to directory: String) -> Int32 {
        var tokens: [ReplayToken] = []
        tokens += seedTokens(MirrorSimulation(.init()))
        tokens += seedTokens(MirrorSimulation(.init(streams: 1, paths: 1, records: 2, crashes: 2, pathFailures: 0)))
        tokens += seedTokens(DriverSimulation(.init()))
        tokens += seedTokens(RecoverySimulation(.init()))
        tokens += seedTokens(RecoverySimulation(.init(consumers: 3, workers: 1, failures: 0, crashes: 0, seed: 7)))
        var written = 0
        for (index, token) in tokens.enumerated() {
            guard wrap(payload(token)) == token.encoded else {
                complain("FuzzToken: the seed encoder disagrees with ReplayToken.encoded")
                return 1
            }
            for (form, bytes) in [(0, Array(token.encoded.utf8)), (1, payload(token))] {
                let path = "\(directory)/token-\(index)-\(form)"
                guard let file = fopen(path, "wb") else {
                    complain("FuzzToken: cannot write \(path)")
                    return 1
                }
                let input = [UInt8(form)] + bytes
                fwrite(input, 1, input.count, file)
                fclose(file)
                written += 1
            }
        }
        print("FuzzToken: wrote \(written) seeds to \(directory)")
        return 0
    }

    /// Tokens for prefixes of one walk from `start` (choice `step % count` at each step).
    private static func seedTokens<S: ExplorationTarget>(_ start: S) -> [ReplayToken] {
        var state = start
        var path: [Int] = []
        var tokens: [ReplayToken] = []
        for step in 0..<24 {
            let choices = state.choices()
            guard !choices.isEmpty else { break }
            let index = (step * 7 + 3) % choices.count
            state.apply(choices[index])
            path.append(index)
            if step % 6 == 5 {
                tokens.append(ReplayToken(system: S.system, configuration: start.configurationText, path: path,
                                          model: step % 12 == 5 ? ReplayToken.model(of: start) : 0))
            }
        }
        tokens.append(ReplayToken(system: S.system, configuration: start.configurationText, path: path))
        return tokens
    }
}

/// Writes `message` and a newline to standard error.
func complain(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
