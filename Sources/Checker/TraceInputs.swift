import Foundation
import Trace

/// Turns the paths a user named into the trace files to read.
public enum TraceInputs {
    /// Files named are taken as they are; a directory contributes the `.jsonl` and `.jsonl.gz`
    /// files directly inside it, sorted by name. Nothing to read is an input error.
    public static func files(for arguments: [String]) throws(TraceInputError) -> [String] {
        var files: [String] = []
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
                let traces = names.filter { $0.hasSuffix(".jsonl") || $0.hasSuffix(".jsonl.gz") }.sorted()
                let base = argument.hasSuffix("/") ? argument : argument + "/"
                files += traces.map { base + $0 }
            } else {
                files.append(argument)
            }
        }
        guard !files.isEmpty else {
            let named = arguments.isEmpty ? "no paths given" : "no .jsonl or .jsonl.gz files in \(arguments.joined(separator: ", "))"
            throw TraceInputError(file: "", line: 0, message: "nothing to read: \(named)")
        }
        return files
    }
}
