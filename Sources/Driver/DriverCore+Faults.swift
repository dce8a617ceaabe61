/// Deliberate bugs for the explorer's tests: each flag makes the core break a promise of the
/// `driver` system in some schedules, so that a test can show the explorer finds it. All off by
/// default; never set outside tests. The buggy paths are the `if faults.x` branches marked
/// "test-only fault" in the core.
package struct DriverCoreFaults: Sendable, Hashable {
    /// Marks a segment durable once a flush covers its write, even while an earlier segment's
    /// write is still out: the flush prefix rule ignored, so a later request is called durable
    /// before an earlier one (`driver.order`, and after a crash `driver.no-loss`).
    package var durableOutOfOrder: Bool
    /// Recovery stops one segment early: it replays a segment only once the next one checks
    /// out, so the newest segment of the journal is never replayed and the next epoch writes
    /// over it (`driver.no-loss` when it was durable, and the data area check).
    package var recoveryStopsEarly: Bool
    /// Recovery accepts any intact segment without checking that its seq and predecessor
    /// checksum continue the chain, so a stale segment (of an epoch before a crash, or of an
    /// earlier pass of the ring) is replayed (`driver.lifecycle` for its lost requests, and
    /// the data area check).
    package var acceptsStaleSegments: Bool
    /// Recovery trusts the data area: it names a segment's requests recovered but does not
    /// write their bytes again, so a checkpoint patch that the crash lost or tore stays lost.
    /// The trace looks right; only the data area shows it (the explorer's `driver.contents`).
    package var trustsDataArea: Bool

    /// No fault: the core as shipped.
    package static let none = DriverCoreFaults()

    /// Makes a set of faults; every flag defaults to off.
    package init(durableOutOfOrder: Bool = false, recoveryStopsEarly: Bool = false, acceptsStaleSegments: Bool = false,
                trustsDataArea: Bool = false) {
        self.durableOutOfOrder = durableOutOfOrder
        self.recoveryStopsEarly = recoveryStopsEarly
        self.acceptsStaleSegments = acceptsStaleSegments
        self.trustsDataArea = trustsDataArea
    }
}

/// A segment recovery read and checked but holds back (`DriverCoreFaults.recoveryStopsEarly`).
struct HeldSegment: Sendable {
    /// Its ring position.
    var position: Int
    /// Its blocks as read.
    var bytes: [UInt8]
}

extension DriverCore {
    /// Test-only fault (`recoveryStopsEarly`): the segment at `position` checked out. Holds it
    /// back, and replays the one held before (its successor has now checked out), or reads on.
    mutating func holdBack(_ bytes: [UInt8], _ header: SegmentHeader, _ sb: Superblock, position: Int,
                           _ state: inout RecoveryState, _ out: inout [Action]) {
        guard let layout else { return }
        let previous = state.held
        state.held = HeldSegment(position: position, bytes: bytes)
        state.expectedSeq += 1
        state.expectedPrev = header.checksum
        let next = layout.nextSegmentPosition(after: position + (header.totalBytes + layout.blockSize - 1) / layout.blockSize)
        guard let previous, let h = SegmentHeader.decode(previous.bytes),
              case let .success(segment) = DecodedSegment.decode(
                header: h, bytes: previous.bytes, expectedSeq: h.seq, expectedPrev: h.prev, layout: layout)
        else {
            recovery = state
            return scan(sb, at: next, &out)
        }
        let extents = replay(segment, &state, &out)
        state.step = .patch(sb, next: next)
        recovery = state
        out.append(.patch(ticket(for: .recovery), extents))
    }

    /// Test-only fault (`recoveryStopsEarly`): where the scan ends instead of `position`, and
    /// the seq and predecessor the next segment must carry: at the held segment, dropped.
    func scanEnd(_ state: RecoveryState, position: Int) -> (position: Int, seq: Int, prev: UInt32) {
        guard let held = state.held, let h = SegmentHeader.decode(held.bytes) else {
            return (position, state.expectedSeq, state.expectedPrev)
        }
        return (held.position, h.seq, h.prev)
    }
}
