import Recovery
import Specs
import Trace
import XCTest

/// Drives a `RecoveryCore` with fixed inputs, keeps every recorded event, and replays them
/// through the `recovery` spec.
struct CoreHarness {
    var core: RecoveryCore
    /// Every event recorded so far, in the order the core returned them.
    private(set) var events: [TraceEvent] = []

    init(workers: Int) { core = RecoveryCore(workers: workers) }

    /// Feeds one input and returns the actions other than `.record`.
    @discardableResult
    mutating func feed(_ input: RecoveryCore.Input) -> [RecoveryCore.Action] {
        var effects: [RecoveryCore.Action] = []
        for action in core.handle(input) {
            if case let .record(event) = action { events.append(event) } else { effects.append(action) }
        }
        return effects
    }

    /// Registers each consumer; fails the test when one is refused.
    mutating func register(_ registrations: ConsumerRegistration..., file: StaticString = #filePath, line: UInt = #line) {
        for r in registrations {
            XCTAssertEqual(feed(.register(r)), [], "registering \(r.name)", file: file, line: line)
        }
    }

    /// The ticket of `consumer` in the core's current run.
    func t(_ consumer: String) -> Ticket { Ticket(run: core.run, consumer: consumer) }

    /// `ended` with success.
    @discardableResult
    mutating func ok(_ consumer: String) -> [RecoveryCore.Action] { feed(.ended(t(consumer), failure: nil)) }

    /// `ended` with a failure.
    @discardableResult
    mutating func fail(_ consumer: String, _ reason: String = "boom") -> [RecoveryCore.Action] {
        feed(.ended(t(consumer), failure: reason))
    }

    /// The events recorded as `ev` names with their consumer, for compact assertions:
    /// `notify a`, `w0 start a`, ...
    var lines: [String] {
        events.map { e in
            let prefix = e.node == RecoveryCore.frameworkNode ? "" : "\(e.node) "
            switch e.kind {
            case let .register(c, _, _, _): return "\(prefix)register \(c)"
            case let .reject(c, _): return "\(prefix)reject \(c)"
            case let .notify(c): return "\(prefix)notify \(c)"
            case let .start(c): return "\(prefix)start \(c)"
            case let .end(c, ok, reason): return "\(prefix)end \(c) \(ok ? "ok" : reason ?? "failed")"
            case let .observe(c): return "\(prefix)observe \(c)"
            case let .skip(c): return "\(prefix)skip \(c)"
            case let .tag(c, log): return "\(prefix)tag \(c) \(log)"
            case let .untag(c, log): return "\(prefix)untag \(c) \(log)"
            case let .process(c, log): return "\(prefix)process \(c) \(log)"
            case let .done(ok): return "\(prefix)done \(ok)"
            default: return "\(prefix)\(e.kind.name)"
            }
        }
    }

    /// Replays the recorded events through the spec and fails on any violation.
    func assertSpecPasses(file: StaticString = #filePath, line: UInt = #line) {
        do {
            let outcome = try SpecRunner.run(RecoverySpec.self, events: events)
            XCTAssertEqual(
                outcome.violations.map { "\($0.invariant): \($0.message)" }, [], file: file, line: line)
        } catch {
            XCTFail("not a valid trace: \(error)", file: file, line: line)
        }
    }
}

extension Array where Element == RecoveryCore.Action {
    /// The consumers started by these actions, with their workers.
    var starts: [String] {
        compactMap { if case let .start(t, w, _) = $0 { "\(t.consumer)@w\(w)" } else { nil } }
    }

    /// The outcome, when the run finished.
    var outcome: RecoveryOutcome? {
        for case let .finished(outcome) in self { return outcome }
        return nil
    }
}
