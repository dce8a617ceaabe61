import Checker
import Controller
import Foundation
import MirrorLive
import XCTest

/// A whole controller crashes and comes back through the recovery framework, with the driver's
/// and the mirror's consumers; each system's trace passes the checker.
final class WholeControllerTests: XCTestCase {
    func testCrashAndRecoveryOfTheWholeController() async throws {
        for seed: UInt64 in [1, 2, 3] {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("controller-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var options = ControllerRun.Options(outputDirectory: dir)
            options.records = 1_500
            options.destaged = 800
            options.seed = seed
            let summary = try await ControllerRun(options: options).run()

            let outcome = try XCTUnwrap(summary.outcome, "seed \(seed): the recovery run did not finish")
            XCTAssertEqual(outcome.failed.map(\.consumer), [], "seed \(seed)")
            XCTAssertEqual(outcome.succeeded.sorted(), ["destage", "driver-journal", "mirror-log", "serve"], "seed \(seed)")
            // The client wrote every record, and at most a window of them was uncommitted.
            XCTAssertEqual(summary.submitted, options.records, "seed \(seed)")
            XCTAssertEqual(summary.committedLSNs.count, summary.committed, "seed \(seed)")
            XCTAssertEqual(Set(summary.committedLSNs).count, summary.committed, "seed \(seed): an lsn committed twice")
            XCTAssertGreaterThanOrEqual(summary.committed, options.records - options.window, "seed \(seed)")
            // The secondary's log holds every committed record, byte for byte, and nothing the
            // client did not write; the destage wrote each of its records to the device.
            let log = try MirrorLogFile.read(path: dir + "/secondary.log")
            let logged = Set(log.map(\.lsn))
            XCTAssertEqual(logged.count, log.count, "seed \(seed): an lsn logged twice")
            XCTAssertTrue(Set(summary.committedLSNs).isSubset(of: logged), "seed \(seed)")
            XCTAssertTrue(logged.allSatisfy { (1...options.records).contains($0) }, "seed \(seed)")
            for record in log {
                XCTAssertEqual(record.key, UInt64((record.lsn - 1) % options.keys), "seed \(seed): lsn \(record.lsn)")
                XCTAssertEqual(record.payload, MirrorWorkload.payload(index: record.lsn - 1, size: options.payloadSize),
                               "seed \(seed): lsn \(record.lsn)")
            }
            XCTAssertEqual(summary.destagedAtRecovery, log.count, "seed \(seed)")
            XCTAssertEqual(summary.served, options.keys, "seed \(seed): every key is served from the device")
            // Every destaged request up to the last sync (700 of 800) was durable, so the
            // driver's recovery names at least those; none past the 800 written.
            let driver = try XCTUnwrap(summary.driverRecovery, "seed \(seed)")
            XCTAssertTrue((700...options.destaged).contains(driver.recovered), "seed \(seed): \(driver)")
            XCTAssertGreaterThan(driver.segments, 0, "seed \(seed): \(driver)")
            XCTAssertTrue(["end", "torn", "stale"].contains(driver.stop), "seed \(seed): \(driver)")
            // The destage's tail was written with flushes held: the cut finds it in the cache.
            XCTAssertGreaterThan(summary.cut.writes, 0, "seed \(seed): the power failure caught cached writes")
            XCTAssertEqual(summary.cut.writes, summary.cut.lost + summary.cut.durable + summary.cut.torn, "seed \(seed)")
            print("seed \(seed): committed \(summary.committed), logged \(log.count), driver \(driver), cut \(summary.cut)")
            for files in summary.traces {
                let report = Checker().check(files: files)
                XCTAssertEqual(report.verdict, .pass, "seed \(seed): \(files.map { ($0 as NSString).lastPathComponent }): "
                    + "\(report.error.map { "\($0)" } ?? "") "
                    + report.violations.map { "\($0.invariant): \($0.message)" }.joined(separator: "; "))
            }
        }
    }
}
