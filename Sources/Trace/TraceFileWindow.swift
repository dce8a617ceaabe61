#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The files of one trace, opened lazily so that at most `maxOpen` of them are open at once,
/// each parsed on the consumer's thread (`InlineReader`) or, with `parallel`, ahead on a thread
/// of its own (`PrefetchingReader`).
///
/// The first `maxOpen` files are opened (and their headers checked) when the window is made;
/// each time an open file ends, the next unopened one (in the order given) takes its place. So
/// a trace of any number of files needs at most `maxOpen` descriptors (and reader threads), and
/// a file is opened once. Used by one thread.
struct TraceFileWindow {
    /// The files, in the order given.
    let paths: [String]
    /// The system every header must name: the first file's.
    let system: TraceSystem
    /// The most files open at once.
    let maxOpen: Int
    /// Lines dropped as cut off mid-write, summed over the files that ended.
    private(set) var droppedCutLines = 0
    /// The most files that were open at once.
    private(set) var peakOpen = 0
    /// Files not yet at their end (open or not yet opened).
    private(set) var unfinishedCount: Int

    private let allowTruncated: Bool
    /// Whether each open file is parsed on a thread of its own.
    let parallel: Bool
    /// Per file: its reader while it is open, when `parallel`.
    private var readers: [PrefetchingReader?]
    /// Per file: its reader while it is open, when not `parallel`.
    private var inlineReaders: [InlineReader?]
    /// Bytes read of the files that ended.
    private var bytesOfFinished = 0

    /// Bytes read so far of every file (of the compressed file, for gzip), a few chunks ahead
    /// of the events handed out.
    var bytesRead: Int { open.reduce(bytesOfFinished) { $0 + bytesRead(of: $1) } }

    /// Bytes read so far of open file `f`, by its reader of either kind.
    private func bytesRead(of f: Int) -> Int { readers[f]?.bytesRead ?? inlineReaders[f]?.bytesRead ?? 0 }
    /// Per file: whether it was read to its end.
    private var finished: [Bool]
    /// The open files, in the order they were opened.
    private var open: [Int] = []
    /// The first file not opened yet.
    private var nextToOpen = 0

    /// The default number of files open at once: a quarter of the soft limit on descriptors
    /// (`ulimit -n`), at least 8 and at most 256.
    static var defaultMaxOpen: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 64 }
        let soft = Int(clamping: limit.rlim_cur)  // RLIM_INFINITY is the largest value
        return min(max(soft / 4, 8), 256)
    }

    /// Opens the first `maxOpen` files and checks that their headers name one system; throws
    /// the first file's error, or one naming a header of another system. With `parallel`, each
    /// open file is parsed ahead on a thread of its own: less wall time when cores are free,
    /// more CPU time.
    init(paths: [String], allowTruncated: Bool, maxOpen: Int, parallel: Bool = false) throws(TraceInputError) {
        precondition(!paths.isEmpty)
        self.paths = paths
        self.allowTruncated = allowTruncated
        self.maxOpen = max(maxOpen, 1)
        self.parallel = parallel
        readers = Array(repeating: nil, count: paths.count)
        inlineReaders = Array(repeating: nil, count: paths.count)
        finished = Array(repeating: false, count: paths.count)
        unfinishedCount = paths.count
        let first = try Self.openFile(paths[0], index: 0, allowTruncated: allowTruncated, parallel: parallel)
        system = first.header.system
        keep(first, as: 0)
        open = [0]
        nextToOpen = 1
        peakOpen = 1
        try fill()
    }

    /// A file just opened, with its reader of either kind.
    private enum Opened {
        case ahead(PrefetchingReader)
        case inline(InlineReader)

        var header: TraceHeader {
            switch self {
            case .ahead(let reader): reader.header
            case .inline(let reader): reader.header
            }
        }
    }

    /// Opens a file, reading its header.
    private static func openFile(
        _ path: String, index: Int, allowTruncated: Bool, parallel: Bool
    ) throws(TraceInputError) -> Opened {
        parallel
            ? .ahead(try PrefetchingReader(path: path, fileIndex: index, allowTruncated: allowTruncated))
            : .inline(try InlineReader(path: path, fileIndex: index, allowTruncated: allowTruncated))
    }

    /// Keeps file `f`'s reader while the file is open.
    private mutating func keep(_ opened: Opened, as f: Int) {
        switch opened {
        case .ahead(let reader): readers[f] = reader
        case .inline(let reader): inlineReaders[f] = reader
        }
    }

    /// Whether file `f` was read to its end.
    func isFinished(_ f: Int) -> Bool { finished[f] }

    /// Whether every file was read to its end.
    var allFinished: Bool { unfinishedCount == 0 }

    /// The next item of the open file with the fewest events waiting (`buffered`, per file; the
    /// earliest opened on a tie), where it waits: the caller moves it out (`move()`) before it
    /// reads again. Returns nil once every file ended; `slot` nil when file `file` just ended
    /// (its place then goes to the next file). Throws a file's input error, having stopped
    /// every reader: the window is not to be read again then.
    mutating func read(
        fewest buffered: [Int]
    ) throws(TraceInputError) -> (file: Int, slot: UnsafeMutablePointer<TraceItem>?)? {
        guard var best = open.first else { return nil }
        for i in 1..<open.count where buffered[open[i]] < buffered[best] { best = open[i] }
        let result: Result<UnsafeMutablePointer<TraceItem>?, TraceInputError>
        if parallel {
            // As a guaranteed reference (`readers` owns it): not retained and released around
            // every event (a check took 1.05x the CPU with that pair of atomic operations).
            result = Unmanaged.passUnretained(readers[best]!)._withUnsafeGuaranteedRef { reader in
                Result { () throws(TraceInputError) in try reader.next() }
            }
        } else {
            result = Result { () throws(TraceInputError) in try inlineReaders[best]!.next() }
        }
        let slot: UnsafeMutablePointer<TraceItem>?
        switch result {
        case .success(let next):
            slot = next
        case .failure(let error):
            stopAll()
            throw error
        }
        if slot == nil {
            droppedCutLines += readers[best]?.droppedCutLines ?? inlineReaders[best]?.droppedCutLines ?? 0
            bytesOfFinished += bytesRead(of: best)
            readers[best] = nil
            inlineReaders[best] = nil
            finished[best] = true
            unfinishedCount -= 1
            open.remove(at: open.firstIndex(of: best)!)
            do { try fill() } catch {
                stopAll()
                throw error
            }
        }
        return (best, slot)
    }

    /// Stops every open reader thread (reading gave up).
    func stopAll() {
        for f in open { readers[f]?.stop() }
    }

    /// Opens files in order until `maxOpen` are open or none is left.
    private mutating func fill() throws(TraceInputError) {
        while open.count < maxOpen && nextToOpen < paths.count {
            let f = nextToOpen
            let opened = try Self.openFile(paths[f], index: f, allowTruncated: allowTruncated, parallel: parallel)
            guard opened.header.system == system else {
                if case .ahead(let reader) = opened { reader.stop() }
                throw TraceInputError(
                    file: paths[f], line: 1,
                    message: "header names system \"\(opened.header.system.rawValue)\" but \(paths[0]) names \"\(system.rawValue)\"; one trace is of one system")
            }
            keep(opened, as: f)
            open.append(f)
            nextToOpen += 1
            peakOpen = max(peakOpen, open.count)
        }
    }
}
