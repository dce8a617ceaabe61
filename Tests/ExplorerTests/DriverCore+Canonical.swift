@testable import Driver
@testable import Explorer

extension DriverCore {
    /// The core with its counters as the fingerprint reads them (see the top of
    /// `DriverCore+Fingerprint.swift`): `seq` set to `seq`, tickets counted back from
    /// `nextTicket` (which becomes 0), and every completion index replaced by the least value of
    /// its rank against the flush marks. The fingerprint tests hold that this core acts as the
    /// original does, up to the numbering of events and I/O, and that the fingerprint tells
    /// apart exactly the cores whose canonical forms differ.
    func canonical(seq: Int = 0) -> DriverCore {
        var core = self
        let shift = nextTicket
        core.seq = seq
        core.nextTicket = 0
        core.pendingIO = [:]
        let durable = 1, issued = durableMark < flushIssuedMark ? 2 : 1
        func index(_ i: Int) -> Int { i < durableMark ? 0 : i < flushIssuedMark ? 1 : issued }
        for (ticket, purpose) in pendingIO {
            var purpose = purpose
            if case let .flush(mark) = purpose { purpose = .flush(mark: index(mark)) }
            core.pendingIO[IOTicket(ticket.raw - shift)] = purpose
        }
        core.flushInFlight = flushInFlight.map { IOTicket($0.raw - shift) }
        for r in core.regions.indices { core.regions[r].dataWritten = regions[r].dataWritten.map(index) }
        for s in core.journal.segments.indices {
            switch core.journal.segments[s].stage {
            case let .written(i): core.journal.segments[s].stage = .written(index(i))
            case let .patched(i): core.journal.segments[s].stage = .patched(index(i))
            default: break
            }
        }
        switch core.journal.commit {
        case let .ledgerWritten(i, retired, ledger, checksum)?:
            core.journal.commit = .ledgerWritten(index(i), retired: retired, ledger: ledger, mapChecksum: checksum)
        case let .superWritten(i, sb, retired, ledger)?:
            core.journal.commit = .superWritten(index(i), sb, retired: retired, ledger: ledger)
        default: break
        }
        core.durableMark = durable
        core.flushIssuedMark = issued
        core.completions = issued + (completions > flushIssuedMark ? 1 : 0)
        return core
    }
}

extension DriverSimulation {
    /// The simulation with its core `canonical(seq:)` and its outstanding I/O renamed to match.
    /// The seq moves 1,000 on rather than to 0: the spec run along requires seqs to increase
    /// (not to be dense), and has seen the seqs so far.
    func canonical() -> DriverSimulation {
        var state = self
        let shift = core.ticketsIssued
        state.core = core.canonical(seq: core.seq + 1_000)
        for i in state.outstanding.indices {
            state.outstanding[i].ticket = IOTicket(outstanding[i].ticket.raw - shift)
        }
        return state
    }
}
