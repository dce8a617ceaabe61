import Driver
import DriverLive

/// Fills a freshly formatted image's staging with a bare `DriverCore` whose flushes never
/// complete: every region is sealed and written to the journal, none becomes durable, so none is
/// checkpointed. Then the device is flushed, as if a power cut kept every write. What recovery
/// then has to replay is a full staging area.
struct StagingFiller {
    let device: FileBlockDevice
    let config: StagingConfig

    /// Fills staging; returns the requests staged.
    func fill() throws -> Int {
        var core = DriverCore()
        var completes = 0
        var holdFlushes = false
        /// Carries out actions in order with `BlockDevice.perform`, feeding each completion at
        /// once; a held flush is never done, so it never completes.
        func carryOut(_ actions: [DriverCore.Action]) throws {
            var queue = actions[...]
            while let action = queue.popFirst() {
                if let (ticket, operation) = action.deviceOperation {
                    if case .flush = operation, holdFlushes { continue }
                    let bytes = try device.perform(operation)
                    queue.append(contentsOf: core.handle(.completed(ticket, bytes: bytes)))
                    continue
                }
                switch action {
                case .complete:
                    completes += 1
                case let .failed(error):
                    throw LiveDriverError.image(device: device.path, error)
                default:
                    break
                }
            }
        }
        try carryOut(core.handle(.format(blockSize: device.blockSize, blockCount: device.blockCount, staging: config, nonce: 7)))
        holdFlushes = true
        // Sixteen requests fill a region exactly (64 KiB less a record header, in 1 MiB regions).
        let length = config.regionBytes / 16 - 28
        let payload = [UInt8](repeating: 0x3C, count: length)
        let dataBytes = core.layout!.dataBytes
        var id = 0
        while true {
            id += 1
            let before = completes
            try carryOut(core.handle(.submit(WriteRequest(
                iface: 0, id: id, offset: ((id - 1) * length) % (dataBytes - length), bytes: payload))))
            if completes == before { break }
        }
        try device.flush()
        return completes
    }
}
