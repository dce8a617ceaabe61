@testable import Explorer
import XCTest

/// The seeded bugs are one typed list: each system's `faults=` names are exactly its cases, each
/// case's bounds show it with the invariant it names, and its configuration text round-trips.
final class SeededFaultTests: XCTestCase {
    func testEachSystemReadsExactlyItsOwnFaults() {
        for fault in SeededFault.allCases {
            let mirror = MirrorSimulation.Configuration(parsing: "records=1 faults=" + fault.rawValue)
            let driver = DriverSimulation.Configuration(parsing: "requests=1 faults=" + fault.rawValue)
            let recovery = RecoverySimulation.Configuration(parsing: "consumers=2 faults=" + fault.rawValue)
            XCTAssertEqual(mirror != nil, fault.system == MirrorSimulation.system, "\(fault)")
            XCTAssertEqual(driver != nil, fault.system == DriverSimulation.system, "\(fault)")
            XCTAssertEqual(recovery != nil, fault.system == RecoverySimulation.system, "\(fault)")
            let description = mirror?.description ?? driver?.description ?? recovery?.description ?? ""
            XCTAssertTrue(description.hasSuffix("faults=" + fault.rawValue), description)
        }
    }

    func testEachFaultShowsAtItsBoundsAndTheCorrectCorePassesThem() throws {
        for fault in SeededFault.allCases {
            let (found, clean) = try search(fault)
            XCTAssertEqual(found.counterexamples.first?.violation.invariant, fault.expectedInvariant, "\(fault)")
            XCTAssertEqual(clean.verdict, .pass, "\(fault): the correct core fails \(fault.showingBounds)")
        }
    }

    private func search(_ fault: SeededFault) throws -> (ExplorationReport, ExplorationReport) {
        switch fault.system {
        case MirrorSimulation.system:
            return (explore(try XCTUnwrap(MirrorSimulation(parsing: fault.showingConfiguration))),
                    explore(try XCTUnwrap(MirrorSimulation(parsing: fault.showingBounds))))
        case DriverSimulation.system:
            return (explore(try XCTUnwrap(DriverSimulation(parsing: fault.showingConfiguration))),
                    explore(try XCTUnwrap(DriverSimulation(parsing: fault.showingBounds))))
        default:
            return (explore(try XCTUnwrap(RecoverySimulation(parsing: fault.showingConfiguration))),
                    explore(try XCTUnwrap(RecoverySimulation(parsing: fault.showingBounds))))
        }
    }
}
