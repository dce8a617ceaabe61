import Driver
import Specs
import Trace

// The verdict: the driver spec on the events so far, and the data area byte for byte.
extension DriverSimulation {
    /// The invariant the data-area check reports: not a trace invariant (a trace carries no
    /// bytes), so `plumb check` passes a trace that only breaks this one.
    package static let contentsInvariant = "driver.contents"
    /// The invariant an execution breaks when it ends before the driver stopped (every caller
    /// done, the shutdown asked for, nothing outstanding), or when a recovery does not end:
    /// the driver is stuck.
    package static let stuckInvariant = "driver.stuck"

    /// Brings `verdict` up to date after a step: the spec's first violation on the events so
    /// far, else what the runtime found during the step.
    ///
    /// The spec judges a trace "as it stands", so in the middle of a recovery it would call
    /// every request not yet recovered lost: the events are judged only outside a recovery
    /// (every execution ends outside one, or with a violation). In a running epoch, a request
    /// that a `durable` waits for is reported at once rather than when the trace ends: it is a
    /// violation in every continuation (it becomes durable too late, or is lost and the
    /// recovery cannot return a prefix that holds the later durable one).
    mutating func judge() {
        guard verdict == nil else { return }
        if !model.recovering, monitor.observed > checkedEvents {
            checkedEvents = monitor.observed
            if let broken = specVerdict() {
                verdict = broken
                return
            }
        }
        // Outstanding I/O can always complete, so only a state without any asks for its choices.
        if found == nil, core.phase != .stopped, outstanding.isEmpty, hasNoChoices {
            report(Self.stuckInvariant, "nothing is left to do, but the driver is \(core.phase), not stopped")
        }
        verdict = found
    }

    /// The spec's first violation on `events` (fed each event once by `monitor`), or an input error of the trace (`trace.input`).
    /// `mutating` only so that the monitor is passed by address (see `MirrorSimulation.judge`).
    mutating func specVerdict() -> ExplorationViolation? {
        switch monitor.verdict() {
        case .failure(let error):
            return ExplorationViolation(invariant: "trace.input", message: "the simulated trace is not valid: \(error)",
                                        kind: .traceInvariant)
        case .success(let first?):
            return ExplorationViolation(invariant: first.invariant.rawValue, message: first.message, kind: .traceInvariant)
        case .success(nil):
            return nil
        }
    }

    /// Notes a violation found by the runtime in this step (the first one wins).
    mutating func report(_ invariant: String, _ message: String) {
        if found == nil { found = ExplorationViolation(invariant: invariant, message: message, kind: .explorerCheck) }
    }

    /// The data area as the device shows it now (the medium with the cache laid over it).
    func dataArea() -> [UInt8]? {
        guard let layout = core.layout else { return nil }
        return try? disk.cache.readBytes(pieces: core.dataRanges(offset: 0, length: layout.dataBytes), overlay: [])
    }

    /// Bytes of the data area `checkDataArea` reads and compares at a time.
    static let checkWindow = 256 * 1024

    /// Checks the data area against what the model says each range of it must hold
    /// (`expected`, `driver.contents`): byte for byte, a window at a time, or with undecided
    /// crash states, sector by sector (`checkUndecidedDataArea`). A device sized from a
    /// captured trace is large and this runs after every recovery and at every shutdown, so
    /// the whole area is read into one array only when it differs (the message counts every
    /// differing byte), and a window that must hold the model's base alone (`baseHolds`: no
    /// request laid over it) is compared in place while nothing is cached
    /// (`mediumMatchesBase`).
    mutating func checkDataArea(when: String, expected: (Range<Int>) -> [UInt8],
                                baseHolds: (Range<Int>) -> Bool = { _ in false }) {
        guard let layout = core.layout else { return report(Self.contentsInvariant, "the data area cannot be read \(when)") }
        if !disk.lazy.fates.isEmpty { return checkUndecidedDataArea(when: when, expected: expected, baseHolds: baseHolds) }
        checkWindows(of: layout.dataBytes, undecided: [], when: when, expected: expected, baseHolds: baseHolds)
    }

    /// Compares the data area (`area` bytes) with `expected` a window at a time, taking the
    /// model's bytes for the `undecided` sectors (in data-area order); reports the first
    /// difference, over the whole area, and returns false if there is one (or the area
    /// cannot be read).
    @discardableResult
    mutating func checkWindows(of area: Int, undecided: [UndecidedSector], when: String,
                               expected: (Range<Int>) -> [UInt8], baseHolds: (Range<Int>) -> Bool) -> Bool {
        let unreadable = "the data area cannot be read \(when)"
        let inPlace = disk.cache.pendingWrites == 0
        var next = 0  // the first of `undecided` not before the window
        var offset = 0
        while offset < area {
            let window = offset ..< min(area, offset + Self.checkWindow)
            let pieces = core.dataRanges(offset: offset, length: window.count)
            let first = next
            while next < undecided.count, undecided[next].logical < window.upperBound { next += 1 }
            let same: Bool
            if inPlace, first == next, baseHolds(window), Self.cover(pieces, window) {
                same = mediumMatchesBase(pieces, from: offset)
            } else {
                guard var actual = try? disk.cache.readBytes(pieces: pieces, overlay: []) else {
                    report(Self.contentsInvariant, unreadable)
                    return false
                }
                let model = expected(window)
                for hole in undecided[first ..< next] {
                    let at = hole.logical - offset
                    actual.replaceSubrange(at ..< at + hole.within.count, with: model[at ..< at + hole.within.count])
                }
                same = DriverContentsModel.difference(actual, model) == nil
            }
            if !same {
                let all = expected(0 ..< area)
                guard let actual = decidedDataArea(undecided: undecided, expected: all) else {
                    report(Self.contentsInvariant, unreadable)
                    return false
                }
                reportDifference(actual, all, when: when)
                return false
            }
            offset = window.upperBound
        }
        return true
    }

    /// The data area's decided bytes, with the model's (`all`, the whole area) in place of
    /// the `undecided` sectors': what a difference is reported over.
    func decidedDataArea(undecided: [UndecidedSector], expected all: [UInt8]) -> [UInt8]? {
        guard var actual = dataArea() else { return nil }
        for sector in undecided {
            let range = sector.logical ..< sector.logical + sector.within.count
            actual.replaceSubrange(range, with: all[range])
        }
        return actual
    }

    /// Whether the medium's bytes at `pieces` (device ranges, one after another) are the
    /// model's base from data-area offset `start` on, compared in place, a page's part at a
    /// time, with no copy; a part where both still hold the very page the start state held
    /// (`pristine`), at the place the chunk map had it there, is not compared at all: the start
    /// state's were equal.
    func mediumMatchesBase(_ pieces: [DeviceRange], from start: Int) -> Bool {
        let model = self.model
        var logical = start
        for piece in pieces {
            let at = logical
            let pristine = self.pristine.flatMap { $0.physicalStart + at == piece.offset ? $0 : nil }
            let pristineModel = pristine?.model
            let same = disk.medium.allParts(in: piece.offset ..< piece.offset + piece.count, comparedTo: pristine?.medium) {
                from, actual, mediumKept in
                model.baseParts(in: at + from ..< at + from + actual.count, comparedTo: pristineModel) {
                    within, expected, modelKept in
                    (mediumKept && modelKept)
                        || DriverContentsModel.equal(UnsafeRawBufferPointer(rebasing: actual[within ..< within + expected.count]),
                                                     expected)
                }
            }
            guard same else { return false }
            logical += piece.count
        }
        return true
    }

    /// Whether `pieces` hold as many bytes as `window`: a chunk map that cannot place the
    /// window gives none (an empty map, say), which a read then reports as a difference.
    static func cover(_ pieces: [DeviceRange], _ window: Range<Int>) -> Bool {
        pieces.reduce(0) { $0 + $1.count } == window.count
    }

    /// Reports where `actual` differs from `expected` (`driver.contents`), if it does; `under`
    /// says which fates make it so, when undecided ones do.
    mutating func reportDifference(_ actual: [UInt8], _ expected: [UInt8], when: String, under: String = "") {
        guard let (first, count) = DriverContentsModel.difference(actual, expected) else { return }
        let requests = workload.requests.filter { $0.offset <= first && first < $0.offset + $0.bytes.count }.map(\.id)
        report(Self.contentsInvariant,
               "\(count) bytes of the data area differ from the model \(when), the first at offset \(first)"
                   + (requests.isEmpty ? "" : " (written by request\(requests.count == 1 ? "" : "s") "
                       + requests.map(String.init).joined(separator: ", ") + ")")
                   + (under.isEmpty ? "" : ", when the power loss left \(under)"))
    }
}
