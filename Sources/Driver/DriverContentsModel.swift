import Trace

/// What a driver's data area must hold, byte for byte, as its trace tells it: the one model of
/// expected contents that the live verification (`DriverModel` in `DriverLive`), the explorer
/// (`DriverSimulation`) and the tests' simulated driver share.
///
/// It learns from the driver's events in order (`observe(_:)`): per request, where it writes
/// (`submit`), whether its caller was told it is staged (`complete`), its epoch, and whether a
/// recovery named it (`recovered`). An epoch ends at the `online` that ends a recovery; a `crash`
/// marks the current epoch as lost but for what its recovery names (in any pass, when power
/// fails again during the recovery).
///
/// The data area *shows* a request (`shows(_:)`) once it is staged in an epoch no crash ended, or
/// once a recovery named it. What the area must hold is its content before the model's requests
/// (`base`, or content the caller supplies) with every request it shows written over it, in
/// arrival order (`expected`, in `DriverContentsModel+Expected.swift`). The model keeps no
/// request bytes: callers pass a function from a request to its bytes.
///
/// With a base (the whole data area, as the explorer and the tests know it), `fold(bytes:)`
/// writes the requests of finished epochs into it and forgets them, so the model stays as small
/// as one epoch. Without one (the live driver: 256 MiB, its initial content read only where
/// requests write), requests are kept, and queries take the initial content.
///
/// A value type; `Sendable`.
package struct DriverContentsModel: Sendable {
    /// One request of the trace, as the model knows it.
    package struct Request: Sendable, Equatable {
        /// The caller's id.
        package var id: Int
        /// Data-area offset of its first byte.
        package var offset: Int
        /// Its length in bytes.
        package var length: Int
        /// Its place among every submit the model saw, from 0.
        package var arrival: Int
        /// The epoch it was submitted in, from 0.
        package var epoch: Int
        /// Whether its `complete` was recorded (it is staged).
        package var completed = false
        /// Whether a recovery named it `recovered`.
        package var recovered = false

        /// The bytes it writes.
        package var range: Range<Int> { offset ..< offset + length }
    }

    /// The data area before `requests` (from offset 0), when the model holds it; empty when it
    /// does not (then queries take the initial content).
    package var base: [UInt8] { paged.bytes }
    /// `base`, paged: an explored state's copy shares it, and a fold writes only the pages its
    /// requests touch (`base` and `base(in:)` read it).
    private var paged: PagedBytes
    /// The requests not folded into `base`, in arrival order.
    package private(set) var requests: [Request] = []
    /// The fingerprint's account of `requests`, kept as they change so that hashing the model
    /// costs the same however many there are: the sum, over the requests, of a hash of the
    /// position, id and whether a recovery named it (a sum of terms that name their position
    /// tells sequences apart as a hash of the sequence does).
    private var orderDigest: UInt64 = 0
    /// The same for which requests are staged: the sum of a hash of each staged one's position.
    private var completedDigest: UInt64 = 0
    /// The index in `requests` of each of their ids, kept only while there are more than
    /// `indexedAbove` of them (an explorer's few requests are found faster by a scan, and a
    /// dictionary copied with every explored state costs more than it saves).
    private var position: [Int: Int] = [:]
    /// How many requests a model holds before it indexes them.
    private static let indexedAbove = 32
    /// The index in `requests` of the current epoch's first request.
    private var epochStart = 0
    /// Submits seen, folded ones included.
    private var submits = 0
    /// The current epoch, counted from 0.
    package private(set) var epoch = 0
    /// The epochs a crash ended (of those with requests not folded).
    private var crashed: Set<Int> = []
    /// Whether a crash ended the epoch and its recovery has not reached `online` yet.
    package private(set) var recovering = false
    /// The ids the current (or last) recovery pass named, in order: with the current epoch's
    /// requests, what the core knows as deps.
    package private(set) var recoveredThisPass: [Int] = []

    /// A model of a data area that holds `base` (the whole area, from offset 0), or of one whose
    /// content the queries are given (`base` empty).
    package init(base: [UInt8] = []) {
        paged = PagedBytes(base)
    }

    /// The bytes of `base` at offsets `range` (which must lie within it).
    package func base(in range: Range<Int>) -> [UInt8] { paged.bytes(in: range) }

    /// Whether `bytes` (called with each part of `range` in place: its offset from the range's
    /// start, its bytes, and whether `reference`'s base holds that very page, unchanged since
    /// one was copied from the other) answers true for every part of the base at `range`.
    package func baseParts(in range: Range<Int>, comparedTo reference: DriverContentsModel? = nil,
                           all bytes: (Int, UnsafeRawBufferPointer, Bool) -> Bool) -> Bool {
        paged.allParts(in: range, comparedTo: reference?.paged, bytes)
    }

    /// The bytes `base` holds (0 when the model holds none).
    package var baseCount: Int { paged.count }

    /// Takes one event of the trace, in order.
    package mutating func observe(_ event: TraceEvent) {
        switch event.kind {
        case let .submit(_, id, offset, length, _):
            requests.append(Request(id: id, offset: offset, length: length, arrival: submits, epoch: epoch))
            orderDigest &+= Self.orderTerm(requests.count - 1, requests[requests.count - 1])
            submits += 1
            if requests.count > Self.indexedAbove {
                if position.isEmpty { reindex() } else { position[id] = requests.count - 1 }
            }
        case let .complete(id):
            if let at = index(of: id), !requests[at].completed {
                requests[at].completed = true
                completedDigest &+= Self.completedTerm(at)
            }
        case .crash:
            crashed.insert(epoch)
            recovering = true
            recoveredThisPass = []
        case let .recovered(id):
            if let at = index(of: id), !requests[at].recovered {
                orderDigest &-= Self.orderTerm(at, requests[at])
                requests[at].recovered = true
                orderDigest &+= Self.orderTerm(at, requests[at])
            }
            recoveredThisPass.append(id)
        case .online:
            guard recovering else { return }
            recovering = false
            epoch += 1
            epochStart = requests.count
        default:
            break
        }
    }

    /// Whether the data area must show `request` now: staged in an epoch no crash ended, or
    /// named by the recovery after its epoch's crash.
    package func shows(_ request: Request) -> Bool {
        request.recovered || (request.completed && !crashed.contains(request.epoch))
    }

    /// Whether `request` was lost: its epoch ended in a crash and no recovery named it.
    package func lost(_ request: Request) -> Bool {
        !request.recovered && crashed.contains(request.epoch)
    }

    /// The request with id `id`, if the model holds it.
    package func request(id: Int) -> Request? {
        index(of: id).map { requests[$0] }
    }

    /// Where in `requests` the request with id `id` is.
    private func index(of id: Int) -> Int? {
        requests.count > Self.indexedAbove ? position[id] : requests.lastIndex { $0.id == id }
    }

    /// Indexes `requests` anew, or drops the index when they are few.
    private mutating func reindex() {
        position = [:]
        guard requests.count > Self.indexedAbove else { return }
        position.reserveCapacity(requests.count)
        for (at, request) in requests.enumerated() { position[request.id] = at }
    }

    /// The ids of the current epoch's requests (during a recovery, the crashed epoch's), in
    /// arrival order.
    package var arrivals: [Int] { requests[epochStart...].map(\.id) }

    /// Of the requests of epochs a crash ended: those a recovery named, and those lost.
    package var crashFates: (recovered: Int, lost: Int) {
        var fates = (recovered: 0, lost: 0)
        for request in requests where crashed.contains(request.epoch) {
            if request.recovered { fates.recovered += 1 } else { fates.lost += 1 }
        }
        return fates
    }

    // MARK: - Known ids

    /// How many ids the core knows as deps now (`knownID(at:)`): the current epoch's requests
    /// and the ids its recovery named; during a recovery, only the ids named so far.
    package var knownCount: Int {
        (recovering ? 0 : requests.count - epochStart) + recoveredThisPass.count
    }

    /// Known id number `index` (0 ..< `knownCount`).
    package func knownID(at index: Int) -> Int {
        let current = recovering ? 0 : requests.count - epochStart
        return index < current ? requests[epochStart + index].id : recoveredThisPass[index - current]
    }

    // MARK: - Folding and hashing

    /// Writes every request of a finished epoch that the area shows into `base`, in arrival
    /// order, and forgets those requests; `bytes` gives a request's bytes. Only for a model
    /// that holds the whole data area; call it after the `online` that ends a recovery.
    package mutating func fold(bytes: (Request) -> [UInt8]) {
        guard epochStart > 0 else { return }
        precondition(paged.count > 0, "fold needs a model that holds the data area")
        for request in requests[..<epochStart] where shows(request) {
            let written = bytes(request)
            precondition(written.count == request.length, "request \(request.id) has \(written.count) bytes, not \(request.length)")
            paged.replace(at: request.offset, with: written)
        }
        requests.removeFirst(epochStart)
        epochStart = 0
        reindex()
        orderDigest = 0
        completedDigest = 0
        for (at, request) in requests.enumerated() {
            orderDigest &+= Self.orderTerm(at, request)
            if request.completed { completedDigest &+= Self.completedTerm(at) }
        }
        crashed = crashed.filter { $0 >= epoch }
    }

    /// Adds what decides the model's future answers to `hash`: the base, whether it recovers, the
    /// requests' ids in order with which ones recovery named, the ids of this recovery pass, and
    /// outside a recovery, which requests are staged. Left out: arrival and epoch numbers,
    /// which only count; a model that folds has no other epoch's requests.
    package func hash(into hash: inout StableHasher) {
        hash.combine(paged.digest)
        hash.combine(recovering)
        hash.combine(requests.count)
        hash.combine(orderDigest)
        if !recovering { hash.combine(completedDigest) }
        hash.combine(recoveredThisPass)
    }

    /// A request's term of `orderDigest` at position `at`.
    private static func orderTerm(_ at: Int, _ request: Request) -> UInt64 {
        var hash = StableHasher()
        hash.combine(at, request.id)
        hash.combine(request.recovered)
        return hash.value
    }

    /// A staged request's term of `completedDigest` at position `at`.
    private static func completedTerm(_ at: Int) -> UInt64 {
        var hash = StableHasher()
        hash.combine(-1)
        hash.combine(at)
        return hash.value
    }
}
