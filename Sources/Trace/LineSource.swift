import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file as a stream of lines in bounded memory.
///
/// The file is read in chunks (1 MiB by default) into one buffer; each line is handed out as a
/// view into that buffer, without the line end (`\n`, or `\r\n` with the `\r` stripped). A last
/// line without a newline is a line too. A file that starts with the gzip magic bytes `1f 8b`
/// is inflated, whatever its name, and every member of a multi-member gzip file is read.
///
/// Memory stays bounded by the longest line (at most `maxLineLength`) plus one chunk; a longer
/// line is an input error. The file is closed at its end or when the source is released.
/// Not thread-safe: one reader at a time.
package final class LineSource {
    /// The default size of one read from the file: 256 KiB, so that a chunk is parsed while
    /// its copy is still in the cache.
    package static let defaultChunkSize = 1 << 18
    /// The default longest line accepted: 16 MiB.
    package static let defaultMaxLineLength = 16 << 20

    /// The file's path, as given to `init`; errors name it.
    package let path: String
    /// The number of lines handed out so far, i.e. the 1-based number of the latest line.
    @exclusivity(unchecked) package private(set) var lineNumber = 0
    /// Whether the file is gzip data (it starts with `1f 8b`).
    package private(set) var isGzip = false
    /// Whether the latest line handed out is the file's last and had no newline after it
    /// (what a writer cut off mid-line leaves; see `--truncated`).
    @exclusivity(unchecked) package private(set) var lastLineUnterminated = false

    /// Bytes of the file read so far (of the compressed file, for gzip): how far through the
    /// file a progress line is.
    @exclusivity(unchecked) package private(set) var bytesRead = 0
    /// For gzip, the bytes read before inflating began (the magic bytes and what came with them).
    private var prefixBytes = 0

    @exclusivity(unchecked) private var buffer: UnsafeMutableBufferPointer<UInt8>
    /// Unread bytes are `buffer[start..<end]`.
    @exclusivity(unchecked) private var start = 0
    @exclusivity(unchecked) private var end = 0
    /// Bytes `buffer[start..<scanned]` are known to hold no newline.
    @exclusivity(unchecked) private var scanned = 0
    @exclusivity(unchecked) private var atEnd = false
    private var fd: FileDescriptor?
    private var inflater: GzipInflater?
    private let chunkSize: Int
    private let maxLineLength: Int

    /// Opens `path` and reads its first chunk to tell gzip from plain text.
    ///
    /// Throws a `TraceInputError` naming the file: at line 0 when it cannot be opened, at
    /// line 1 when its first bytes cannot be read or zlib cannot start. With `acceptsCutGzip`,
    /// gzip data that stops inside a member (a capture cut off) ends there, its last line
    /// likely cut (`lastLineUnterminated`); otherwise that is an error.
    package init(
        path: String, chunkSize: Int = LineSource.defaultChunkSize,
        maxLineLength: Int = LineSource.defaultMaxLineLength, acceptsCutGzip: Bool = false
    ) throws(TraceInputError) {
        self.path = path
        self.chunkSize = max(chunkSize, 16)
        self.maxLineLength = max(maxLineLength, 1)
        self.buffer = .allocate(capacity: 2 * self.chunkSize)
        do {
            fd = try FileDescriptor.open(FilePath(path), .readOnly)
        } catch {
            throw TraceInputError(file: path, line: 0, message: "cannot open: \(error)")
        }
        // Read until the two magic bytes can be seen (a pipe may deliver fewer).
        while end < 2 && !atEnd {
            try fillFromFile()
        }
        if end >= 2 && buffer[0] == 0x1F && buffer[1] == 0x8B {
            isGzip = true
            do {
                inflater = try GzipInflater(
                    fd: fd!, prefix: UnsafeBufferPointer(rebasing: buffer[0..<end]),
                    chunkSize: self.chunkSize)
            } catch {
                throw TraceInputError(file: path, line: 1, message: error.message)
            }
            inflater?.acceptsCutEnd = acceptsCutGzip
            prefixBytes = bytesRead
            end = 0
            atEnd = false
        }
    }

    deinit {
        closeFile()
        buffer.deallocate()
    }

    /// The next line without its line end, or nil at the end of the file.
    ///
    /// The bytes stay valid only until the next call or until the source is released; copy
    /// what must outlive that. Throws a `TraceInputError` naming the file and the line being
    /// read when the file cannot be read, its gzip data is corrupt, or the line is too long.
    package func nextLine() throws(TraceInputError) -> UnsafeBufferPointer<UInt8>? {
        while true {
            let base = buffer.baseAddress!  // again each time: makeRoom may move the buffer
            if scanned < end,
               let hit = memchr(base + scanned, 0x0A, end - scanned) {
                let newline = hit.assumingMemoryBound(to: UInt8.self) - base
                return try takeLine(upTo: newline, consumed: newline + 1)
            }
            scanned = end
            if atEnd {
                guard start < end else {
                    closeFile()
                    return nil
                }
                // A last line without a newline.
                lastLineUnterminated = true
                return try takeLine(upTo: end, consumed: end)
            }
            try makeRoom()
            try fill()
        }
    }

    /// Hands out `buffer[start..<lineEnd]` (minus a trailing `\r`) and moves past `consumed`.
    private func takeLine(upTo lineEnd: Int, consumed: Int) throws(TraceInputError) -> UnsafeBufferPointer<UInt8> {
        var stop = lineEnd
        if stop > start && buffer[stop - 1] == 0x0D { stop -= 1 }
        let line = UnsafeBufferPointer(start: buffer.baseAddress! + start, count: stop - start)
        start = consumed
        scanned = consumed
        lineNumber += 1
        if line.count > maxLineLength { throw lineTooLong(lineNumber) }
        return line
    }

    /// Moves the partial line to the front and grows the buffer when a chunk no longer fits.
    private func makeRoom() throws(TraceInputError) {
        let pending = end - start
        if pending > maxLineLength { throw lineTooLong(lineNumber + 1) }
        if start > 0 {
            if pending > 0 {
                (buffer.baseAddress! + 0).update(from: buffer.baseAddress! + start, count: pending)
            }
            scanned -= start
            start = 0
            end = pending
        }
        if buffer.count - end < chunkSize / 2 {
            let grown = UnsafeMutableBufferPointer<UInt8>.allocate(
                capacity: min(buffer.count * 2, maxLineLength + 2 * chunkSize))
            grown.baseAddress!.update(from: buffer.baseAddress!, count: end)
            buffer.deallocate()
            buffer = grown
        }
    }

    /// Appends the next bytes of the file (inflated if gzip) after `end`.
    private func fill() throws(TraceInputError) {
        guard let inflater else { return try fillFromFile() }
        let room = UnsafeMutableBufferPointer(rebasing: buffer[end...])
        do {
            let count = try inflater.read(into: room)
            if count == 0 { atEnd = true }
            end += count
            bytesRead = prefixBytes + inflater.inputBytesRead
        } catch {
            throw TraceInputError(file: path, line: lineNumber + 1, message: error.message)
        }
    }

    /// Appends the next raw bytes of the file after `end`.
    private func fillFromFile() throws(TraceInputError) {
        guard let fd else {
            atEnd = true
            return
        }
        let room = UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[end...]))
        do {
            let count = try fd.read(into: room)
            if count == 0 { atEnd = true }
            end += count
            bytesRead += count
        } catch {
            throw TraceInputError(file: path, line: lineNumber + 1, message: "cannot read: \(error)")
        }
    }

    private func lineTooLong(_ line: Int) -> TraceInputError {
        TraceInputError(
            file: path, line: line,
            message: maxLineLength % (1 << 20) == 0
                ? "line longer than \(maxLineLength >> 20) MiB"
                : "line longer than \(maxLineLength) bytes")
    }

    private func closeFile() {
        inflater = nil
        try? fd?.close()
        fd = nil
    }
}
