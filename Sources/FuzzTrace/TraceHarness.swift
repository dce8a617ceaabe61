import CZlib
import Trace

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What the trace target fuzzes (see main.swift).
enum FuzzMode: String {
    case line, file, gzip
}

/// The trace reader's fuzz target: one call of `run` per input; a broken property traps.
enum TraceHarness {
    nonisolated(unsafe) private static var mode = FuzzMode.file
    nonisolated(unsafe) private static var directory = ""
    nonisolated(unsafe) private static var plainPath = ""
    nonisolated(unsafe) private static var gzipPath = ""

    /// PLUMB_FUZZ_GZIP_FORM=raw or built: every gzip input in that form, whatever its first byte
    /// (to compare what each form reaches).
    private static let gzipForm: UInt8? = getenv("PLUMB_FUZZ_GZIP_FORM").flatMap {
        switch String(cString: $0) {
        case "raw": 0
        case "built": 1
        default: nil
        }
    }

    private static let parsers = [nil, TraceSystem.mirror, .driver, .recovery].map(EventParser.init(system:))

    /// Makes the scratch directory the file modes write each input to.
    static func start(_ mode: FuzzMode) {
        self.mode = mode
        // Memory-backed when there is /dev/shm: every input is written to a file.
        let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/plumb-fuzz-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            complain("FuzzTrace: cannot make a scratch directory under \(base)")
            exit(2)
        }
        directory = String(cString: made)
        plainPath = directory + "/input.jsonl"
        gzipPath = directory + "/input.jsonl.gz"
        atexit {
            unlink(TraceHarness.plainPath)
            unlink(TraceHarness.gzipPath)
            rmdir(TraceHarness.directory)
        }
    }

    /// One input. Always returns 0 (libFuzzer's "keep going").
    static func run(_ input: UnsafeBufferPointer<UInt8>) -> CInt {
        switch mode {
        case .line: lines(input)
        case .file: file(input)
        case .gzip: gzip(input)
        }
        return 0
    }

    // MARK: line

    /// Every line of the input (split at `\n`) through every parser, each line in an allocation
    /// of its own exact size, so that a read past its end is a read past an allocation.
    private static func lines(_ input: UnsafeBufferPointer<UInt8>) {
        var start = 0
        var previous: [UInt8]?
        for index in 0...input.count where index == input.count || input[index] == 0x0A {
            let line = Array(input[start..<index])
            start = index + 1
            for parser in parsers {
                parseAndRoundTrip(line, parser)
                if let previous { matchThroughTemplate(of: previous, line, parser) }
            }
            previous = line
        }
    }

    /// Makes a template of `first` (if `parser` reads it as an event of a shape templates
    /// cover); what it reads from `line` must be what `parser` reads from it.
    private static func matchThroughTemplate(of first: [UInt8], _ line: [UInt8], _ parser: EventParser) {
        guard case .event(let event)? = try? parser.parse(first),
              let template = first.withUnsafeBufferPointer({ LineTemplate(line: $0, event: event) }),
              let matched = line.withUnsafeBufferPointer({ template.match($0) })
        else { return }
        let full = Result { () throws(TraceInputError) in try parser.parse(line) }
        guard case .success(.event(let event)) = full, event == matched else {
            fatalError("a template of \(show(first)) reads \(show(line)) as \(matched), the parser as \(full)")
        }
    }

    /// Parses `line`; an event or header it yields must encode to a line that parses back to
    /// it, and encoding that again gives the same bytes (TraceEncoder's contract).
    private static func parseAndRoundTrip(_ line: [UInt8], _ parser: EventParser) {
        let exact = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: line.count)
        defer { exact.deallocate() }
        _ = exact.initialize(from: line)
        guard let parsed = try? parser.parse(UnsafeBufferPointer(exact)) else { return }
        let encoded: [UInt8]
        switch parsed {
        case .blank, .extensionEvent: return
        case .header(let header): encoded = TraceEncoder.encode(header)
        case .event(let event): encoded = TraceEncoder.encode(event)
        }
        let again: TraceLine
        do {
            again = try parser.parse(encoded)
        } catch {
            fatalError("the encoder's line for a parsed line does not parse: \(error)\n"
                       + "  line:    \(show(line))\n  encoded: \(show(encoded))")
        }
        guard again == parsed else {
            fatalError("a parsed line does not survive encoding\n  line:    \(show(line))\n"
                       + "  encoded: \(show(encoded))\n  first:   \(parsed)\n  again:   \(again)")
        }
        if case .event(let event) = again, TraceEncoder.encode(event) != encoded {
            fatalError("encoding is not stable: \(show(encoded)) then \(show(TraceEncoder.encode(event)))")
        }
    }

    // MARK: file

    /// The input as a plain file: the reader strict and with `--truncated`, and `LineSource`.
    private static func file(_ input: UnsafeBufferPointer<UInt8>) {
        store(input, at: plainPath)
        let strict = readAll(plainPath, allowTruncated: false)
        let lenient = readAll(plainPath, allowTruncated: true)
        // Lines read through templates read as the full parser reads them, errors included.
        let parsed = readAll(plainPath, allowTruncated: false, templates: false)
        guard parsed == strict else { fatalError("templates change what a file reads as: \(strict) vs \(parsed)") }
        if strict.error == nil {
            // Nothing was cut, so --truncated must change nothing.
            guard lenient == strict else {
                fatalError("--truncated changes a file that reads without error: \(strict) vs \(lenient)")
            }
        } else if lenient.error == nil {
            // --truncated may only drop one cut last line.
            guard lenient.dropped == 1 else { fatalError("--truncated read a bad file: \(strict) vs \(lenient)") }
        }
        let isGzip = input.count >= 2 && input[0] == 0x1F && input[1] == 0x8B
        if !isGzip { checkLines(path: plainPath, expected: input, seed: input) }
    }

    // MARK: gzip

    /// The input as gzip: raw bytes, or text compressed here (members, level, damage chosen by
    /// the first bytes); undamaged, it must read as the same text in a plain file does.
    private static func gzip(_ input: UnsafeBufferPointer<UInt8>) {
        guard let first = input.first else { return }
        if (gzipForm ?? first & 1) == 0 {
            let raw = UnsafeBufferPointer(rebasing: input[1...])
            store(raw, at: gzipPath)
            _ = readAll(gzipPath, allowTruncated: false)
            _ = readAll(gzipPath, allowTruncated: true)
            drainLines(path: gzipPath, seed: input)
            return
        }
        guard input.count >= 5 else { return }
        let members = Int(input[1] & 3) + 1
        let level = Int32(input[1] >> 2) % 10
        let damage = input[2] < 0xC0 ? 0 : Int(input[2] & 3) + 1
        let position = Int(input[3]) << 8 | Int(input[4])
        let text = UnsafeBufferPointer(rebasing: input[5...])
        var compressed: [UInt8] = []
        for member in 0..<members {
            let from = text.count * member / members
            let to = text.count * (member + 1) / members
            compressed += deflateGzip(UnsafeBufferPointer(rebasing: text[from..<to]), level: level)
        }
        switch damage {
        case 1: compressed.removeLast(compressed.isEmpty ? 0 : position % compressed.count + 1)
        case 2: if !compressed.isEmpty { compressed[position % compressed.count] ^= UInt8(1 << (position >> 13)) }
        case 3: compressed += [0x1F, 0x8B] + Array(text.prefix(position % 32))
        case 4: compressed += Array(repeating: 0, count: position % 32 + 1)
        default: break
        }
        compressed.withUnsafeBufferPointer { store($0, at: gzipPath) }
        let fromGzip = readAll(gzipPath, allowTruncated: false)
        _ = readAll(gzipPath, allowTruncated: true)
        if damage != 0 {
            drainLines(path: gzipPath, seed: input)
            return
        }
        checkLines(path: gzipPath, expected: text, seed: input)
        // A plain file that starts with the magic bytes would itself be read as gzip.
        guard !(text.count >= 2 && text[0] == 0x1F && text[1] == 0x8B) else { return }
        store(text, at: plainPath)
        var fromPlain = readAll(plainPath, allowTruncated: false)
        fromPlain.error?.file = gzipPath
        guard fromGzip == fromPlain else {
            fatalError("gzip and plain read differently\n  gzip:  \(fromGzip)\n  plain: \(fromPlain)")
        }
    }

    /// One gzip member of `bytes` at `level` (zlib's deflate, gzip wrapper).
    private static func deflateGzip(_ bytes: UnsafeBufferPointer<UInt8>, level: Int32) -> [UInt8] {
        // zlib keeps a pointer back to the stream: it needs a fixed address.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        // windowBits 15 + 16: a gzip header and trailer.
        guard deflateInit2_(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else { fatalError("deflateInit2 failed") }
        defer { deflateEnd(stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(bytes.count))) + 32)
        let written = out.withUnsafeMutableBufferPointer { outBuffer -> Int in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress)
            stream.pointee.avail_in = UInt32(bytes.count)
            stream.pointee.next_out = outBuffer.baseAddress
            stream.pointee.avail_out = UInt32(outBuffer.count)
            guard deflate(stream, Z_FINISH) == Z_STREAM_END else { fatalError("deflate did not finish") }
            return outBuffer.count - Int(stream.pointee.avail_out)
        }
        out.removeLast(out.count - written)
        return out
    }

    // MARK: reading

    /// Everything a reader makes of one file.
    struct Outcome: Equatable, CustomStringConvertible {
        var header: TraceHeader?
        var items: [TraceItem] = []
        var error: TraceInputError?
        var dropped = 0

        var description: String {
            "header \(header.map { "\($0)" } ?? "none"), \(items.count) items, dropped \(dropped), "
                + "error \(error.map { "\($0)" } ?? "none")"
        }
    }

    /// Reads `path` to its end or first error (`templates`: see `TraceFileReader`).
    private static func readAll(_ path: String, allowTruncated: Bool, templates: Bool = true) -> Outcome {
        var outcome = Outcome()
        do {
            var reader = try TraceFileReader(path: path, fileIndex: 0, allowTruncated: allowTruncated, templates: templates)
            outcome.header = reader.header
            defer { outcome.dropped = reader.droppedCutLines }
            while let item = try reader.next() { outcome.items.append(item) }
        } catch {
            outcome.error = error
        }
        return outcome
    }

    /// A chunk size and a longest line, small and picked from the input (so a crash replays):
    /// lines then cross chunk boundaries, the buffer grows, and long lines are refused.
    private static func smallLimits(_ seed: UnsafeBufferPointer<UInt8>) -> (chunk: Int, maxLine: Int) {
        var hash: UInt32 = 0x811C_9DC5
        for byte in seed.prefix(64) { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        hash ^= UInt32(truncatingIfNeeded: seed.count)
        let chunk = 16 + Int(hash % 61)
        let maxLine = hash & 0x300 == 0 ? 8 + Int(hash >> 10) % 300 : LineSource.defaultMaxLineLength
        return (chunk, maxLine)
    }

    /// Reads `path` with `LineSource` in small chunks and compares its lines with `expected`
    /// split at `\n` (a `\r` before it dropped; a last line without `\n` is a line too).
    private static func checkLines(path: String, expected: UnsafeBufferPointer<UInt8>, seed: UnsafeBufferPointer<UInt8>) {
        let (chunk, maxLine) = smallLimits(seed)
        // The reference: each line's bytes (without `\n`).
        var reference: [ArraySlice<UInt8>] = []
        var start = 0
        for index in 0..<expected.count where expected[index] == 0x0A {
            reference.append(ArraySlice(expected[start..<index]))
            start = index + 1
        }
        let unterminated = start < expected.count
        if unterminated { reference.append(ArraySlice(expected[start...])) }
        func stripped(_ raw: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
            raw.last == 0x0D ? raw.dropLast() : raw
        }
        let source: LineSource
        do {
            source = try LineSource(path: path, chunkSize: chunk, maxLineLength: maxLine)
        } catch {
            fatalError("LineSource cannot open a readable file: \(error)")
        }
        var count = 0
        do {
            while let line = try source.nextLine() {
                guard count < reference.count else {
                    fatalError("LineSource hands out line \(count + 1) of a file of \(reference.count) lines "
                               + "(chunk \(chunk), max \(maxLine))")
                }
                let want = stripped(reference[count])
                guard line.elementsEqual(want) else {
                    fatalError("line \(count + 1) is \(show(Array(line))), expected \(show(Array(want))) "
                               + "(chunk \(chunk), max \(maxLine))")
                }
                count += 1
                guard source.lineNumber == count else { fatalError("lineNumber \(source.lineNumber) at line \(count)") }
                let isLast = count == reference.count
                guard source.lastLineUnterminated == (isLast && unterminated) else {
                    fatalError("lastLineUnterminated is \(source.lastLineUnterminated) at line \(count) of "
                               + "\(reference.count) (chunk \(chunk), max \(maxLine))")
                }
            }
            guard count == reference.count else {
                fatalError("LineSource ends after \(count) of \(reference.count) lines (chunk \(chunk), max \(maxLine))")
            }
            // Every line fits; none may be longer than allowed.
            if let long = reference.firstIndex(where: { stripped($0).count > maxLine }) {
                fatalError("line \(long + 1) is longer than \(maxLine) bytes but was accepted")
            }
        } catch {
            // Only a line that is too long may fail (the data is intact), and it must be one.
            guard error.message.hasPrefix("line longer than") else {
                fatalError("LineSource fails on intact data at line \(error.line): \(error)")
            }
            guard error.line == count + 1, error.line <= reference.count, reference[error.line - 1].count > maxLine else {
                fatalError("\"\(error.message)\" at line \(error.line) after \(count) good lines; raw lengths "
                           + "\(reference.prefix(count + 2).map(\.count)), max \(maxLine), chunk \(chunk)")
            }
        }
    }

    /// Reads `path` with `LineSource` in small chunks to its end or first error (damaged data:
    /// only crashes and hangs are findings).
    private static func drainLines(path: String, seed: UnsafeBufferPointer<UInt8>) {
        let (chunk, maxLine) = smallLimits(seed)
        guard let source = try? LineSource(path: path, chunkSize: chunk, maxLineLength: maxLine) else { return }
        while let line = try? source.nextLine() {
            guard line.count <= maxLine else { fatalError("a line of \(line.count) bytes passed a limit of \(maxLine)") }
        }
    }

    // MARK: helpers

    /// Replaces the file at `path` with `bytes`.
    private static func store(_ bytes: UnsafeBufferPointer<UInt8>, at path: String) {
        // A new file each time: truncating and rewriting one makes ext4 write it out on close
        // (its auto_da_alloc), a disk write per input.
        unlink(path)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { fatalError("cannot write \(path)") }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            guard n > 0 else { fatalError("cannot write \(path)") }
            done += n
        }
    }

    /// Bytes for a message: printable ASCII as is, the rest as \xNN.
    private static func show(_ bytes: [UInt8]) -> String {
        var out = ""
        for byte in bytes.prefix(400) {
            if byte >= 0x20 && byte < 0x7F { out.unicodeScalars.append(Unicode.Scalar(byte)) }
            else { out += "\\x" + String(byte, radix: 16) }
        }
        return bytes.count > 400 ? out + "..." : out
    }
}

/// Writes `message` and a newline to standard error.
func complain(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
