import Driver
import Foundation
import Trace

#if canImport(Glibc)
import Glibc
#endif

/// A failure of the driver bench, naming the file and the call that failed.
struct BenchIOError: Error, CustomStringConvertible {
    let description: String

    /// `path: call failed: strerror(code)`; `code` is `errno` unless given.
    init(_ path: String, _ call: String, code: Int32 = errno) {
        description = "\(path): \(call) failed: \(String(cString: strerror(code)))"
    }

    /// A failure described in full by the caller.
    init(message: String) { description = message }
}

extension DriverBench {
    /// One benchmark's file: an image size for the driver, written in full with zeros and synced
    /// once, so that every block is allocated before any run (no one pays for allocation) and its
    /// pages are cached for every run alike. The driver formats it afresh each round; the anchors
    /// write its data area, at the file offsets the driver's data area starts at.
    struct Workload: Sendable {
        /// The file.
        let path: String
        /// The staging the driver formats it with.
        let config: StagingConfig
        /// The image's layout; the anchors write from `dataStart`.
        let layout: DeviceLayout
        /// Seeds (a)'s random offsets: the driver and the anchor draw the same ones.
        let seed: UInt64

        /// Creates `path` (refusing one that exists) big enough for `dataBytes` of data area.
        init(path: String, config: StagingConfig, dataBytes: Int, seed: UInt64) throws {
            let bytes = DriverBench.imageSize(dataBytes: dataBytes, config)
            guard let layout = DeviceLayout.make(blockSize: 4096, blockCount: bytes / 4096, staging: config) else {
                throw BenchIOError(message: "\(path): no driver layout fits \(ByteCount(bytes))")
            }
            let fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0o644)
            guard fd >= 0 else {
                let code = errno
                throw BenchIOError(message: BenchIOError(path, "open(O_CREAT|O_EXCL)", code: code).description
                                   + (code == EEXIST ? " (left by an interrupted run? remove it)" : ""))
            }
            defer { close(fd) }
            do {
                let zeros = [UInt8](repeating: 0, count: 1 << 20)
                var offset = 0
                while offset < bytes {
                    try Self.pwriteAll(fd, path, zeros[..<min(zeros.count, bytes - offset)], at: offset)
                    offset += zeros.count
                }
                guard fdatasync(fd) == 0 else { throw BenchIOError(path, "fdatasync") }
            } catch {
                unlink(path)
                throw error
            }
            self.path = path
            self.config = config
            self.layout = layout
            self.seed = seed
        }

        /// Deletes the file.
        func remove() { unlink(path) }

        /// (a)'s offsets in the data area, the same sequence for the driver and the anchor.
        func smallOffsets() -> SmallOffsets {
            SmallOffsets(random: SplitMix64(seed: seed), slots: layout.dataBytes / DriverBench.smallBytes)
        }

        /// Random 512-aligned offsets of a data area.
        struct SmallOffsets {
            var random: SplitMix64
            /// 512-byte slots in the data area.
            let slots: Int
            /// The next offset, in bytes from the data area's start.
            mutating func next() -> Int { Int(random.next() % UInt64(slots)) * DriverBench.smallBytes }
        }

        /// Where the data area starts in the file.
        var dataStartBytes: Int { layout.dataStart * layout.blockSize }

        /// (a)'s anchor: pwrite of `requests` 512-byte writes at the driver's offsets, one
        /// fdatasync per 1,000 and at the end. Returns the seconds from the first pwrite to the end
        /// of the last fdatasync.
        func pwriteSmall(requests: Int) throws -> Double {
            try withOpenFile { fd in
                let payload = [UInt8](repeating: 0xA5, count: DriverBench.smallBytes)
                var offsets = smallOffsets()
                let clock = ContinuousClock()
                let started = clock.now
                for i in 1 ... requests {
                    try Self.pwriteAll(fd, path, payload[...], at: dataStartBytes + offsets.next())
                    if i % DriverBench.smallBatch == 0 || i == requests {
                        guard fdatasync(fd) == 0 else { throw BenchIOError(path, "fdatasync") }
                    }
                }
                return started.duration(to: clock.now).seconds
            }
        }

        /// (b)'s anchor: pwrite of `bytes` in order over the data area in 256 KiB requests, one
        /// fdatasync at the end. Returns the seconds from the first pwrite to the end of the fdatasync.
        func pwriteLarge(bytes: Int) throws -> Double {
            try withOpenFile { fd in
                let payload = [UInt8](repeating: 0x5A, count: DriverBench.largeChunk)
                let clock = ContinuousClock()
                let started = clock.now
                for i in 0 ..< bytes / DriverBench.largeChunk {
                    try Self.pwriteAll(fd, path, payload[...], at: dataStartBytes + i * DriverBench.largeChunk)
                }
                guard fdatasync(fd) == 0 else { throw BenchIOError(path, "fdatasync") }
                return started.duration(to: clock.now).seconds
            }
        }

        /// Runs `body` with the file open for writing.
        private func withOpenFile<T>(_ body: (Int32) throws -> T) throws -> T {
            let fd = open(path, O_RDWR)
            guard fd >= 0 else { throw BenchIOError(path, "open") }
            defer { close(fd) }
            return try body(fd)
        }

        /// pwrite of all of `bytes` at `offset`, going on after short writes and interruptions.
        private static func pwriteAll(_ fd: Int32, _ path: String, _ bytes: ArraySlice<UInt8>, at offset: Int) throws {
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeBytes { buffer in
                    pwrite(fd, buffer.baseAddress.map { $0 + done }, buffer.count - done, off_t(offset + done))
                }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw BenchIOError(path, "pwrite at \(offset + done)", code: n < 0 ? errno : EIO) }
                done += n
            }
        }
    }

    /// What fio measured for one job: its own figures from `--output-format=json`, which count
    /// the syncs (`--fdatasync`, `--end_fsync`) in its runtime.
    struct FioResult: Sendable {
        /// Writes done, and their bytes.
        var ios: Int
        var bytes: Int
        /// fio's runtime (milliseconds in its report), syncs included.
        var seconds: Double
        /// Its rates over that runtime.
        var iops: Double
        var bytesPerSecond: Double
    }

    /// fio, found on PATH: runs (a)'s and (b)'s patterns on a workload's file.
    struct Fio: Sendable {
        /// Its path.
        let executable: String
        /// What `fio --version` says, such as `fio-3.33`.
        let version: String

        /// fio if an executable of that name is on PATH and answers `--version`; nil otherwise.
        static func find() -> Fio? {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            for dir in path.split(separator: ":") {
                let candidate = "\(dir)/fio"
                guard FileManager.default.isExecutableFile(atPath: candidate),
                      let (status, out, _) = try? run(candidate, ["--version"]), status == 0 else { continue }
                return Fio(executable: candidate, version: out.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            return nil
        }

        /// (a) with fio: random 512-byte writes over the data area, fdatasync per 1,000 and at the end.
        func small(_ workload: Workload, requests: Int, directory: String) throws -> FioResult {
            try job("small", workload, directory: directory, [
                "--rw=randwrite", "--bs=\(DriverBench.smallBytes)", "--fdatasync=\(DriverBench.smallBatch)",
                "--end_fsync=1", "--size=\(workload.layout.dataBytes)", "--io_size=\(requests * DriverBench.smallBytes)",
                "--norandommap", "--randrepeat=1",
            ])
        }

        /// (b) with fio: `bytes` in order from the data area's start in 256 KiB writes, one fsync at the end.
        func large(_ workload: Workload, bytes: Int, directory: String) throws -> FioResult {
            try job("large", workload, directory: directory, [
                "--rw=write", "--bs=\(DriverBench.largeChunk / 1024)k", "--end_fsync=1", "--size=\(bytes)",
            ])
        }

        /// Runs one job on the workload's file (which it must neither create, lay out nor drop from
        /// the cache) and reads its JSON report.
        private func job(_ name: String, _ workload: Workload, directory: String, _ pattern: [String]) throws -> FioResult {
            let output = directory + "/fio-\(name).json"
            defer { unlink(output) }
            // fio splits --filename at colons unless escaped.
            let filename = workload.path.replacingOccurrences(of: ":", with: "\\:")
            let arguments = [
                "--name=plumb-\(name)", "--filename=\(filename)", "--ioengine=psync", "--offset=\(workload.dataStartBytes)",
                "--invalidate=0", "--allow_file_create=0", "--fallocate=none", "--output-format=json", "--output=\(output)",
            ] + pattern
            let command = "fio " + arguments.joined(separator: " ")
            let (status, _, errors) = try Self.run(executable, arguments)
            guard status == 0 else {
                throw BenchIOError(message: "\(workload.path): `\(command)` exited \(status): "
                                   + errors.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            guard let data = FileManager.default.contents(atPath: output) else {
                throw BenchIOError(output, "read of fio's report")
            }
            // Anything fio printed before the report (warnings) is skipped.
            guard let start = data.firstIndex(of: UInt8(ascii: "{")),
                  let report = try? Self.decoder.decode(Report.self, from: data[start...]),
                  let only = report.jobs.first, report.jobs.count == 1 else {
                throw BenchIOError(message: "\(output): `\(command)` wrote no report of one job")
            }
            guard only.error == 0 else {
                throw BenchIOError(message: "\(workload.path): `\(command)` failed with error \(only.error)")
            }
            let w = only.write
            return FioResult(ios: w.totalIos, bytes: w.ioBytes, seconds: Double(w.runtime) / 1e3, iops: w.iops,
                             bytesPerSecond: w.bwBytes)
        }

        /// The parts of fio's JSON report the bench reads.
        private struct Report: Decodable {
            /// One job: its error (0: none) and its writes.
            struct Job: Decodable {
                var error: Int
                var write: Side
            }

            /// One direction's figures; `runtime` in milliseconds.
            struct Side: Decodable {
                var totalIos: Int
                var ioBytes: Int
                var runtime: Int
                var iops: Double
                var bwBytes: Double
            }

            var jobs: [Job]
        }

        /// Reads fio's snake_case keys.
        private static var decoder: JSONDecoder {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return decoder
        }

        /// Runs `executable` with its stdout and stderr captured; its exit status and both outputs.
        private static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String, String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            do {
                try process.run()
            } catch {
                throw BenchIOError(message: "\(executable): cannot start: \(error.localizedDescription)")
            }
            // fio's outputs are small (its report goes to a file): reading one then the other cannot block.
            let stdout = out.fileHandleForReading.readDataToEndOfFile()
            let stderr = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
        }
    }
}
