import Mirror
import Trace

extension MirrorSimulation {
    /// A stable 64-bit hash of the state (`StableHasher`) over a canonical encoding of
    ///
    /// 1. the configuration (bounds, workload, seeded bugs);
    /// 2. the runtime: records written, failures and crashes used, and per path whether it is
    ///    connected, what each node believes about it, and every message in flight each way;
    /// 3. the two cores, each as the running hash of every input fed to it so far (its
    ///    "trail"), in order.
    ///
    /// Why equal fingerprints mean equal futures and verdicts: each core is a deterministic
    /// function of its configuration and the sequence of inputs it was fed (the cores' own
    /// contract: no clock, no randomness, no hashed-collection order), so equal trails give
    /// equal core states, and also equal per-node event sequences, causes included. The cores
    /// do not expose their state (its fields are internal to `Mirror`), so the trail stands for
    /// it. Together with the runtime (2) that is everything `choices()` and `apply` read. The
    /// verdict depends only on the events, and the spec judges a trace by happens-before, which
    /// the per-node sequences and their causes fix; only the interleaving of the two nodes'
    /// events in `events` is left out, which the trace format says never matters. (Since
    /// every message carries its sender's seq, two different histories of one node hardly ever
    /// reach one state anyway, so the trail loses almost no merging.)
    public func fingerprint() -> UInt64 {
        var h = Fingerprinter()
        h.configuration(configuration)
        h.word(written)
        h.word(failures)
        h.word(crashes)
        h.word(primaryTrail)
        h.word(secondaryTrail)
        for path in paths {
            h.word((path.connected ? 1 : 0) | (path.primarySeesUp ? 2 : 0) | (path.secondarySeesUp ? 4 : 0))
            h.word(path.toSecondary.count)
            for message in path.toSecondary { h.message(message) }
            h.word(path.toPrimary.count)
            for message in path.toPrimary { h.message(message) }
        }
        return h.value
    }

    /// The mirror's fingerprint builder: the trace library's `StableHasher` (the same in every
    /// process), with the canonical encodings of the configuration, messages and inputs.
    struct Fingerprinter {
        /// The trail of a core that was fed nothing.
        static let offsetBasis: UInt64 = StableHasher().value

        private var hasher = StableHasher()

        /// The hash so far.
        var value: UInt64 { hasher.value }

        /// Starts from nothing, or continues the trail `value`.
        init(_ value: UInt64? = nil) {
            if let value { hasher.combine(value) }
        }

        /// Hashes one word.
        mutating func word(_ word: UInt64) { hasher.combine(word) }

        /// Hashes an integer as its two's-complement word.
        mutating func word(_ int: Int) { word(UInt64(bitPattern: Int64(int))) }

        /// Hashes the bounds and the seeded bugs.
        mutating func configuration(_ c: Configuration) {
            for value in [c.streams, c.paths, c.records, c.crashes, c.pathFailures, c.barrierEvery] { word(value) }
            var faults = 0
            for (bit, name) in Configuration.faultNames.enumerated() where c.faultsOn.contains(name) {
                faults |= 1 << bit
            }
            word(faults)
        }

        /// Hashes one message with every field.
        mutating func message(_ message: MirrorMessage) {
            switch message {
            case .entry(let e):
                word(10)
                for value in [e.epoch, e.sendSeq, e.lsn, e.entry.stream, e.entry.sn, e.deps.count] { word(value) }
                word(e.key)
                for dep in e.deps {
                    word(dep.stream)
                    word(dep.sn)
                }
                word(e.payload.count)
                for byte in e.payload { word(Int(byte)) }
            case let .ack(epoch, stream, sn, ackSeq):
                for value in [11, epoch, stream, sn, ackSeq] { word(value) }
            case .fenced(let epoch):
                word(12)
                word(epoch)
            }
        }

        /// Hashes one input of the primary.
        mutating func primaryInput(_ input: MirrorPrimary.Input) {
            switch input {
            case .write(let write):
                word(1)
                word(write.key)
                word(write.payload.count)
                for byte in write.payload { word(Int(byte)) }
                word(write.deps.count)
                for lsn in write.deps { word(lsn) }
            case let .arrived(path, message):
                word(2)
                word(path)
                self.message(message)
            case .pathUp(let path):
                word(3)
                word(path)
            case .pathDown(let path):
                word(4)
                word(path)
            case .crash:
                word(5)
            case .restart:
                word(6)
            }
        }

        /// Hashes one input of the secondary.
        mutating func secondaryInput(_ input: MirrorSecondary.Input) {
            switch input {
            case let .arrived(path, message):
                word(2)
                word(path)
                self.message(message)
            case .pathUp(let path):
                word(3)
                word(path)
            case .pathDown(let path):
                word(4)
                word(path)
            case .crash:
                word(5)
            case .takeover:
                word(7)
            }
        }
    }
}
