import Checker
import Foundation
import Trace

/// The inputs of `plumb check` (and `plumb convert`) that can be read only once, copied to temporary files: standard
/// input (`-`) and pipes (`<(zcat a.gz)`, a FIFO), so that each can be read as often as a check
/// needs (a prescan, naming a counterexample's events, the HTML page, `--minimize`). Every
/// message and report names a copy as the user did (standard input as `<stdin>`). Gzip is told
/// by its magic bytes, as for any trace file.
///
/// Not thread-safe: used by the task that runs the check.
final class CheckInputCopies {
    /// The name standard input goes by in messages.
    static let standardInputName = "<stdin>"

    /// Per copied input: the temporary file and the name the user knows it by.
    private var copies: [(path: String, name: String)] = []
    /// The temporary file of each input copied so far, by the path named (`-` for standard input).
    private var byInput: [String: String] = [:]

    /// An empty set of copies.
    init() {}

    /// `files` with standard input and every pipe (or socket) replaced by a temporary copy of
    /// it, made on first use.
    func readable(_ files: [String]) throws -> [String] {
        try files.map { file in
            if let copy = byInput[file] { return copy }
            if file == Check.standardInput {
                return try copy(file, from: FileHandle.standardInput, name: Self.standardInputName)
            }
            var info = stat()
            // Pipes and sockets only: a device such as /dev/zero would fill the disk.
            guard stat(file, &info) == 0, info.st_mode & S_IFMT == S_IFIFO || info.st_mode & S_IFMT == S_IFSOCK,
                  let handle = FileHandle(forReadingAtPath: file) else { return file }
            defer { try? handle.close() }
            return try copy(file, from: handle, name: file)
        }
    }

    /// Copies all of `input` to a new temporary file.
    private func copy(_ key: String, from input: FileHandle, name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("plumb-input-\(getpid())-\(UUID().uuidString).jsonl").path
        // Deleted if a signal ends the process while the input is still being read.
        Interrupts.shared.removeOnInterrupt(path)
        copies.append((path, name))
        byInput[key] = path
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let out = FileHandle(forWritingAtPath: path) else {
            throw OutputError(path: path, reason: "cannot create a temporary file for \(name)")
        }
        defer { try? out.close() }
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
            try out.write(contentsOf: chunk)
        }
        return path
    }

    /// Deletes the temporary files.
    func remove() {
        for copy in copies {
            try? FileManager.default.removeItem(atPath: copy.path)
            Interrupts.shared.keep(copy.path)
        }
        copies.removeAll()
        byInput.removeAll()
    }

    /// `report` with each temporary file's path replaced by the name of what it copies.
    func rename(_ report: CheckReport) -> CheckReport {
        var report = report
        for (path, name) in copies { report.files = report.files.map { $0 == path ? name : $0 } }
        report.error = report.error.map(rename)
        return report
    }

    /// `error` naming what a temporary file copies instead of the file.
    func rename(_ error: TraceInputError) -> TraceInputError {
        var error = error
        for (path, name) in copies {
            if error.file == path { error.file = name }
            error.message = error.message.replacingOccurrences(of: path, with: name)
        }
        return error
    }
}
