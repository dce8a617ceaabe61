@testable import Specs
import Trace
import XCTest

/// TRACE-FORMAT.md, "Settled readings": a lost request is forgotten, its id counts as never
/// submitted and may be submitted again, and a dep naming it is satisfied only by a later request
/// with that id that becomes durable.
final class DriverSpecLostIdTests: XCTestCase {
    /// Request 1 buffered, then lost at a crash whose recovery replays nothing.
    private func lostOne() -> DriverTraceBuilder {
        var t = DriverTraceBuilder()
        t.buffer(1)
        t.add(.crash)
        t.add(.online)
        return t
    }

    func testALostIdMayBeSubmittedAgain() throws {
        var t = lostOne()
        t.write(1, iface: 1)
        XCTAssertEqual(try t.check().brokenInvariants, [])
    }

    func testAnIdLostTwiceMayBeSubmittedThreeTimes() throws {
        var t = lostOne()
        t.buffer(1)
        t.add(.crash)
        t.add(.online)
        t.write(1)
        XCTAssertEqual(try t.check().brokenInvariants, [])
    }

    func testADepOnALostIdIsSatisfiedByTheResubmittedRequestDurableFirst() throws {
        var t = lostOne()
        t.submit(2, iface: 1, deps: [1])
        t.write(1)
        t.stage(2)
        t.complete(2)
        t.durable(2)
        XCTAssertEqual(try t.check().brokenInvariants, [])
    }

    func testADepOnALostIdDurableAfterItsDependentBreaksOrder() throws {
        var t = lostOne()
        t.submit(1)
        t.submit(2, iface: 1, deps: [1])
        t.stage(1)
        t.stage(2)
        t.durable(2)
        t.durable(1)
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.driverOrder])
        XCTAssertEqual(outcome.violations.count, 1)
    }

    func testADepOnALostIdNeverSubmittedAgainBreaksOrder() throws {
        var t = lostOne()
        t.write(2, iface: 1, deps: [1])
        let outcome = try t.check()
        XCTAssertEqual(outcome.brokenInvariants, [.driverOrder])
        XCTAssertEqual(outcome.violations.first?.message,
                       "request 2 became durable at driver#9, but its dep 1 was lost at the crash at driver#4 "
                        + "of its epoch (not recovered after it) and not submitted again, so it is never durable")
    }

    func testTheResubmittedRequestSurvivesLikeAnyOther() throws {
        var t = lostOne()
        t.write(1)
        t.add(.crash)
        t.recovered(1)
        t.add(.online)
        t.write(2, iface: 1, deps: [1])
        XCTAssertEqual(try t.check().brokenInvariants, [])
        // Only a lost id counts as never submitted: a survivor's id submitted again is a break.
        t.submit(1, iface: 1)
        XCTAssertEqual(try t.check().brokenInvariants, [.driverLifecycle])
    }

    func testIntKeySetRemovesFromRangesAndStragglers() {
        var set = IntKeySet()
        for key in [1, 2, 3, 4, 5, 9, 7] { set.insert(key) }
        XCTAssertTrue(set.remove(3))  // splits 1...5
        XCTAssertTrue(set.remove(1))  // a range's lower end
        XCTAssertTrue(set.remove(5))  // its upper end
        XCTAssertTrue(set.remove(7))  // a straggler
        XCTAssertTrue(set.remove(9))  // a range of one
        XCTAssertFalse(set.remove(9))
        XCTAssertFalse(set.remove(6))
        XCTAssertEqual((0 ... 10).filter { set.contains($0) }, [2, 4])
        set.insert(5)
        set.insert(3)
        XCTAssertEqual((0 ... 10).filter { set.contains($0) }, [2, 3, 4, 5])
        XCTAssertTrue(set.insert(11))
        XCTAssertFalse(set.insert(4))
    }

    /// The fingerprint's hash of a key set: equal for sets built in different orders with the
    /// same keys left (stragglers included, some removed again), different for other keys.
    func testIntKeySetHashesItsKeysWhateverTheirOrder() {
        func hash(_ set: IntKeySet) -> UInt64 {
            var hasher = StableHasher()
            set.hash(into: &hasher)
            return hasher.value
        }
        var a = IntKeySet(), b = IntKeySet()
        for key in [10, 3, 7, 1, 12, 5] { a.insert(key) }
        for key in [10, 5, 1, 9, 3, 7, 12] { b.insert(key) }
        XCTAssertNotEqual(hash(a), hash(b))  // b holds 9 too
        b.remove(9)
        XCTAssertEqual(hash(a), hash(b))
        a.remove(3)
        XCTAssertNotEqual(hash(a), hash(b))
        a.insert(3)
        XCTAssertEqual(hash(a), hash(b))
        var c = IntKeySet()
        for key in [10, 1, 7, 3, 12, 6] { c.insert(key) }  // 6 for 5
        XCTAssertNotEqual(hash(a), hash(c))
    }
}
