import Mirror
import Specs
import Trace

extension MirrorSimulation {
    /// A stable 64-bit hash (`StableHasher`) of the state, not of how it was reached:
    ///
    /// 1. the configuration (bounds, workload, seeded bugs);
    /// 2. the runtime: records written (until the primary crashes: it writes no more), failures
    ///    used (until a node crashes: no path reconnects then, so none can fail) and crashes
    ///    used, and per path whether it is connected, what each node believes about it, and
    ///    every message in flight each way, without the seq it carries (the event its receiver
    ///    will name as cause);
    /// 3. the two cores (`MirrorPrimary.hash(into:)`, `MirrorSecondary.hash(into:)`: their
    ///    state without seq counters and summary counters); a crashed core only as crashed:
    ///    nothing here restarts it or feeds it again (its log would matter to a restart), so
    ///    the states a crash leaves behind merge whatever the dead node held (each core's hash
    ///    is kept from step to step: `primaryDigest`, `secondaryDigest`);
    /// 4. what the survivors' check reads: the lsns committed, and the secondary's copy of the
    ///    log (as it stood at the takeover, once there was one), each as its count and the sum
    ///    of its items' 64-bit digests, kept up to date as items come (`commitsDigest`,
    ///    `persistedDigest`), so this part costs the same however many records were written
    ///    (the check reads neither in order; two different multisets of one size sum alike
    ///    with chance about 2^-64, the order of any fingerprint collision);
    /// 5. the judge (`SpecMonitor.summary`): the mirror spec's state, with each clock in play
    ///    (each event stamp it holds, the nodes' current clocks but a crashed node's, which
    ///    records nothing again, and the clocks of the events that the messages in flight name
    ///    as cause, the "sources", without the receiver's own entry) reduced to which seqs of
    ///    the stamps held it reaches, node by node; a stamp no
    ///    happens-before question will involve again (an entry's append, a path event, a
    ///    crash: only ever cited in messages) by whether it is there
    ///    (`MirrorSpec.hash(into:stamps:)`).
    ///
    /// Why equal fingerprints mean equal futures and verdicts: the cores are deterministic and
    /// read no seq but to number their next events (always above every earlier one), so equal
    /// cores fed equal inputs act alike; the runtime's inputs are a function of (2). A later
    /// event's causes are its node's earlier events and the sources, so its vector clock is the
    /// node's current clock raised by those of the sources it receives; every happens-before
    /// question the spec can ask, now or later, compares a held stamp with another held stamp,
    /// a later event, or such a clock, and (5) keeps the answer of each. So two states
    /// with one fingerprint give the same verdicts on every continuation; only the seqs printed
    /// in violation messages may differ (the counterexample is replayed for its own). A test
    /// checks, over whole small spaces, that states merged this way have the same choices,
    /// verdicts and successors' fingerprints, and that caching finds every violation a search
    /// without caching finds.
    package func fingerprint() -> UInt64 {
        var keys: [(choice: Choice, key: UInt64)] = []
        return fingerprint(successorKeys: &keys, wanted: false)
    }

    /// The fingerprint, and a key for each crash enabled here (see below).
    package func fingerprint(successorKeys keys: inout [(choice: Choice, key: UInt64)]) -> UInt64 {
        fingerprint(successorKeys: &keys, wanted: true)
    }

    /// Why a crash's key decides the state it leads to: a crash of one node breaks every path,
    /// so no message is left in flight and the flags of the crashed node's side all read
    /// down; it feeds only the crashed core (hashed as crashed afterwards), which records one
    /// `crash` event, a stamp the spec holds only as there. So the state after it is a
    /// function of the counters (as the state after it counts them), the survivor's core and
    /// flags, the commits and the persisted copy (all hashed as the fingerprint hashes them)
    /// and the judge as it would read with no message in flight (`SpecMonitor.summary`'s
    /// `quiet`; it still ranks the crashing node's current clock, which the state after the
    /// crash leaves out: more than the key needs, never less). The key leaves out what the
    /// crash forgets: the crashed core and the messages in flight. A test checks over whole
    /// small spaces that equal keys lead to equal fingerprints and verdicts.
    private func fingerprint(successorKeys keys: inout [(choice: Choice, key: UInt64)], wanted: Bool) -> UInt64 {
        let primaryCrashed = primary.mode == .crashed
        let base = baseDigest(primaryCrashed: primaryCrashed, crashed: primaryCrashed || secondary.mode == .crashed,
                              crashes: crashes)
        var h = StableHasher()
        h.combine(base)
        var sources: [InFlight] = []
        for path in paths {
            h.combine((path.connected ? 1 : 0) | (path.primarySeesUp ? 2 : 0) | (path.secondarySeesUp ? 4 : 0))
            h.combine(path.toSecondary.count)
            for message in path.toSecondary { Self.hash(message, into: &h, sources: &sources) }
            h.combine(path.toPrimary.count)
            for message in path.toPrimary { Self.hash(message, into: &h, sources: &sources) }
        }
        h.combine(primaryDigest)
        h.combine(secondaryDigest)
        var silent: [String] = []
        if primary.mode == .crashed { silent.append(MirrorNode.primary) }
        if secondary.mode == .crashed { silent.append(MirrorNode.secondary) }
        let crashable = wanted && crashes < configuration.crashes && verdict == nil
        var quiet: StableHasher? = crashable ? StableHasher() : nil
        monitor.hashMirror(into: &h, sources: sources, silent: silent, quiet: &quiet)
        if let quiet {
            func key(_ choice: Choice, survivor: UInt64, seesUp: (Path) -> Bool) {
                var k = StableHasher()
                k.combine(choice == .crashPrimary ? 1 : 2)
                k.combine(baseDigest(primaryCrashed: primaryCrashed || choice == .crashPrimary, crashed: true,
                                     crashes: crashes + 1))
                k.combine(survivor)
                for path in paths { k.combine(seesUp(path)) }
                k.combine(quiet.value)
                keys.append((choice, k.value))
            }
            if primary.mode == .running { key(.crashPrimary, survivor: secondaryDigest, seesUp: \.secondarySeesUp) }
            if secondary.mode != .crashed { key(.crashSecondary, survivor: primaryDigest, seesUp: \.primarySeesUp) }
        }
        return h.value
    }

    /// The counters and the survivors' records, as the future reads them: once a node has
    /// crashed no path reconnects (a comeback needs both nodes), so the failures used no longer
    /// matter; once the primary has crashed, neither do the records written.
    private func baseDigest(primaryCrashed: Bool, crashed: Bool, crashes: Int) -> UInt64 {
        var base = StableHasher()
        base.combine(configurationDigest)
        base.combine(primaryCrashed ? -1 : written)
        base.combine(crashed ? -1 : failures)
        base.combine(crashes)
        base.combine(commits.count)
        base.combine(commitsDigest)
        base.combine(persistedAtTakeover != nil)
        base.combine(persistedAtTakeover ?? persisted.count)
        base.combine(persistedDigest)
        base.combine(verdict != nil)
        return base.value
    }

    /// The primary's hash as the fingerprint takes it (`primaryDigest`).
    static func digest(of primary: MirrorPrimary) -> UInt64 {
        coreDigest(crashed: primary.mode == .crashed, primary.hash)
    }

    /// The secondary's hash as the fingerprint takes it (`secondaryDigest`).
    static func digest(of secondary: MirrorSecondary) -> UInt64 {
        coreDigest(crashed: secondary.mode == .crashed, secondary.hash)
    }

    /// A core's hash: a crashed core only as crashed (nothing feeds it again).
    private static func coreDigest(crashed: Bool, _ hash: (inout StableHasher) -> Void) -> UInt64 {
        var h = StableHasher()
        if crashed { h.combine(-1) } else { hash(&h) }
        return h.value
    }

    /// The digest of the bounds and the seeded bugs.
    static func digest(of c: Configuration) -> UInt64 {
        var h = StableHasher()
        for value in [c.streams, c.paths, c.records, c.crashes, c.pathFailures, c.barrierEvery] { h.combine(value) }
        h.combine(c.faultsOn.joined(separator: "+"))
        return h.value
    }

    /// The digest of one record the secondary persisted: a term of `persistedDigest`.
    static func digest(of record: MirrorRecord) -> UInt64 {
        var h = StableHasher()
        h.combine(record.lsn)
        h.combine(record.key)
        h.combine(record.entry.stream)
        h.combine(record.entry.sn)
        h.combine(bytes: record.payload)
        return h.value
    }

    /// Hashes one message without the seq it carries, which joins `sources` instead.
    static func hash(_ message: MirrorMessage, into h: inout StableHasher, sources: inout [InFlight]) {
        switch message {
        case .entry(let e):
            h.combine(10)
            h.combine(e.epoch)
            h.combine(e.lsn)
            h.combine(e.entry.stream)
            h.combine(e.entry.sn)
            h.combine(e.deps.count)
            h.combine(e.key)
            for dep in e.deps {
                h.combine(dep.stream)
                h.combine(dep.sn)
            }
            h.combine(bytes: e.payload)
            let cause = EventID(node: MirrorNode.primary, seq: e.sendSeq)
            sources.append(InFlight(cause: cause, receiver: MirrorNode.secondary))
        case let .ack(epoch, stream, sn, ackSeq):
            h.combine(11)
            h.combine(epoch)
            h.combine(stream)
            h.combine(sn)
            let cause = EventID(node: MirrorNode.secondary, seq: ackSeq)
            sources.append(InFlight(cause: cause, receiver: MirrorNode.primary))
        case .fenced(let epoch):
            h.combine(12)
            h.combine(epoch)
        }
    }
}
