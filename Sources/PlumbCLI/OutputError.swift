import ArgumentParser
import Checker
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An output file or folder that cannot be written (`replay --out`, `explore --out`, `record
/// ... --out`, a bench's `--dir`): the path and the reason in plain words, e.g. `cannot write
/// /missing/dir/x.jsonl: the folder /missing/dir does not exist`. `Plumb.main` prints it and
/// exits 2 (bad input or usage: the path given), never 1, which means a violation.
///
/// `checkFolder`/`checkFile` refuse a path that cannot be written before a command starts its
/// work (from `validate()`, without creating anything); `write` and `createFolder` are the
/// writes themselves, turning Foundation's errors into this one.
struct OutputError: Error, CustomStringConvertible {
    /// The exit code of a command that could not write its output: 2, bad input or usage.
    static let exitCode: Int32 = 2

    /// The path that could not be written.
    var path: String
    /// Why, in plain words.
    var reason: String

    /// `cannot write PATH: REASON`.
    var description: String { "cannot write \(path): \(reason)" }

    /// Writes `data` to the file `path` (atomically: a whole file or none), or throws why not.
    /// A link is written through, to the file it names; `/dev/stdout` and `/dev/stderr` go to
    /// the process's own streams, and another device, pipe or `/proc` file is written in place,
    /// since replacing it would destroy it.
    static func write(_ data: Data, to path: String) throws {
        try checkFile(path)
        let bytes = [UInt8](data)
        switch destination(of: path) {
        case .stream(let fd):
            try writeAll(bytes, to: fd, name: path)
        case .inPlace:
            let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
            guard fd >= 0 else { throw OutputError(path: path, reason: reason(errno: errno, path: path)) }
            defer { close(fd) }
            try writeAll(bytes, to: fd, name: path)
        case .atomic(let target):
            do {
                try data.write(to: URL(fileURLWithPath: target), options: .atomic)
            } catch {
                throw OutputError(path: path, reason: reason(for: error, path: target))
            }
        }
    }

    /// Where a write to a path goes (see `write`).
    enum Destination: Equatable {
        /// One of the process's own streams, by descriptor (its offset, not the file's start).
        case stream(Int32)
        /// The path itself, opened and written: a device, a pipe, a file under /proc.
        case inPlace
        /// A new file renamed over `target`, the end of the path's links.
        case atomic(target: String)
    }

    /// Where a write to `path` goes.
    static func destination(of path: String) -> Destination {
        func stream(_ p: String) -> Int32? {
            switch p {
            case "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1": 1
            case "/dev/stderr", "/dev/fd/2", "/proc/self/fd/2": 2
            default: nil
            }
        }
        // The kernel's own links (/proc/self/fd/N, /dev/fd/N) name open files, not paths: the
        // links are followed only up to one of them.
        func system(_ p: String) -> Bool { p.hasPrefix("/dev/") || p.hasPrefix("/proc/") }
        var hop = path
        for _ in 0..<40 {
            if let fd = stream(hop) { return .stream(fd) }
            if system(hop) { return .inPlace }
            guard let next = try? FileManager.default.destinationOfSymbolicLink(atPath: hop) else { break }
            hop = next.hasPrefix("/") ? next : parent(of: hop) + "/" + next
        }
        return isSpecial(path) ? .inPlace : .atomic(target: hop)
    }

    /// Writes all of `bytes` to the descriptor `fd`, or throws why not, naming `name`.
    private static func writeAll(_ bytes: [UInt8], to fd: Int32, name: String) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw OutputError(path: name, reason: standardOutputReason(errno))
                }
                offset += n
            }
        }
    }

    /// A system error number on `path`, in plain words (as `reason(for:path:)` gives them).
    private static func reason(errno code: Int32, path: String) -> String {
        reason(for: NSError(domain: NSPOSIXErrorDomain, code: Int(code)), path: path)
    }

    /// Writes all of `bytes` to standard output, or throws an `OutputError` (exit 2) saying why.
    static func writeStandardOutput(_ bytes: [UInt8]) throws {
        try writeAll(bytes, to: 1, name: "standard output")
    }

    /// Why a stream (standard output, a pipe, a device) could not be written, from the write's `errno`.
    static func standardOutputReason(_ code: Int32) -> String {
        switch code {
        case EPIPE: "the reader closed the pipe"
        case ENOSPC: "no space left on the device"
        default: String(cString: strerror(code))
        }
    }

    /// Whether `path` exists and (through its links) is neither a regular file nor a folder: a
    /// device, a pipe or a socket.
    static func isSpecial(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        let type = info.st_mode & S_IFMT
        return type != S_IFREG && type != S_IFDIR
    }

    /// Creates the folder `path` and any missing parents, or throws why not.
    static func createFolder(_ path: String) throws {
        try checkFolder(path)
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw OutputError(path: path, reason: reason(for: error, path: path))
        }
    }

    /// Throws unless a file can be written at `path`: its folder exists and is a writable
    /// folder, and `path` is not a folder. Creates nothing.
    static func checkFile(_ path: String) throws {
        guard !path.isEmpty else { throw OutputError(path: path, reason: "an empty name is no file") }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw OutputError(path: path, reason: "it is a folder, not a file")
        }
        let target: String
        switch destination(of: path) {
        case .stream:
            return
        case .inPlace:
            // Written in place (see `write`): its folder need not be writable, it must be.
            guard access(path, W_OK) == 0 else {
                throw OutputError(path: path, reason: FileManager.default.fileExists(atPath: path)
                    ? "permission denied (\(String(cString: strerror(errno))))"
                    : "nothing can be created there (a system folder)")
            }
            return
        case .atomic(let end):
            target = end
        }
        let folder = parent(of: target)
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) else {
            throw OutputError(path: path, reason: "the folder \(folder) does not exist")
        }
        guard isFolder.boolValue else { throw OutputError(path: path, reason: "\(folder) is a file, not a folder") }
        guard access(folder, W_OK) == 0 else {
            throw OutputError(path: path, reason: "the folder \(folder) is not writable (\(String(cString: strerror(errno))))")
        }
    }

    /// Throws unless the folder `path` exists or can be created: `path` is a writable folder,
    /// or its nearest existing ancestor is one. Creates nothing.
    static func checkFolder(_ path: String) throws {
        guard !path.isEmpty else { throw OutputError(path: path, reason: "an empty name is no folder (use . for this one)") }
        var isFolder: ObjCBool = false
        var existing = path
        while !FileManager.default.fileExists(atPath: existing, isDirectory: &isFolder) {
            let up = parent(of: existing)
            if up == existing { break }
            existing = up
        }
        guard isFolder.boolValue else {
            throw OutputError(path: path, reason: existing == path ? "it is a file, not a folder" : "\(existing) is a file, not a folder")
        }
        guard access(existing, W_OK) == 0 else {
            let what = existing == path ? "it is not writable" : "\(existing) is not writable, so nothing can be created in it"
            throw OutputError(path: path, reason: "\(what) (\(String(cString: strerror(errno))))")
        }
    }

    /// Runs `body`, which writes `path`, turning whatever it throws into an `OutputError`.
    static func writing<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as OutputError {
            throw error
        } catch {
            throw OutputError(path: path, reason: reason(for: error, path: path))
        }
    }

    /// `body`, a recording into the folder `folder`, with a file-system error it throws (a
    /// system error number, or Foundation's file error) turned into an `OutputError` naming
    /// the folder; other errors (a peer, a refused address) pass as they are.
    static func recording<T>(into folder: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as OutputError {
            throw error
        } catch {
            let ns = error as NSError
            let isErrno = String(reflecting: type(of: error)).hasSuffix(".Errno")
            guard isErrno || ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { throw error }
            throw OutputError(path: folder, reason: reason(for: error, path: folder + "/x"))
        }
    }

    /// `checkFile` for `validate()`: the refusal as a usage error (exit 2, with the usage line).
    static func validateFile(_ path: String) throws {
        do { try checkFile(path) } catch let error as OutputError { throw ValidationError(error.description) }
    }

    /// The file among those `plumb check` reads for `inputs` (files, and the trace files
    /// directly inside folders; `-` is standard input, no file) that is the very file `out`
    /// names (the same device and inode), if any: an output written there would overwrite it.
    static func inputFile(named out: String, among inputs: [String]) -> String? {
        guard let target = identity(of: out) else { return nil }
        // Standard input redirected from the very file.
        var input = stat()
        if inputs.contains("-"), fstat(STDIN_FILENO, &input) == 0, input.st_dev == target.device, input.st_ino == target.inode {
            return "standard input"
        }
        // Argument by argument: one that cannot be read (checked later) hides no other.
        let files = inputs.filter { $0 != "-" }.flatMap { input in (try? TraceInputs.select([input]).files) ?? [input] }
        return files.first { identity(of: $0).map { $0 == target } ?? false }
    }

    /// The folder among `inputs` that `out` would be read from as part of the trace (a
    /// `.jsonl` or `.jsonl.gz` name directly inside it), if any: the trace checked again by the
    /// same command would then hold the output too.
    static func inputFolder(holding out: String, among inputs: [String]) -> String? {
        let name = out.split(separator: "/").last.map(String.init) ?? out
        guard name.hasSuffix(".jsonl") || name.hasSuffix(".jsonl.gz"), let folder = identity(of: parent(of: out)) else {
            return nil
        }
        return inputs.first { input in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: input, isDirectory: &isFolder) && isFolder.boolValue
                && identity(of: input).map { $0 == folder } == true
        }
    }

    /// The device and inode of the file at `path` (what makes two paths one file), if it exists.
    static func identity(of path: String) -> (device: UInt, inode: UInt)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (UInt(info.st_dev), UInt(info.st_ino))
    }

    /// Refuses (for `validate()`, exit 2) two of a command's files that are one file: `named`
    /// gives each option and its path (nil: not given), and a trace path stands for its
    /// `.partial` too (`partial`). Paths are compared by their standardized spelling and, when
    /// both exist, by device and inode, so a link or `./x` is the same file.
    static func refuseSameFile(_ named: [(flag: String, path: String?)], partial: Set<String> = []) throws {
        func spellings(_ flag: String, _ path: String) -> [String] {
            let plain = URL(fileURLWithPath: path).standardizedFileURL.path
            return partial.contains(flag) ? [plain, plain + ".partial"] : [plain]
        }
        func same(_ a: String, _ b: String) -> Bool {
            if let x = identity(of: a), let y = identity(of: b) { return x == y }
            return a == b
        }
        let given = named.compactMap { item in item.path.map { (item.flag, $0) } }
        for i in given.indices {
            for j in given.indices where j > i {
                let (a, b) = (given[i], given[j])
                if spellings(a.0, a.1).contains(where: { x in spellings(b.0, b.1).contains { same(x, $0) } }) {
                    throw ValidationError("\(a.0) \(a.1) and \(b.0) \(b.1) are one file: writing one would destroy "
                                          + "the other. Name two files.")
                }
            }
        }
    }

    /// `checkFolder` for `validate()`: the refusal as a usage error (exit 2, with the usage line).
    static func validateFolder(_ path: String) throws {
        do { try checkFolder(path) } catch let error as OutputError { throw ValidationError(error.description) }
    }

    /// The folder holding `path` (`.` for a bare name).
    static func parent(of path: String) -> String {
        // Not `NSString.deletingLastPathComponent`, which traps on some one-letter names.
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }

    /// Foundation's or the system's error writing `path`, in plain words.
    static func reason(for error: any Error, path: String) -> String {
        let ns = error as NSError
        // An errno: SystemPackage's `Errno` (what `FileRecorder` throws), or a POSIX NSError.
        let code = ((error as? any RawRepresentable)?.rawValue as? Int32).map(Int.init)
        let posix = code ?? (ns.userInfo[NSUnderlyingErrorKey] as? NSError).flatMap { $0.domain == NSPOSIXErrorDomain ? $0.code : nil }
            ?? (ns.domain == NSPOSIXErrorDomain ? ns.code : nil)
        if let posix {
            switch Int32(posix) {
            case ENOENT where FileManager.default.fileExists(atPath: parent(of: path)):
                // The folder is there and refuses new names (/proc, /sys): not "does not exist".
                return "nothing can be created in \(parent(of: path)) (No such file or directory)"
            case ENOENT: return "the folder \(parent(of: path)) does not exist"
            case ENOTDIR: return "a part of the path is a file, not a folder"
            case EACCES, EPERM: return "permission denied"
            case ENOSPC: return "no space left on the device"
            case EROFS: return "the file system is read-only"
            case EISDIR: return "it is a folder, not a file"
            default: return String(cString: strerror(Int32(posix)))
            }
        }
        switch ns.code {
        case NSFileNoSuchFileError where FileManager.default.fileExists(atPath: parent(of: path)):
            return "nothing can be created in \(parent(of: path)) (No such file or directory)"
        case NSFileNoSuchFileError:
            return "the folder \(parent(of: path)) does not exist"
        case NSFileWriteNoPermissionError where !FileManager.default.fileExists(atPath: parent(of: path)):
            return "the folder \(parent(of: path)) does not exist"
        case NSFileWriteNoPermissionError: return "permission denied"
        case NSFileWriteOutOfSpaceError: return "no space left on the device"
        case NSFileWriteVolumeReadOnlyError: return "the file system is read-only"
        default: return ns.localizedDescription
        }
    }
}
