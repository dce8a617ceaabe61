import ArgumentParser
import Foundation
import MirrorLive

/// `plumb mirror log FILE`: what a secondary's log file holds, checked frame by frame.
struct MirrorLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Check a secondary's log file and say what it holds.",
        discussion: """
            Reads the log file frame by frame, checking each frame's checksums, without changing \
            it. Prints the records, the distinct lsns and their range, the takeover (if the \
            secondary took over) and the bytes of a torn tail (a last write a crash cut short, \
            which the secondary cuts when it reopens the file). With --lsns, prints every lsn \
            held, one per line. Exit 0 when the file is whole or only its tail is torn; exit 2 \
            when it is not a mirror log or is damaged before its tail (the offset is named).

            Log file format (version 1, integers big-endian): a 16-byte header (the magic \
            PLMBMLOG, UInt32 version 1, UInt32 CRC-32 of those 12 bytes); then frames of \
            [UInt32 body length][UInt32 CRC-32 of the body][UInt32 CRC-32 of those 8 bytes][body]; \
            a body is type 1, a record (Int64 lsn, stream, sn; UInt64 key; UInt32 payload \
            length; payload) or type 2, the takeover (Int64 epoch).
            """
    )

    @Argument(help: ArgumentHelp("The secondary's log file.", valueName: "FILE"))
    var file: String

    @Flag(help: "Print every lsn held, one per line, after the summary.")
    var lsns = false

    func run() throws {
        let contents: MirrorLogFormat.Contents
        do {
            contents = try MirrorLogFile.contents(path: file)
        } catch {
            throw ValidationError("\(error)")
        }
        print(MirrorLogCommand.summary(contents, file: file))
        if lsns {
            for lsn in Set(contents.records.map(\.lsn)).sorted() { print(lsn) }
        }
    }

    /// The lines that say what a log holds.
    static func summary(_ contents: MirrorLogFormat.Contents, file: String) -> String {
        let lsns = contents.records.map(\.lsn)
        let distinct = Set(lsns).count
        var lines = ["\(file): \(contents.records.count) records, \(distinct) distinct lsns"
            + (lsns.isEmpty ? "" : " (\(lsns.min()!)...\(lsns.max()!))")]
        if let epoch = contents.takeoverEpoch {
            lines.append("takeover: the secondary took over at epoch \(epoch) and serves these records")
        } else {
            lines.append("takeover: none (the secondary was still mirroring)")
        }
        lines.append(contents.tornBytes > 0
            ? "torn tail: \(contents.tornBytes) bytes after offset \(contents.validLength) (cut when the secondary reopens the file)"
            : "torn tail: none")
        return lines.joined(separator: "\n")
    }
}
