import Recovery
import Trace
import XCTest

/// Registration errors, each with its message, and the recorded `reject`/`register`/`begin`.
final class RegistrationTests: XCTestCase {
    func testDuplicateNameIsRejectedAtOnce() {
        var h = CoreHarness(workers: 1)
        h.register(.init("journal"))
        let actions = h.feed(.register(.init("journal", deps: ["x"])))
        XCTAssertEqual(actions, [.rejected(.duplicate(consumer: "journal"))])
        XCTAssertEqual(RegistrationError.duplicate(consumer: "journal").description,
                       "consumer \"journal\" is already registered")
        // Recorded at once, before anything else.
        XCTAssertEqual(h.events, [TraceEvent(
            node: "framework", seq: 1,
            kind: .reject(consumer: "journal", reason: "consumer \"journal\" is already registered"))])
        h.feed(.begin)
        XCTAssertEqual(h.lines, ["reject journal", "register journal", "begin", "notify journal", "w0 start journal"])
        XCTAssertEqual(h.ok("journal").outcome?.rejected, [.duplicate(consumer: "journal")])
        h.assertSpecPasses()
    }

    func testCycleIsRejectedNamingTheCycleAndItsDependentsNamingTheMember() {
        var h = CoreHarness(workers: 2)
        h.register(
            .init("a", deps: ["b"]), .init("b", after: ["c"]), .init("c", logs: ["a"]),
            .init("d", deps: ["a"]), .init("e"), .init("self", deps: ["self"]))
        let actions = h.feed(.begin)
        let rejected = actions.compactMap { if case let .rejected(e) = $0 { e } else { nil } }
        XCTAssertEqual(rejected, [
            .cycle(consumer: "a", cycle: ["a", "b", "c"]),
            .cycle(consumer: "b", cycle: ["b", "c", "a"]),
            .cycle(consumer: "c", cycle: ["c", "a", "b"]),
            .namesRejected(consumer: "d", name: "a"),
            .cycle(consumer: "self", cycle: ["self"]),
        ])
        XCTAssertEqual(rejected.map(\.description), [
            "consumer \"a\" is on the dependency cycle a -> b -> c -> a",
            "consumer \"b\" is on the dependency cycle b -> c -> a -> b",
            "consumer \"c\" is on the dependency cycle c -> a -> b -> c",
            "consumer \"d\" depends on \"a\", whose registration was rejected",
            "consumer \"self\" is on the dependency cycle self -> self",
        ])
        XCTAssertEqual(h.lines, [
            "reject a", "reject b", "reject c", "reject d", "register e", "reject self", "begin",
            "notify e", "w0 start e",
        ])
        XCTAssertEqual(h.ok("e").outcome?.succeeded, ["e"])
        h.assertSpecPasses()
    }

    func testConsumerBetweenTwoCyclesIsRejectedForNamingOne() {
        var h = CoreHarness(workers: 1)
        h.register(
            .init("a", deps: ["b"]), .init("b", deps: ["a"]), .init("x", deps: ["a"]),
            .init("c", deps: ["d", "x"]), .init("d", deps: ["c"]))
        let rejected = h.feed(.begin).compactMap { if case let .rejected(e) = $0 { e } else { nil } }
        XCTAssertEqual(rejected, [
            .cycle(consumer: "a", cycle: ["a", "b"]),
            .cycle(consumer: "b", cycle: ["b", "a"]),
            .namesRejected(consumer: "x", name: "a"),
            .cycle(consumer: "c", cycle: ["c", "d"]),
            .cycle(consumer: "d", cycle: ["d", "c"]),
        ])
        // Nothing accepted: done at once.
        XCTAssertEqual(h.lines.suffix(2), ["begin", "done true"])
        h.assertSpecPasses()
    }

    func testUnknownNameIsRejectedAtBeginAndNamesMayReferToLaterRegistrations() {
        var h = CoreHarness(workers: 1)
        h.register(.init("volumes", deps: ["journal"]), .init("journal"), .init("quota", after: ["ghost"]),
                   .init("stats", deps: ["quota"]))
        let actions = h.feed(.begin)
        XCTAssertEqual(actions.compactMap { if case let .rejected(e) = $0 { e.description } else { nil } }, [
            "consumer \"quota\" depends on \"ghost\", which is not registered",
            "consumer \"stats\" depends on \"quota\", whose registration was rejected",
        ])
        XCTAssertEqual(h.events[2].kind, .reject(
            consumer: "quota", reason: "consumer \"quota\" depends on \"ghost\", which is not registered"))
        XCTAssertEqual(actions.starts, ["journal@w0"])
        XCTAssertEqual(h.ok("journal").starts, ["volumes@w0"])
        let outcome = h.ok("volumes").outcome
        XCTAssertEqual(outcome?.succeeded, ["volumes", "journal"])
        XCTAssertEqual(outcome?.rejected.map(\.consumer), ["quota", "stats"])
        XCTAssertEqual(outcome?.ok, true)
        h.assertSpecPasses()
    }

    func testLateRegistrationIsRefusedAndRecorded() {
        var h = CoreHarness(workers: 1)
        h.register(.init("journal"))
        h.feed(.begin)
        let actions = h.feed(.register(.init("late")))
        XCTAssertEqual(actions, [.rejected(.late(consumer: "late"))])
        XCTAssertEqual(RegistrationError.late(consumer: "late").description,
                       "consumer \"late\" registers after recovery began; the dependency graph is sealed")
        XCTAssertEqual(h.lines.last, "reject late")
        XCTAssertEqual(h.feed(.begin), [.refused(.alreadyBegun(run: 1))])
        h.ok("journal")
        h.assertSpecPasses()
    }

    func testNonPositiveTimeoutIsRefused() {
        var h = CoreHarness(workers: 1)
        XCTAssertEqual(h.feed(.register(.init("a", timeout: .zero))),
                       [.rejected(.invalidTimeout(consumer: "a", .zero))])
        XCTAssertEqual(RegistrationError.invalidTimeout(consumer: "a", .seconds(-1)).description,
                       "consumer \"a\" has timeout -1.0 seconds; a timeout must be positive")
    }
}
