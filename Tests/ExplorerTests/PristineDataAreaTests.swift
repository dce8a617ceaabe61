@testable import Driver
@testable import Explorer
import XCTest

/// The contents check after a recovery compares the medium with the model's base in place and
/// skips the pages neither changed since the start state (`PristineDataArea`): a change on
/// either side is still compared and found, even one that puts back the bytes that were there.
final class PristineDataAreaTests: XCTestCase {
    /// The start state of a driver on a device of 2 MiB of data (as `--from` sizes one), its
    /// data area's place and size.
    func start() throws -> (state: DriverSimulation, start: Int, bytes: Int) {
        XCTAssertNil(try XCTUnwrap(DriverSimulation(parsing: "ifaces=1 requests=2")).pristine, "a few chunks: not kept")
        let workload = DriverSimulation.Workload(requests: [], programs: [[]])
        let staging = StagingConfig(stagingBytes: 8192, regionBytes: 4096, chunkBytes: 4096)
        let blocks = try XCTUnwrap(DriverSimulation.blockCount(holding: 2 << 20, staging: staging))
        let state = try XCTUnwrap(DriverSimulation(configuration: try XCTUnwrap(.init(parsing: "ifaces=1 crashes=1")),
                                                   workload: workload, blockCount: blocks, staging: staging))
        let layout = try XCTUnwrap(state.core.layout)
        let pristine = try XCTUnwrap(state.pristine, "a freshly formatted area lies in order at one place")
        XCTAssertEqual(pristine.physicalStart, layout.dataStart * layout.blockSize)
        return (state, pristine.physicalStart, layout.dataBytes)
    }

    /// The check's finding on `state`, nil when it passes.
    func check(_ state: DriverSimulation) -> String? {
        var state = state
        let model = state.model
        state.checkDataArea(when: "in the test", expected: { model.base(in: $0) }, baseHolds: { _ in true })
        return state.found?.invariant
    }

    func testAnUnchangedAreaPassesAndAChangedMediumByteIsFoundWherePagesAreStillShared() throws {
        let (state, start, bytes) = try start()
        XCTAssertNil(check(state))
        for offset in [0, bytes / 2, bytes - 1] {
            var changed = state
            let disk = changed.mutableDisk()
            let old = disk.medium.bytes(in: start + offset ..< start + offset + 1)[0]
            disk.medium.replaceBytes(at: start + offset, with: [old ^ 0xFF][...])
            XCTAssertEqual(check(changed), DriverSimulation.contentsInvariant, "a byte changed at \(offset)")
            // The same bytes put back: the page is another buffer now, compared byte for byte.
            disk.medium.replaceBytes(at: start + offset, with: [old][...])
            XCTAssertNil(check(changed), "the byte put back at \(offset)")
        }
        XCTAssertNil(check(state), "the start state's own disk is untouched")
    }

    func testAChangedModelIsFoundWhereTheMediumStillHoldsThePristinePage() throws {
        let (state, _, bytes) = try start()
        var changed = state
        let offset = bytes / 3
        let old = changed.model.base(in: offset ..< offset + 1)[0]
        changed.model = DriverContentsModel(base: {
            var base = state.model.base(in: 0 ..< bytes)
            base[offset] = old ^ 0x5A
            return base
        }())
        XCTAssertEqual(check(changed), DriverSimulation.contentsInvariant)
    }
}
