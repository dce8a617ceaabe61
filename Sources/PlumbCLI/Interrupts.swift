import Trace
import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How every `plumb` command answers SIGINT, SIGTERM and SIGHUP: it stops, says on standard
/// error that it was interrupted, prints no verdict (or, once a report is being written,
/// finishes it first: `writingReport`), deletes the temporary files it was told of, and exits
/// 128 plus the signal's number (130, 143, 129).
///
/// `install()` runs once at startup, before any other thread starts: it blocks the signals
/// (threads started later inherit the mask, so no thread, Z3's included, ever runs a handler
/// for them) and receives them with dispatch signal sources (a signalfd on Linux) on a queue of
/// their own. A command that can stop cleanly registers how (`stopping(with:_:)`): the first
/// signal runs that (cancel the checker and its Z3 queries, stop the search, halt the driver),
/// the command winds down and returns or throws, and `Plumb.main` then exits with
/// `exitIfInterrupted()`. With nothing registered, the process exits at once. A command that
/// has not stopped `grace` after the signal, or a second signal, ends the process at once.
///
/// **Thread-safe**: its state is behind a lock. `shared` is the process's one instance: a
/// signal is process-wide, so its handling is the one piece of global mutable state here.
final class Interrupts: @unchecked Sendable {
    /// The process's signal handling.
    static let shared = Interrupts()

    /// The signals handled.
    /// (SIGHUP too: a closed terminal stops a run as Ctrl-C does, its files left whole; under
    /// `nohup` the signal is ignored before it reaches the process.)
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// How long a command may take to stop after the first signal before it is ended at once.
    static let grace = DispatchTimeInterval.seconds(10)

    /// Thrown by a command that stopped because of a signal (any error does; this one says so).
    struct Interrupted: Error {}

    private let lock = Locked(())
    /// The first signal received; guarded by `lock`.
    private var received: Int32?
    /// How to stop the running command, by registration number; guarded by `lock`.
    private var stoppers: [Int: @Sendable () -> Void] = [:]
    /// The next registration number; guarded by `lock`.
    private var nextRegistration = 0
    /// Temporary files to delete if the process ends on a signal; guarded by `lock`.
    private var temporaryFiles: Set<String> = []
    /// What to do before the process ends on a signal, by registration number (close a
    /// recording's file, so that what it buffered reaches its `.partial`); guarded by `lock`.
    private var atEnd: [Int: @Sendable () -> Void] = [:]
    /// Whether the command's report is written in full; guarded by `lock`.
    private var reported = false
    /// How many `writingReport` calls are running; guarded by `lock`. While one is, and
    /// nothing else can stop, a signal gives it the time it takes (no grace timer).
    private var writingReports = 0
    /// The signal sources, kept alive; set once by `install()`.
    private var sources: [any DispatchSourceSignal] = []
    /// The queue the signals are handled on.
    private let queue = DispatchQueue(label: "plumb.interrupts")

    private init() {}

    /// Blocks SIGINT and SIGTERM in this thread (and so in every thread started after) and
    /// starts receiving them. Call once, first thing in `main`.
    func install() {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in Self.signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        for signal in Self.signals {
            let source = DispatchSource.makeSignalSource(signal: signal, queue: queue)
            source.setEventHandler { [self] in handle(signal) }
            source.resume()
            sources.append(source)
        }
    }

    /// The first signal received, if one was.
    var signal: Int32? { lock.withLock { _ in received } }

    /// Throws `Interrupted` if a signal was received.
    func checkInterrupted() throws {
        if signal != nil { throw Interrupted() }
    }

    /// Runs `body`, with `stop` run (on another thread) if a signal comes meanwhile, or at once
    /// if one came before. `stop` must make `body` return or throw soon, leaving files whole.
    func stopping<T>(with stop: @escaping @Sendable () -> Void, _ body: () throws -> T) rethrows -> T {
        let registration = register(stop)
        defer { unregister(registration) }
        return try body()
    }

    /// The same for an asynchronous `body`.
    func stopping<T>(with stop: @escaping @Sendable () -> Void, _ body: () async throws -> T) async rethrows -> T {
        let registration = register(stop)
        defer { unregister(registration) }
        return try await body()
    }

    /// Notes a temporary file the process deletes if a signal ends it (`keep` forgets it again).
    func removeOnInterrupt(_ path: String) {
        _ = lock.withLock { _ in temporaryFiles.insert(path) }
    }

    /// Forgets a file `removeOnInterrupt` named (deleted, or kept as output).
    func keep(_ path: String) {
        _ = lock.withLock { _ in temporaryFiles.remove(path) }
    }

    /// Runs `body` with `action` run first if a signal ends the process meanwhile (for a
    /// command that cannot stop early but must not lose what it buffered).
    func closing<T>(with action: @escaping @Sendable () -> Void, _ body: () async throws -> T) async rethrows -> T {
        let number: Int = lock.withLock { _ in
            nextRegistration += 1
            atEnd[nextRegistration] = action
            return nextRegistration
        }
        defer { _ = lock.withLock { _ in atEnd.removeValue(forKey: number) } }
        return try await body()
    }

    /// Runs `body`, which writes the command's report, whole: a signal meanwhile waits for it
    /// and then ends the run (`Interrupted`), saying the report was written; from then on an
    /// interruption says so rather than "no verdict".
    func writingReport(_ body: () throws -> Void) throws {
        lock.withLock { _ in writingReports += 1 }
        defer { lock.withLock { _ in writingReports -= 1 } }
        try stopping(with: {}, body)
        lock.withLock { _ in reported = true }
        try checkInterrupted()
    }

    /// Exits as an interrupted run (message on standard error, status 128 plus the signal) if
    /// a signal was received; the command has stopped by then. Else returns.
    func exitIfInterrupted() {
        guard let signal else { return }
        fflush(nil)  // every output stream: what was printed before the signal
        end(signal, note: nil)
    }

    // MARK: Internals

    /// Registers how to stop the running command, as `stopping(with:_:)` does for a body;
    /// `unregister` with the number returned when the command can no longer stop that way.
    func register(_ stop: @escaping @Sendable () -> Void) -> Int {
        let (number, already): (Int, Bool) = lock.withLock { _ in
            nextRegistration += 1
            stoppers[nextRegistration] = stop
            return (nextRegistration, received != nil)
        }
        if already { stop() }
        return number
    }

    /// Forgets a registration of `register`.
    func unregister(_ number: Int) {
        _ = lock.withLock { _ in stoppers.removeValue(forKey: number) }
    }

    /// The first signal stops the command (or the process, when no command can stop); a
    /// second ends the process at once.
    private func handle(_ signal: Int32) {
        let (first, stops, writing): (Bool, [@Sendable () -> Void], Bool) = lock.withLock { _ in
            guard received == nil else { return (false, [], false) }
            received = signal
            return (true, Array(stoppers.values), writingReports > 0 && stoppers.count == writingReports)
        }
        if !first { end(signal, note: "a second signal: stopped at once") }
        if stops.isEmpty { end(signal, note: nil) }
        let note = Self.name(signal) + ": stopping"
        FileHandle.standardError.write(Data("plumb: \(note)\n".utf8))
        for stop in stops { stop() }
        // A report being written is finished whatever it takes (a second signal still ends it).
        if writing { return }
        queue.asyncAfter(deadline: .now() + Self.grace) { [self] in
            end(signal, note: "did not stop in time: stopped at once")
        }
    }

    /// Says the run was interrupted and ends the process with status 128 plus `signal`.
    /// `_exit`: no atexit handlers or C++ destructors (Z3's) run while other threads may still
    /// be in Z3, and no buffered half of a report is flushed.
    private func end(_ signal: Int32, note: String?) -> Never {
        let (files, reported, actions) = lock.withLock { _ in
            (temporaryFiles, self.reported, atEnd.keys.sorted().compactMap { atEnd[$0] })
        }
        for action in actions { action() }
        for path in files { unlink(path) }
        let detail = note.map { " (\($0))" } ?? ""
        let verdict = reported ? "after the report was written" : "no verdict"
        FileHandle.standardError.write(Data("plumb: interrupted by \(Self.name(signal))\(detail); \(verdict)\n".utf8))
        _exit(128 + signal)
    }

    /// SIGINT, SIGTERM or the number.
    static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: "signal \(signal)"
        }
    }
}
