import Checker
import Controller
import Foundation
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
            XCTAssertEqual(summary.served, options.keys, "seed \(seed): every key is served from the device")
            XCTAssertGreaterThan(summary.committed, 0)
            XCTAssertGreaterThan(summary.destagedAtRecovery, 0)
            XCTAssertNotNil(summary.driverRecovery)
            // The destage's tail was written with flushes held: the cut finds it in the cache.
            XCTAssertGreaterThan(summary.cut.writes, 0, "seed \(seed): the power failure caught cached writes")
            XCTAssertEqual(summary.cut.writes, summary.cut.lost + summary.cut.durable + summary.cut.torn, "seed \(seed)")
            for files in summary.traces {
                let report = Checker().check(files: files)
                XCTAssertEqual(report.verdict, .pass, "seed \(seed): \(files.map { ($0 as NSString).lastPathComponent }): "
                    + "\(report.error.map { "\($0)" } ?? "") "
                    + report.violations.map { "\($0.invariant): \($0.message)" }.joined(separator: "; "))
            }
        }
    }
}
