import ArgumentParser
import Foundation
import MirrorLive

/// `plumb mirror`: the mirror as two controllers, one process each (`secondary`, `primary`),
/// with the shared key they need (`keygen`) and a look inside the secondary's log (`log`).
struct MirrorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror",
        abstract: "Run the mirror as two controllers: a secondary and a primary, one process each.",
        discussion: """
            The two controllers share nothing but the network and a key file. Start the \
            secondary first; it listens, keeps its copy of the log in a file it fsyncs before it \
            acknowledges, and takes over when every path of the primary has gone down (a crash, \
            `kill -9`) without the primary saying goodbye. Then start the primary; it opens one \
            TCP connection per path, writes its records, and ends cleanly.

            Examples (on one machine: two terminals, or `&`):
              plumb mirror keygen /tmp/mirror.key
              plumb mirror secondary --listen 127.0.0.1:7400,127.0.0.1:7401 \\
                --key-file /tmp/mirror.key --log /tmp/s.log --trace /tmp/secondary.jsonl
              plumb mirror primary --connect 127.0.0.1:7400,127.0.0.1:7401 \\
                --key-file /tmp/mirror.key --trace /tmp/primary.jsonl --records 100000
              plumb check /tmp/primary.jsonl /tmp/secondary.jsonl

            After `kill -9` of the primary, its trace is left as primary.jsonl.partial: check it \
            with `plumb check --truncated /tmp/primary.jsonl.partial /tmp/secondary.jsonl`.
            `plumb record mirror` runs both in one process, for a quick demonstration.
            """,
        subcommands: [MirrorSecondaryCommand.self, MirrorPrimaryCommand.self, MirrorKeygen.self, MirrorLogCommand.self]
    )
}

/// `plumb mirror keygen FILE`: a fresh key file, mode 0600.
struct MirrorKeygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a fresh random shared key to a new key file (mode 0600).",
        discussion: """
            Copy the file to both controllers (keeping it readable by its owner only): a path's \
            handshake proves both ends hold it without sending it, and every frame after the \
            handshake is authenticated with keys derived from it.

            Key file format (version 1), text: lines that are empty or start with `#` are \
            comments, and exactly one line reads
              plumb-mirror-key-v1 HEX
            with the key in hexadecimal, 32 to 128 digits (16 to 64 bytes; keygen writes 32 \
            random bytes). A key file that group or others may read or write is refused, as ssh \
            refuses such a private key (exit 2): `chmod 600 FILE`. An existing FILE is never \
            overwritten.
            """
    )

    @Argument(help: ArgumentHelp("The key file to create.", valueName: "FILE"))
    var file: String

    func validate() throws {
        try MirrorKeyOption.checkFile(file)
        if FileManager.default.fileExists(atPath: file) {
            throw ValidationError("\(file) exists; keygen never overwrites a key file (remove it first, or choose another name).")
        }
    }

    func run() throws {
        do {
            _ = try MirrorSharedKey.generate(keyFile: file)
        } catch {
            throw ValidationError("\(error)")
        }
        print("wrote a new shared key to \(file) (mode 0600); give both controllers a copy")
    }
}

/// Reading a `--key-file` for the mirror commands: a problem with it is a usage error (exit 2).
enum MirrorKeyOption {
    /// The key in `path`, or a `ValidationError` naming the file and what is wrong.
    static func load(_ path: String) throws -> MirrorSharedKey {
        do {
            return try MirrorSharedKey.read(keyFile: path)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// Refuses (exit 2) a file path that cannot be written, naming it and why (`OutputError`).
    /// A bare name is checked as `./NAME`, which is the same file.
    static func checkFile(_ path: String) throws {
        do {
            try OutputError.checkFile(path.contains("/") ? path : "./" + path)
        } catch let error as OutputError {
            throw ValidationError(OutputError(path: path, reason: error.reason).description)
        }
    }

    /// `HOST:PORT,...` as addresses, or a `ValidationError` naming the option and the entry.
    static func addresses(_ text: String, option: String) throws -> [MirrorAddress] {
        let entries = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return try entries.map { entry in
            guard let address = MirrorAddress(parsing: entry) else {
                throw ValidationError("\(option): '\(entry)' is not HOST:PORT (e.g. 127.0.0.1:7400, or [::1]:7400 for IPv6).")
            }
            return address
        }
    }
}
