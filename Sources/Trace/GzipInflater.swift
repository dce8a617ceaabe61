import CZlib
import SystemPackage

/// Why gzip data could not be inflated: corrupt or truncated data, or a failed read.
struct GzipError: Error, Sendable, Equatable {
    /// What went wrong, in plain words.
    var message: String
}

/// Inflates the gzip data of an open file, member after member, into caller buffers.
///
/// Every member of a multi-member gzip file is read: at the end of one member, zlib is reset
/// and the next member starts with the remaining input. The inflater owns the `z_stream`
/// (zlib keeps a pointer back to it, so it lives at a fixed address) and its input buffer.
/// Not thread-safe: one reader at a time.
final class GzipInflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableBufferPointer<UInt8>
    /// Compressed bytes read from the file so far (after the prefix the caller read).
    private(set) var inputBytesRead = 0
    private let fd: FileDescriptor
    private var fileAtEnd = false
    /// True while inside a member: bytes of it were consumed and its end not yet seen.
    private var inMember = false
    /// True once the last member ended and the file is exhausted.
    private var finished = false
    /// An error met after some bytes were inflated: thrown by the next `read`, so that the
    /// lines before the damage are read first.
    private var pendingError: GzipError?
    /// Whether a file that ends inside a member (a capture cut off mid-write) ends the data
    /// there, rather than being an error.
    var acceptsCutEnd = false

    /// Starts inflating `fd`, whose first bytes (already read by the caller) are `prefix`.
    ///
    /// The caller keeps ownership of `fd`; the inflater only reads from it.
    init(fd: FileDescriptor, prefix: UnsafeBufferPointer<UInt8>, chunkSize: Int) throws(GzipError) {
        self.fd = fd
        self.input = .allocate(capacity: max(chunkSize, prefix.count, 64))
        self.stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        if let source = prefix.baseAddress, !prefix.isEmpty {
            input.baseAddress!.update(from: source, count: prefix.count)
        }
        stream.pointee.next_in = input.baseAddress
        stream.pointee.avail_in = UInt32(prefix.count)
        // windowBits 15 + 32: the largest window, and detect a gzip (or zlib) header.
        let rc = inflateInit2_(stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            input.deallocate()
            throw GzipError(message: "cannot start zlib (error \(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
    }

    /// Inflates up to `out.count` bytes into `out`; returns how many, 0 at the end of the data.
    func read(into out: UnsafeMutableBufferPointer<UInt8>) throws(GzipError) -> Int {
        if let pendingError { throw pendingError }
        guard !finished, let outBase = out.baseAddress, !out.isEmpty else { return 0 }
        while true {
            if stream.pointee.avail_in == 0 {
                try refill()
                if stream.pointee.avail_in == 0 {
                    // The file is exhausted: fine between members, not inside one.
                    if inMember && !acceptsCutEnd {
                        throw GzipError(message: "corrupt gzip data: the file ends inside a gzip member; if the "
                            + "capture was cut off mid-write, check with --truncated")
                    }
                    finished = true
                    return 0
                }
            }
            stream.pointee.next_out = outBase
            stream.pointee.avail_out = UInt32(clamping: out.count)
            let availableBefore = stream.pointee.avail_in
            let rc = inflate(stream, Z_NO_FLUSH)
            if stream.pointee.avail_in != availableBefore { inMember = true }
            let produced = out.count - Int(stream.pointee.avail_out)
            do {
                try check(rc)
            } catch {
                guard produced > 0 else { throw error }
                pendingError = error
                return produced
            }
            if produced > 0 { return produced }
            if rc == Z_BUF_ERROR && stream.pointee.avail_in > 0 {
                throw GzipError(message: "corrupt gzip data: zlib makes no progress")
            }
        }
    }

    /// Carries out what inflate's return code `rc` asks for, or throws the error it reports.
    private func check(_ rc: Int32) throws(GzipError) {
        switch rc {
        case Z_OK:
            break
        case Z_STREAM_END:
            // One member done; the next one, if any, starts with the remaining input.
            inMember = false
            guard inflateReset(stream) == Z_OK else {
                throw GzipError(message: "cannot restart zlib after a gzip member")
            }
        case Z_BUF_ERROR:
            // No progress possible without more input; the loop refills.
            break
        case Z_NEED_DICT:
            throw GzipError(message: "corrupt gzip data: a preset dictionary is required")
        case Z_MEM_ERROR:
            throw GzipError(message: "out of memory while inflating gzip data")
        default:
            throw GzipError(message: "corrupt gzip data: \(zlibMessage(rc))")
        }
    }

    /// Reads the next chunk of compressed bytes, unless the file is at its end.
    private func refill() throws(GzipError) {
        guard !fileAtEnd else { return }
        do {
            let count = try fd.read(into: UnsafeMutableRawBufferPointer(input))
            if count == 0 { fileAtEnd = true }
            inputBytesRead += count
            stream.pointee.next_in = input.baseAddress
            stream.pointee.avail_in = UInt32(count)
        } catch {
            throw GzipError(message: "cannot read: \(error)")
        }
    }

    /// zlib's message for the stream's last error, or the error code.
    private func zlibMessage(_ rc: Int32) -> String {
        if let message = stream.pointee.msg { return String(cString: message) }
        return "zlib error \(rc)"
    }
}
