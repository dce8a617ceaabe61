import Foundation
import Recovery
import RecoveryLive
import XCTest

/// The synthetic workload `plumb record recovery` runs: generation, the graph file, and a full
/// run of a random graph with failures and a hang, checked by the Checker.
final class WorkloadTests: XCTestCase {
    func testRandomGraphIsDeterministicPerSeed() {
        let a = RecoveryWorkload.random(count: 50, maxMs: 20, seed: 7)
        XCTAssertEqual(a, RecoveryWorkload.random(count: 50, maxMs: 20, seed: 7))
        XCTAssertNotEqual(a, RecoveryWorkload.random(count: 50, maxMs: 20, seed: 8))
        var b = a
        b.inject(failures: 3, hang: true, timeoutMs: 30, seed: 7)
        XCTAssertEqual(b.consumers.filter { $0.fail == true }.count, 3)
        XCTAssertEqual(b.consumers.filter { $0.hang == true }.map(\.timeoutMs), [30])
    }

    func testGraphFileAndCriticalPath() throws {
        let json = """
            {"consumers": [
              {"name": "journal", "ms": 40},
              {"name": "replay", "deps": ["journal"], "ms": 25},
              {"name": "scrub", "logs": ["journal"], "after": ["replay"], "ms": 10},
              {"name": "solo"}
            ]}
            """
        let workload = try RecoveryWorkload.decode(Data(json.utf8))
        XCTAssertEqual(workload.consumers.map(\.name), ["journal", "replay", "scrub", "solo"])
        let all = Set(workload.consumers.map(\.name))
        XCTAssertEqual(workload.criticalPath(ran: all), .milliseconds(75))
        XCTAssertEqual(workload.seriesTime(ran: all), .milliseconds(85))
        XCTAssertThrowsError(try RecoveryWorkload.decode(Data(#"{"consumers":[{"deps":[]}]}"#.utf8)))
    }

    /// Plumb's own input files refuse unknown keys: a typo must not be ignored.
    func testAGraphWithAMisspelledKeyIsRefusedNamingLineConsumerAndKey() {
        let json = """
            {"consumers": [
              {"name": "journal", "ms": 40},
              {"name": "replay", "dep": ["journal"], "ms": 25}
            ]}
            """
        XCTAssertThrowsError(try RecoveryWorkload.decode(Data(json.utf8))) { error in
            let e = error as? RecoveryWorkloadError
            XCTAssertEqual(e?.line, 3)
            XCTAssertTrue(e?.message.hasPrefix(#"consumer "replay": unknown key "dep" (did you mean "deps"?)"#) ?? false,
                          "\(error)")
        }
        XCTAssertThrowsError(try RecoveryWorkload.decode(Data(#"{"consumers":[],"workers":2}"#.utf8))) { error in
            XCTAssertTrue("\(error)".contains(#"the top level: unknown key "workers""#), "\(error)")
        }
        XCTAssertThrowsError(try RecoveryWorkload.decode(Data(#"{"consumers":[{"name":"a","ms":"x"}]}"#.utf8))) { error in
            XCTAssertEqual("\(error)", #"line 1: consumer 1, field "ms": expected an integer"#)
        }
        // The consumer's own name finds its line, not the same name in another's deps.
        let named = "{\"consumers\": [\n {\"name\": \"a\"},\n {\"name\": \"b\", \"deps\": [\"c\"], \"ms\": 2},\n {\"name\": \"c\", \"ms\": \"x\"}]}"
        XCTAssertThrowsError(try RecoveryWorkload.decode(Data(named.utf8))) { error in
            XCTAssertEqual("\(error)", #"line 4: consumer 3, field "ms": expected an integer"#)
        }
        // A field of the wrong kind and text that is not JSON say where, in JSON's words.
        let list = "{\"consumers\": [\n {\"name\": \"a\"},\n {\"name\": \"b\", \"deps\": \"a\"}]}"
        XCTAssertThrowsError(try RecoveryWorkload.decode(Data(list.utf8))) { error in
            XCTAssertEqual("\(error)", #"line 3: consumer 2, field "deps": expected a list"#)
        }
        XCTAssertThrowsError(try RecoveryWorkload.decode(Data("{\n \"consumers\": [\n  {\"name\": \"a\",, }\n ]}".utf8))) { error in
            let e = error as? RecoveryWorkloadError
            XCTAssertEqual(e?.line, 3, "\(error)")
            XCTAssertTrue(e?.message.hasPrefix("not JSON: ") ?? false, "\(error)")
            XCTAssertFalse("\(error)".contains("The data is not in the correct format"), "\(error)")
        }
        // A duration below zero is no duration.
        let negative = """
            {"consumers": [
              {"name": "journal", "ms": 40},
              {"name": "replay", "ms": -5}
            ]}
            """
        XCTAssertThrowsError(try RecoveryWorkload.decode(Data(negative.utf8))) { error in
            XCTAssertEqual("\(error)", #"line 3: consumer "replay", field "ms": -5 is below 0 ms"#)
        }
    }

    func testRandomGraphWithFailuresAndAHangRecordsAPassingTrace() async throws {
        let h = try LiveHarness(workers: 8)
        var workload = RecoveryWorkload.random(count: 200, maxMs: 4, seed: 3)
        workload.inject(failures: 3, hang: true, timeoutMs: 40, seed: 3)
        for consumer in workload.recoveryConsumers() { try h.recovery.register(consumer) }
        let report = try await h.recovery.run()
        let outcome = try XCTUnwrap(report.outcome)
        XCTAssertEqual(outcome.failed.count, 4)
        XCTAssertEqual(outcome.failed.filter { $0.reason == "timeout" }.count, 1)
        XCTAssertEqual(outcome.succeeded.count + outcome.failed.count + outcome.skipped.count, 200)
        XCTAssertTrue(report.errors.contains { $0.error is ConsumerTimedOut })
        h.assertTracePasses()
    }
}
