import Trace

// The state the recovery spec keeps per run: registrations, what each consumer did, and the
// `process` events still waiting on a log's tagger.

extension RecoverySpec {
    /// One run of the framework: its registrations, its `begin`, how it ended, and what each
    /// consumer did in it.
    struct Run: Sendable {
        /// 1-based, for messages.
        let number: Int
        /// Accepted registrations by consumer name (the first one when a name repeats).
        var registrations: [Name: Registration] = [:]
        /// Registered consumer names in registration order (the graph's vertex order).
        var order: [Name] = []
        /// Refused registrations by consumer name (the first one), for messages.
        var rejections: [Name: Rejection] = [:]
        /// The run's `begin`, once recorded.
        var begin: EventStamp?
        /// How the run ended, once it did.
        var ending: Ending?
        /// Whether the graph was handed to the acyclicity obligation (once per run).
        var graphJudged = false
        /// Whether the run's registrations are complete: it ended (`done` or `crash`; a later
        /// registration opens the next run) or the trace ended.
        var closed = false
        /// Consumer events of the run observed before its graph was sealed (neither `begin` nor
        /// the end of its registrations yet), in observation order: judged at the seal.
        var beforeSeal: [Deferred] = []
        /// Events of consumers not registered (yet) in a run that began and is not closed, per
        /// consumer: judged at the consumer's (late) registration, or when the run closes.
        var unregistered: [Name: [Deferred]] = [:]
        /// What each consumer named by an event of this run did, registered or not.
        var activity: [Name: Activity] = [:]
        /// Tags, untags and waiting `process` events per (tagging consumer, log).
        var logs: [LogKey: LogState] = [:]
        /// Consumers reported at `done` as neither ended nor skipped; their later `end` or `skip`
        /// is not reported again.
        var missingAtDone: Set<Name> = []

        /// Makes an empty run.
        init(number: Int) { self.number = number }

        /// `run N`.
        var name: String { "run \(number)" }

        /// Whether the graph is not sealed yet: no `begin`, and registrations may still come.
        var isUnsealed: Bool { begin == nil && !closed }

        /// Whether `consumer` is registered in this run.
        func isRegistered(_ consumer: Name) -> Bool { registrations[consumer] != nil }

        /// Whether `b`'s registration may name `a` (the rest is `recovery.acyclic`'s finding): a
        /// consumer of the sealed graph names the others of the sealed graph; a late one names
        /// those registered before it.
        func isKnown(_ a: Name, toRegistrationOf b: Name) -> Bool {
            guard let ra = registrations[a], let rb = registrations[b] else { return false }
            return rb.late ? ra.index < rb.index : !ra.late
        }

        /// What `consumer` did so far (nothing when it was not named yet).
        func activity(of consumer: Name) -> Activity { activity[consumer] ?? Activity() }

        /// `is not registered in run N` plus, when its registration was refused, where and why.
        func notRegistered(_ consumer: Name) -> String {
            var text = "is not registered in \(name)"
            if let rejection = rejections[consumer] {
                text += " (its registration was rejected at \(rejection.stamp): \(rejection.reason))"
            }
            return text
        }
    }

    /// An accepted registration.
    struct Registration: Sendable {
        /// The `register` event.
        var stamp: EventStamp
        /// Hard dependencies.
        var deps: [Name]
        /// Soft dependencies: they only order the start.
        var after: [Name]
        /// Per-log dependencies: consumers whose tagged logs this one processes after them.
        var logs: [Name]
        /// Recorded after the run's `begin`.
        var late: Bool
        /// Its position in the run's registration order.
        var index: Int
    }

    /// A consumer event kept until the registrations it is judged against are known.
    struct Deferred: Sendable {
        /// The spec's observation count when it was observed: replays keep observation order.
        var ordinal: Int
        /// The event.
        var event: TraceEvent
    }

    /// A consumer or log name. Names are compared as exact strings (their UTF-8 bytes), not by
    /// Swift's canonical equivalence: `"caf\u{e9}"` and `"cafe\u{301}"` are two consumers.
    struct Name: Hashable, Comparable, Sendable, CustomStringConvertible {
        /// The name as read.
        let string: String

        /// Wraps a name.
        init(_ string: String) { self.string = string }

        /// Byte-wise equality of the UTF-8 encodings.
        static func == (lhs: Name, rhs: Name) -> Bool { lhs.string.exactlyEquals(rhs.string) }

        /// Hashes the UTF-8 bytes.
        func hash(into hasher: inout Hasher) { hasher.combine(exactBytesOf: string) }

        /// Byte-wise order of the UTF-8 encodings, for stable output.
        static func < (lhs: Name, rhs: Name) -> Bool {
            lhs.string.utf8.lexicographicallyPrecedes(rhs.string.utf8)
        }

        /// The name.
        var description: String { string }
    }

    /// A refused registration.
    struct Rejection: Sendable {
        /// The `reject` event.
        var stamp: EventStamp
        /// The framework's reason.
        var reason: String
    }

    /// How a run ended.
    enum Ending: Sendable {
        /// The run reached `done` with this `ok`.
        case done(EventStamp, ok: Bool)
        /// The framework crashed.
        case crashed(EventStamp)

        /// The `done` or `crash` event.
        var stamp: EventStamp {
            switch self {
            case let .done(stamp, _), let .crashed(stamp): stamp
            }
        }
    }

    /// What one consumer did in one run, in observation order.
    struct Activity: Sendable {
        /// Its `notify` events (more than one breaks `recovery.once`).
        var notifies: [EventStamp] = []
        /// Its `start` events.
        var starts: [EventStamp] = []
        /// Its `end` events.
        var ends: [End] = []
        /// Its first `skip`.
        var skip: EventStamp?

        /// Its first failed `end`, if any.
        var failure: End? { ends.first { !$0.ok } }
    }

    /// One `end` of a consumer.
    struct End: Sendable {
        /// The `end` event.
        var stamp: EventStamp
        /// Whether the action succeeded.
        var ok: Bool
        /// The reason given, if any.
        var reason: String?
        /// Whether it is the framework's timeout end (framework node, `ok: false`, `"timeout"`).
        var timeout: Bool

        /// `end w1#4 (ok: false, reason "disk")`, for messages.
        var described: String {
            var text = "\(stamp) (ok: \(ok)"
            if let reason { text += ", reason \"\(reason)\"" }
            return text + ")"
        }
    }

    /// A consumer and a log it tags.
    struct LogKey: Hashable, Comparable, Sendable {
        /// The consumer that tags the log.
        var consumer: Name
        /// The log.
        var log: Name

        /// Orders by consumer, then log, for stable output.
        static func < (lhs: LogKey, rhs: LogKey) -> Bool {
            lhs.consumer == rhs.consumer ? lhs.log < rhs.log : lhs.consumer < rhs.consumer
        }
    }

    /// What is known about one (consumer, log) in one run.
    struct LogState: Sendable {
        /// The first `tag` of the log by the consumer, once observed.
        var tag: EventStamp?
        /// The `untag` events observed so far, without those that happen-before another one.
        var untags: [EventStamp] = []
        /// How many `untag` events were observed so far.
        var untagCount = 0
        /// `process` events of dependents not settled yet, in observation order.
        var waiting: [PendingProcess] = []
    }

    /// A `process(b, L)` whose `recovery.logs-first` obligation towards one tagger is not settled.
    struct PendingProcess: Sendable {
        /// The `process` event.
        var stamp: EventStamp
        /// The processing consumer `b`.
        var consumer: Name
        /// The tagger's untags of the log observed before it (those that may happen-before it).
        var untagsBefore: [EventStamp]
        /// How many untags of the log were observed before it.
        var untagCountBefore: Int
        /// An `end` of the tagger observed before it, for the "never untags" case.
        var endBefore: EventStamp?
        /// Whether the obligations towards `untagsBefore` were made (the tag is known).
        var settledUntags = false
    }
}
