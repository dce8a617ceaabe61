@testable import Driver
import Trace
import XCTest

/// The core's table of outstanding I/O: a dictionary's answers, in ticket order.
final class PendingIOTests: XCTestCase {
    func testAnswersAsADictionaryDoesInTicketOrder() {
        var table = PendingIO()
        var reference: [Int: IOPurpose] = [:]
        var rng = SplitMix64(seed: 18)
        let purposes: [IOPurpose] = [.ledger, .superblock, .recovery, .journal(seq: 3), .data(region: 1), .flush(mark: 2)]
        for step in 0..<2_000 {
            let ticket = Int.random(in: 0..<40, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:
                let purpose = purposes[step % purposes.count]
                table[IOTicket(ticket)] = purpose
                reference[ticket] = purpose
            case 1:
                XCTAssertEqual(table.removeValue(forKey: IOTicket(ticket)), reference.removeValue(forKey: ticket))
            default:
                table[IOTicket(ticket)] = nil
                reference[ticket] = nil
            }
            XCTAssertEqual(table[IOTicket(ticket)], reference[ticket])
            XCTAssertEqual(table.count, reference.count)
            XCTAssertEqual(table.map(\.key.raw), reference.keys.sorted())
            XCTAssertEqual(table.map(\.value), reference.keys.sorted().map { reference[$0]! })
        }
    }

    func testNewTicketsAppendAndALiteralSorts() {
        var table: PendingIO = [IOTicket(5): .ledger, IOTicket(2): .superblock]
        table[IOTicket(9)] = .recovery
        XCTAssertEqual(table.map(\.key.raw), [2, 5, 9])
        XCTAssertEqual(table.removeValue(forKey: IOTicket(5)), .ledger)
        XCTAssertNil(table.removeValue(forKey: IOTicket(5)))
        XCTAssertEqual(table.map(\.key.raw), [2, 9])
    }
}
