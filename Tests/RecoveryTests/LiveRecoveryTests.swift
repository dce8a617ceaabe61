import Recovery
import RecoveryLive
import Trace
import XCTest

/// The live runtime with real concurrency, each scenario run many times; every trace is checked.
final class LiveRecoveryTests: XCTestCase {
    func testIndependentConsumersOverlap() async throws {
        for _ in 0..<10 {
            let h = try LiveHarness(workers: 4)
            for i in 0..<4 { try h.recovery.register(h.consumer("c\(i)", ms: 40)) }
            let report = try await h.recovery.run()
            XCTAssertEqual(report.outcome?.succeeded.count, 4)
            // Overlap is shown by count, not by wall time (CI machines are loaded; `plumb bench
            // recovery` measures the makespan).
            XCTAssertEqual(h.log.peak, 4, "all four ran at once")
            h.assertTracePasses()
        }
    }

    func testWorkersBoundConcurrencyAndDependentsNeverStartEarly() async throws {
        for _ in 0..<15 {
            let h = try LiveHarness(workers: 2)
            try h.recovery.register(h.consumer("volumes", deps: ["journal", "nvlog"], ms: 2))
            try h.recovery.register(h.consumer("journal", ms: Int.random(in: 1...6)))
            try h.recovery.register(h.consumer("nvlog", ms: Int.random(in: 1...6)))
            try h.recovery.register(h.consumer("quota", deps: ["volumes"], ms: 1))
            try h.recovery.register(h.consumer("stats", after: ["volumes"], ms: 1))
            try h.recovery.register(h.consumer("scrub", ms: Int.random(in: 1...6)))
            let report = try await h.recovery.run()
            XCTAssertEqual(report.outcome?.ok, true)
            XCTAssertLessThanOrEqual(h.log.peak, 2)
            for (dependent, dependency) in [("volumes", "journal"), ("volumes", "nvlog"), ("quota", "volumes"),
                                            ("stats", "volumes")] {
                XCTAssertLessThan(h.log.index(of: "end \(dependency)")!, h.log.index(of: "start \(dependent)")!)
            }
            h.assertTracePasses()
        }
    }

    func testFailureSkipsExactlyTheTransitiveDependents() async throws {
        for _ in 0..<15 {
            let h = try LiveHarness(workers: 3)
            try h.recovery.register(h.consumer("journal", ms: Int.random(in: 1...4), fails: true))
            try h.recovery.register(h.consumer("replay", deps: ["journal"]))
            try h.recovery.register(h.consumer("volumes", deps: ["replay", "other"]))
            try h.recovery.register(h.consumer("other", ms: Int.random(in: 1...4)))
            try h.recovery.register(h.consumer("stats", after: ["volumes"], ms: 1))
            let report = try await h.recovery.run()
            XCTAssertEqual(report.outcome?.skipped, ["replay", "volumes"])
            XCTAssertEqual(report.outcome?.succeeded, ["other", "stats"])
            XCTAssertEqual(report.outcome?.failed, [.init(consumer: "journal", reason: "journal failed on purpose")])
            XCTAssertEqual(report.errors.map(\.consumer), ["journal"])
            XCTAssertTrue(report.errors.first?.error is TestFailure)
            XCTAssertNil(h.log.index(of: "start replay"))
            h.assertTracePasses()
        }
    }

    func testTimeoutFiresAndTheAbandonedConsumerIsNotRecorded() async throws {
        for _ in 0..<8 {
            let h = try LiveHarness(workers: 2)
            let log = h.log
            let released = Gate()
            // Ignores cancellation: keeps going well past its timeout, then tags and untags.
            try h.recovery.register(RecoveryConsumer("hang", timeout: .milliseconds(20)) { context in
                let clock = ContinuousClock()
                let until = clock.now + .milliseconds(60)
                while clock.now < until { try? await Task.sleep(for: .milliseconds(5)) }
                try? context.tag("late-log")
                context.untag("late-log")
                log.add("hang finished")
                released.open()
            })
            try h.recovery.register(h.consumer("mount", deps: ["hang"]))
            try h.recovery.register(h.consumer("other", ms: 2))
            let report = try await h.recovery.run()
            XCTAssertEqual(report.outcome?.failed, [.init(consumer: "hang", reason: "timeout")])
            XCTAssertEqual(report.outcome?.skipped, ["mount"])
            XCTAssertTrue(report.errors.first?.error is ConsumerTimedOut)
            XCTAssertNil(log.index(of: "hang finished"), "run() returned before the hung action did")
            await released.wait()
            h.assertTracePasses()
            let text = try String(contentsOfFile: h.path, encoding: .utf8)
            XCTAssertFalse(text.contains("late-log"))
            XCTAssertTrue(text.contains(#""node":"framework","seq":"#))
        }
    }

    func testPerLogDependentProcessesAfterTheUntagWhileTheTaggerStillRuns() async throws {
        for _ in 0..<10 {
            let h = try LiveHarness(workers: 2)
            let log = h.log
            try h.recovery.register(RecoveryConsumer("journal") { context in
                try context.tag("nv0")
                try context.tag("nv1")
                try await context.process("nv0")
                // Logged before the untag: once it is untagged, scrub may run at once.
                log.add("journal untags nv0")
                context.untag("nv0")
                try await Task.sleep(for: .milliseconds(10))
                try await context.process("nv1")
                log.add("journal ends")
            })
            try h.recovery.register(RecoveryConsumer("scrub", logs: ["journal"]) { context in
                try await context.process("nv0")
                log.add("scrub processes nv0")
                try await context.process("nv1")
                log.add("scrub processes nv1")
            })
            let report = try await h.recovery.run()
            XCTAssertEqual(report.outcome?.ok, true)
            let nv0 = log.index(of: "scrub processes nv0")!
            XCTAssertLessThan(log.index(of: "journal untags nv0")!, nv0)
            XCTAssertLessThan(nv0, log.index(of: "journal ends")!, "scrub did not wait for the whole journal")
            XCTAssertLessThan(log.index(of: "journal ends")!, log.index(of: "scrub processes nv1")!)
            h.assertTracePasses()
        }
    }

    func testCrashDuringTheWalkThenANewRun() async throws {
        for _ in 0..<8 {
            let h = try LiveHarness(workers: 2)
            let recovery = h.recovery
            func registerAll() throws {
                try recovery.register(h.consumer("journal", ms: 2))
                try recovery.register(h.consumer("volumes", deps: ["journal"], ms: 60))
            }
            try registerAll()
            XCTAssertThrowsError(try recovery.register(h.consumer("journal"))) { error in
                XCTAssertEqual(error as? RegistrationError, .duplicate(consumer: "journal"))
            }
            async let first = recovery.run()
            try await Task.sleep(for: .milliseconds(20))
            recovery.crash()
            let crashed = try await first
            XCTAssertTrue(crashed.crashed)
            try registerAll()
            let second = try await recovery.run()
            XCTAssertEqual(second.run, 2)
            XCTAssertEqual(second.outcome?.succeeded, ["journal", "volumes"])
            h.assertTracePasses()
        }
    }
}

/// A one-shot signal for tests.
final class Gate: @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func open() {
        let waiters = lock.withLock {
            isOpen = true
            defer { self.waiters = [] }
            return self.waiters
        }
        waiters.forEach { $0.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let ready = lock.withLock {
                if isOpen { return true }
                waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
