import Driver
import Trace

// Lazy crash states: the power cut that decides nothing, the reads that decide what they
// depend on, and the accounting of crash points and recovery runs.
extension DriverSimulation {
    /// The sectors of the medium that outstanding I/O `io` reads whose content is undecided,
    /// the distinct contents they can return, and whether those are only a sample (too many;
    /// see `CrashFates.outcomes`); nil when it reads nothing undecided.
    func undecidedRead(_ io: IO) -> (sectors: [Range<Int>], outcomes: [CrashFates.ReadOutcome], sampled: Bool)? {
        guard !disk.lazy.fates.isEmpty else { return nil }
        let blocks = disk.cache.baseBlocks(reading: io.operation)
        guard !blocks.isEmpty else { return nil }
        let sectors = disk.lazy.sectors(of: blocks)
        guard sectors.contains(where: disk.lazy.fates.touches) else { return nil }
        var sampled = false
        let outcomes = disk.lazy.outcomes(sectors: sectors, sampled: &sampled)
        return outcomes.isEmpty ? nil : (sectors, outcomes, sampled)
    }

    /// Appends the choices that complete `io`: one, or with lazy crash states one per distinct
    /// content it can read. What the I/O is for is left out (`describe(_:)` adds it): working
    /// it out at every state took 2.5% of a search.
    func appendCompletions(of io: IO, to result: inout [Choice]) {
        let read = undecidedRead(io)
        if let read, let statistics {
            let combinations = disk.lazy.fates.combinations(sectors: read.sectors)
            var key = StableHasher()
            key.combine(mediumDigest)
            key.combine(io.ticket.raw)
            statistics.read(combinations: combinations, sampled: read.sampled ? key.value : nil)
        }
        guard let read, read.outcomes.count > 1 else {
            result.append(.complete(io: io.ticket.raw, io.summary))
            return
        }
        // Contents kept in the choices live as long as the search's frame; they are small (their
        // bytes are laid out when taken, from the medium's bytes and the writes' they share).
        for (index, outcome) in read.outcomes.enumerated() {
            let names = outcome.showing.map { disk.lazy.fates.writes[$0].name }
            let note = names.isEmpty ? "no cached write shows" : names.joined(separator: ", ") + (names.count == 1 ? " shows" : " show")
            let worked = Choice.WorkedContent(medium: mediumDigest, sectors: read.sectors, content: index, outcome: outcome)
            result.append(.completeReading(io: io.ticket.raw, io.summary, Choice.Purpose(),
                                           Choice.Reading(content: index, of: read.outcomes.count, note: note, worked: worked)))
        }
    }

    /// `choice` as a counterexample shows it: a completion with what its I/O is for.
    package func describe(_ choice: Choice) -> String {
        switch choice {
        case let .complete(ticket, operation, _):
            return Choice.complete(io: ticket, operation, purpose(ofIO: ticket)).description
        case let .completeReading(ticket, operation, _, reading):
            return Choice.completeReading(io: ticket, operation, purpose(ofIO: ticket), reading).description
        default:
            return choice.description
        }
    }

    /// What outstanding I/O `ticket` is for, as the core accounts for it.
    private func purpose(ofIO ticket: Int) -> Choice.Purpose {
        guard let io = outstanding.first(where: { $0.ticket.raw == ticket }) else { return Choice.Purpose() }
        return Choice.Purpose(core.account(of: io.ticket, block: io.block))
    }

    /// Before `io` is carried out: decides the undecided sectors it reads as content number
    /// `content` (of those `undecidedRead` gives), or as `worked` when it was worked out on
    /// this medium.
    mutating func decideRead(of io: IO, content: Int, worked: Choice.WorkedContent? = nil) {
        // The same medium and undecided writes, read at the same sectors: the same contents.
        if let worked, worked.content == content, worked.medium == mediumDigest,
           disk.lazy.sectors(of: disk.cache.baseBlocks(reading: io.operation)) == worked.sectors {
            mutableDisk().lazy.decide(sectors: worked.sectors, outcome: worked.outcome)
            return mediumChanged()
        }
        guard let read = undecidedRead(io), read.outcomes.indices.contains(content) else { return }
        mutableDisk().lazy.decide(sectors: read.sectors, outcome: read.outcomes[content])
        mediumChanged()
    }

    /// A lazy power cut: the pending writes go to the medium's fates undecided.
    mutating func cutUndecided() {
        if disk.cache.pendingWrites > 0 {
            let disk = mutableDisk()
            disk.cache.cutUndecided(into: disk.lazy, torn: configuration.torn)
            mediumChanged()
            pendingDigest = Self.digest(of: self.disk)
        }
        perform(core.handle(.powerLoss))
    }

    /// The fate assignments of the writes in the cache now: 2 each (lost, durable), or with
    /// `torn` 1 + its sectors.
    package var cachedFateAssignments: Double { pendingFateAssignments }

    /// The fate assignments of the writes pending now: (2, or 1 + sectors with `torn`) each.
    var pendingFateAssignments: Double {
        disk.cache.pendingWriteSectors.reduce(1) { $0 * Double(configuration.torn ? $1 + 1 : 2) }
    }

    /// Tallies a power loss about to happen here (see `CrashStatistics`).
    mutating func noteCrashPoint() {
        guard let statistics else { return }
        if core.phase == .recovering { noteRecoveryEnd() }
        crashPoint = fingerprint()
        statistics.crash(at: crashPoint, before: self, cachedWrites: disk.cache.pendingWrites,
                         fateAssignments: pendingFateAssignments)
    }

    /// Tallies the end of a recovery (online or failed); with eager crash states, the runs
    /// are tallied at their start instead (`noteRecoveryStart`).
    func noteRecoveryEnd() {
        if configuration.crashStates == .lazy { statistics?.recoveryRun(from: crashPoint, medium: mediumDigest) }
    }

    /// With eager crash states, tallies a recovery starting on the image the fates left.
    func noteRecoveryStart() {
        if configuration.crashStates == .eager { statistics?.recoveryRun(from: crashPoint, medium: mediumDigest) }
    }

    /// The same state, tallying its power losses and recoveries into `statistics` (what
    /// `plumb explore driver` reports); copies share it.
    package func collecting(_ statistics: CrashStatistics) -> Self {
        var copy = self
        copy.statistics = statistics
        return copy
    }

    /// The same state tallying into no statistics (see `Explorable.untallied()`).
    package func untallied() -> Self {
        var copy = self
        copy.statistics = nil
        return copy
    }
}
