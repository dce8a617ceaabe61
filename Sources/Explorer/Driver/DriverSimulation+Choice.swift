import Driver

extension DriverSimulation {
    /// One nondeterministic step of the simulated driver. Its identity is stable across states:
    /// an I/O is named by its ticket (unique within the run), a caller step by its interface and
    /// request, a fate by the pending write's index within the power cut.
    package enum Choice: Hashable, Sendable, CustomStringConvertible {
        /// The device does the outstanding I/O `io` and reports its completion to the core;
        /// `purpose` says what the I/O is for (no part of the choice's identity; `choices()`
        /// leaves it empty and `describe(_:)` fills it in for counterexamples).
        case complete(io: Int, Operation, Purpose = Purpose())
        /// With lazy crash states: the device does the outstanding I/O `io`, which reads sectors
        /// whose content the fates left undecided, and it returns the content `reading` names
        /// (one choice per distinct content; choosing it decides what the content depends on).
        case completeReading(io: Int, Operation, Purpose = Purpose(), Reading)
        /// Interface `iface`'s caller submits request `id` (its next program step).
        case submit(id: Int, iface: Int)
        /// Interface `iface`'s caller syncs (its next program step).
        case sync(iface: Int)
        /// The runtime has nothing else to give the core: `.idle` (only offered when no I/O is
        /// outstanding and the core would act on it, as the live runtime feeds it).
        case idle
        /// Every caller is done: the controller shuts the driver down.
        case shutdown
        /// Power fails: outstanding I/O is dropped, then each pending cached write meets its
        /// fate (the `fate` choices that follow), then the core recovers.
        case powerLoss
        /// The fate of pending cached write `write` (from 0, oldest first) of the `of` pending
        /// at this power loss, which spans `sectors` sectors.
        case fate(write: Int, of: Int, sectors: Int, Fate)

        /// What happens to one pending write at a power loss.
        package enum Fate: Hashable, Sendable, CustomStringConvertible {
            /// Nothing of it reaches the medium.
            case lost
            /// All of it reaches the medium.
            case durable
            /// Only its first `kept` sectors reach the medium (`0 < kept < sectors`).
            case torn(kept: Int)

            /// The `WriteFate` `VolatileCacheDevice.cut(_:)` takes.
            var writeFate: WriteFate {
                switch self {
                case .lost: .lost
                case .durable: .durable
                case let .torn(kept): .torn(kept: [0..<kept])
                }
            }

            /// `lost`, `durable`, `torn after 2 sectors`.
            package var description: String {
                switch self {
                case .lost: "lost"
                case .durable: "durable"
                case let .torn(kept): "torn after \(kept) sector\(kept == 1 ? "" : "s")"
                }
            }
        }

        /// A short account of an outstanding I/O, for descriptions.
        package enum Operation: Hashable, Sendable, CustomStringConvertible {
            /// A write of `blocks` blocks at `block`.
            case write(block: Int, blocks: Int)
            /// A read-modify-write of `bytes` bytes in `extents` extents.
            case patch(extents: Int, bytes: Int)
            /// A cache flush.
            case flush
            /// A read of `blocks` blocks at `block`.
            case read(block: Int, blocks: Int)

            /// `write of 2 blocks at 30`, `patch of 428 bytes in 2 extents`, `flush`, `read of 2
            /// blocks at 0`: the operation after its role (`journal write of 2 blocks at 30`).
            var phrase: String {
                switch self {
                case let .write(block, blocks): "write of \(blocks) block\(blocks == 1 ? "" : "s") at \(block)"
                case let .patch(extents, bytes): "patch of \(bytes) bytes in \(extents) extent\(extents == 1 ? "" : "s")"
                case .flush: "flush"
                case let .read(block, blocks): "read of \(blocks) block\(blocks == 1 ? "" : "s") at \(block)"
                }
            }

            /// `write 2 blocks at 30`, `patch 428 bytes in 2 extents`, `flush`, `read 2 blocks at 0`.
            package var description: String {
                switch self {
                case let .write(block, blocks): "write \(blocks) block\(blocks == 1 ? "" : "s") at \(block)"
                case let .patch(extents, bytes): "patch \(bytes) bytes in \(extents) extent\(extents == 1 ? "" : "s")"
                case .flush: "flush"
                case let .read(block, blocks): "read \(blocks) block\(blocks == 1 ? "" : "s") at \(block)"
                }
            }
        }

        /// Content number `content` of a read of undecided sectors, worked out on the medium
        /// with digest `medium` (immutable; a reference so that a choice stays small).
        package final class WorkedContent: Sendable {
            /// The digest of the medium and its undecided writes it was worked out on.
            let medium: UInt64
            /// The sectors read.
            let sectors: [Range<Int>]
            /// Its number among the read's contents.
            let content: Int
            /// The content and what choosing it decides.
            let outcome: CrashFates.ReadOutcome

            /// Content number `content` of the read of `sectors` on the medium with digest `medium`.
            init(medium: UInt64, sectors: [Range<Int>], content: Int, outcome: CrashFates.ReadOutcome) {
                self.medium = medium
                self.sectors = sectors
                self.content = content
                self.outcome = outcome
            }
        }

        /// Which content a read of undecided sectors returns: number `content` (from 0) of the
        /// `of` distinct contents it can return. `note` (which cached writes show) is for
        /// descriptions only and no part of its identity.
        package struct Reading: Hashable, Sendable, CustomStringConvertible {
            /// The content's number, from 0.
            package var content: Int
            /// How many distinct contents the read can return.
            package var of: Int
            /// Which cached writes show in it, for people.
            package var note: String
            /// The content as worked out when the choice was offered, so that taking it need not
            /// work out every content again; no part of its identity either.
            package var worked: WorkedContent?

            /// Makes a reading.
            package init(content: Int, of: Int, note: String = "", worked: WorkedContent? = nil) {
                self.content = content
                self.of = of
                self.note = note
                self.worked = worked
            }

            /// Equal when the content and the count are.
            package static func == (a: Reading, b: Reading) -> Bool { a.content == b.content && a.of == b.of }

            /// Hashes the content and the count.
            package func hash(into hasher: inout Hasher) {
                hasher.combine(content)
                hasher.combine(of)
            }

            /// `content 2 of 3 (cached write 4 shows)`.
            package var description: String {
                "content \(content + 1) of \(of)" + (note.isEmpty ? "" : " (\(note))")
            }
        }

        /// What an outstanding I/O is for (`IOAccount`), for descriptions only: any two are
        /// equal and it hashes nothing, so a choice is the same choice with or without it
        /// (the search's sleep sets and state counts do not see it).
        package struct Purpose: Hashable, Sendable, CustomStringConvertible {
            /// The core's account of the I/O; nil when not known.
            package var account: IOAccount?

            /// Makes a purpose.
            package init(_ account: IOAccount? = nil) { self.account = account }

            /// Always true: the purpose is no part of a choice's identity.
            package static func == (_: Purpose, _: Purpose) -> Bool { true }

            /// Hashes nothing (see `==`).
            package func hash(into _: inout Hasher) {}

            /// `request 2 on iface 1: journal` (the role, after the requests when any).
            package var description: String {
                guard let account else { return "" }
                return account.requests.isEmpty ? account.role.rawValue : "\(account): \(account.role.rawValue)"
            }
        }

        /// For counterexamples: `io#7 completes (flush)`, `iface 1 submits request 2`,
        /// `io#4 completes (request 2 on iface 1: journal write of 2 blocks at 20)`, ...
        package var description: String {
            switch self {
            case let .complete(io, operation, purpose):
                purpose.account == nil || operation == .flush ? "io#\(io) completes (\(operation))"
                    : "io#\(io) completes (\(purpose) \(operation.phrase))"
            case let .completeReading(io, operation, purpose, reading):
                Choice.complete(io: io, operation, purpose).description + ", reading \(reading)"
            case let .submit(id, iface): "iface \(iface) submits request \(id)"
            case let .sync(iface): "iface \(iface) syncs"
            case .idle: "idle"
            case .shutdown: "shutdown"
            case .powerLoss: "power loss"
            case let .fate(write, count, sectors, fate):
                "cached write \(write + 1) of \(count) (\(sectors) sector\(sectors == 1 ? "" : "s")): \(fate)"
            }
        }
    }
}
