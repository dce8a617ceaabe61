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
        var registrations: [String: Registration] = [:]
        /// Registered consumer names in registration order (the graph's vertex order).
        var order: [String] = []
        /// Refused registrations by consumer name (the first one), for messages.
        var rejections: [String: Rejection] = [:]
        /// The run's `begin`, once recorded.
        var begin: EventStamp?
        /// How the run ended, once it did.
        var ending: Ending?
        /// Whether the graph was handed to the acyclicity obligation (once per run).
        var graphJudged = false
        /// What each consumer named by an event of this run did, registered or not.
        var activity: [String: Activity] = [:]
        /// Tags, untags and waiting `process` events per (tagging consumer, log).
        var logs: [LogKey: LogState] = [:]
        /// Consumers reported at `done` as neither ended nor skipped; their later `end` or `skip`
        /// is not reported again.
        var missingAtDone: Set<String> = []

        /// Makes an empty run.
        init(number: Int) { self.number = number }

        /// `run N`.
        var name: String { "run \(number)" }

        /// Whether `consumer` is registered in this run.
        func isRegistered(_ consumer: String) -> Bool { registrations[consumer] != nil }

        /// What `consumer` did so far (nothing when it was not named yet).
        func activity(of consumer: String) -> Activity { activity[consumer] ?? Activity() }

        /// `is not registered in run N` plus, when its registration was refused, where and why.
        func notRegistered(_ consumer: String) -> String {
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
        var deps: [String]
        /// Soft dependencies: they only order the start.
        var after: [String]
        /// Per-log dependencies: consumers whose tagged logs this one processes after them.
        var logs: [String]
        /// Recorded after the run's `begin`.
        var late: Bool
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
        var consumer: String
        /// The log.
        var log: String

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
        var consumer: String
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
