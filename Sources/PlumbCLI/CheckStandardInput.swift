import Checker
import Foundation
import Trace

/// `plumb check -`: standard input copied to a temporary file, so that it can be read as often
/// as a check needs (a prescan, naming a counterexample's events), and named `<stdin>` in
/// every message and report. Gzip is told by its magic bytes, as for any trace file.
struct StandardInputCopy {
    /// The name standard input goes by in messages.
    static let displayName = "<stdin>"

    /// The temporary file holding standard input.
    let path: String

    /// Copies all of standard input to a new temporary file.
    init() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("plumb-stdin-\(getpid())-\(UUID().uuidString).jsonl")
        path = url.path
        // Deleted if a signal ends the process while standard input is still being read.
        Interrupts.shared.removeOnInterrupt(path)
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let out = FileHandle(forWritingAtPath: path) else {
            Interrupts.shared.keep(path)
            throw OutputError(path: path, reason: "cannot create a temporary file for standard input")
        }
        defer { try? out.close() }
        do {
            let input = FileHandle.standardInput
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                try out.write(contentsOf: chunk)
            }
        } catch {
            remove()
            throw error
        }
    }

    /// Deletes the temporary file.
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
        Interrupts.shared.keep(path)
    }

    /// `report` with the temporary file's path replaced by `<stdin>` wherever it names it.
    func rename(_ report: CheckReport) -> CheckReport {
        var report = report
        report.files = report.files.map { $0 == path ? Self.displayName : $0 }
        if report.error?.file == path { report.error?.file = Self.displayName }
        if let error = report.error, error.message.contains(path) {
            report.error?.message = error.message.replacingOccurrences(of: path, with: Self.displayName)
        }
        return report
    }
}
