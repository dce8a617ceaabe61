import Foundation
import Trace

/// Turns the paths a user named into the trace files to read.
public enum TraceInputs {
    /// What the paths named: the files to read, and the recordings in the directories named
    /// that were skipped because they are still being written or were cut short.
    public struct Selection: Sendable, Equatable {
        /// The trace files to read, in order.
        public var files: [String]
        /// Files in the directories named whose names mark them unfinished (`NAME.partial`,
        /// see `isPartial`), sorted by name: not read.
        public var skippedPartial: [String]
    }

    /// Whether a file name marks a recording still being written or cut short: a trace name
    /// (`.jsonl`, `.jsonl.gz`) with `.partial` after it (`primary.jsonl.partial`,
    /// `primary.jsonl.gz.partial`), or such a file compressed later (`primary.jsonl.partial.gz`).
    package static func isPartial(_ name: String) -> Bool {
        var stem = Substring(name)
        if stem.hasSuffix(".gz") { stem = stem.dropLast(3) }
        guard stem.hasSuffix(".partial") else { return false }
        stem = stem.dropLast(8)
        return stem.hasSuffix(".jsonl") || stem.hasSuffix(".jsonl.gz")
    }

    /// Files named are taken as they are (a `.partial` file too); a directory contributes the
    /// `.jsonl` and `.jsonl.gz` files directly inside it, sorted by name, and its `.partial`
    /// recordings are skipped and listed. Nothing to read is an input error (naming any
    /// skipped file).
    public static func select(_ arguments: [String]) throws(TraceInputError) -> Selection {
        var files: [String] = []
        var skipped: [String] = []
        let fm = FileManager.default
        for argument in arguments {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                throw TraceInputError(file: argument, line: 0, message: "no such file or directory")
            }
            if isDirectory.boolValue {
                let names: [String]
                do { names = try fm.contentsOfDirectory(atPath: argument) } catch {
                    throw TraceInputError(file: argument, line: 0, message: "cannot list the directory: \(error.localizedDescription)")
                }
                let base = argument.hasSuffix("/") ? argument : argument + "/"
                // Files only: a subdirectory is never read, whatever its name.
                let traces = names.filter { name in
                    var isSub: ObjCBool = false
                    return (name.hasSuffix(".jsonl") || name.hasSuffix(".jsonl.gz"))
                        && !(fm.fileExists(atPath: argument + "/" + name, isDirectory: &isSub) && isSub.boolValue)
                }.sorted()
                files += traces.map { base + $0 }
                skipped += names.filter(isPartial).sorted().map { base + $0 }
            } else {
                files.append(argument)
            }
        }
        guard !files.isEmpty else {
            var named = arguments.isEmpty ? "no paths given" : "no .jsonl or .jsonl.gz files in \(arguments.joined(separator: ", "))"
            if !skipped.isEmpty { named += "; " + skippedNote(skipped) }
            throw TraceInputError(file: arguments.count == 1 ? arguments[0] : "", line: 0, message: "nothing to read: \(named)")
        }
        return Selection(files: files, skippedPartial: skipped)
    }

    /// The files `select` reads (skipped `.partial` files are left out silently).
    package static func files(for arguments: [String]) throws(TraceInputError) -> [String] {
        try select(arguments).files
    }

    /// The sentence that reports skipped `.partial` files, e.g. "skipped 1 file still being
    /// written or cut short: DIR/primary.jsonl.partial; name it to check it, with --truncated
    /// if it was cut".
    package static func skippedNote(_ skipped: [String]) -> String {
        let one = skipped.count == 1
        return "skipped \(skipped.count) file\(one ? "" : "s") still being written or cut short: "
            + skipped.joined(separator: ", ")
            + "; name \(one ? "it" : "them") to check \(one ? "it" : "them"), with --truncated if \(one ? "it was" : "they were") cut"
    }
}
