import Driver

/// The data area as a start state held it: its medium (a copy sharing every page) and its
/// contents model, whose base then equalled the medium's data area byte for byte. A page
/// either still holds later is unchanged since (pages are copied on write, and these copies
/// keep every page shared), so the contents check skips a part where both still hold theirs
/// (`DriverSimulation.mediumMatchesBase`).
///
/// Immutable: nothing writes through it, so states on several threads may share it.
final class PristineDataArea: @unchecked Sendable {
    /// The medium as the start state had it.
    let medium: MemoryBlockDevice
    /// The contents model as the start state had it.
    let model: DriverContentsModel
    /// The device offset of the data area's first byte, where the start state's chunk map
    /// put every logical byte in order (logical offset `o` at `physicalStart + o`).
    let physicalStart: Int

    /// The data areas worth keeping: of a device sized from a captured trace, not the
    /// explorer's own few chunks (where every state would retain the reference for nothing).
    static let leastBytes = 1 << 20

    /// The data area of `state` (just formatted, its model's base `data`); nil unless it holds
    /// `leastBytes` at least, the chunk map puts the whole area in order at one place, and the
    /// medium there holds `data` (nothing of it waits in the cache).
    init?(_ state: DriverSimulation, data: [UInt8]) {
        guard data.count >= Self.leastBytes, let layout = state.core.layout,
              let piece = state.core.dataRanges(offset: 0, length: layout.dataBytes).first,
              state.core.dataRanges(offset: 0, length: layout.dataBytes) == [DeviceRange(offset: piece.offset, count: data.count)],
              state.disk.medium.bytes(in: piece.offset ..< piece.offset + data.count).withUnsafeBytes({ medium in
                  data.withUnsafeBytes { DriverContentsModel.equal(medium, $0) }
              }) else { return nil }
        medium = state.disk.medium.copy()
        model = state.model
        physicalStart = piece.offset
    }
}
