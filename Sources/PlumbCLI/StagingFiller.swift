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
        func carryOut(_ actions: [DriverCore.Action]) throws {
            var queue = actions[...]
            while let action = queue.popFirst() {
                var more: [DriverCore.Action] = []
                switch action {
                case let .write(ticket, block, bytes):
                    try device.write(block: block, bytes, fua: false)
                    more = core.handle(.completed(ticket, bytes: nil))
                case let .patch(ticket, extents):
                    try device.patch(extents)
                    more = core.handle(.completed(ticket, bytes: nil))
                case let .flush(ticket):
                    if !holdFlushes {
                        try device.flush()
                        more = core.handle(.completed(ticket, bytes: nil))
                    }
                case let .read(ticket, block, count):
                    more = core.handle(.completed(ticket, bytes: try device.read(block: block, count: count)))
                case .complete:
                    completes += 1
                case let .failed(error):
                    throw LiveDriverError.image(device: device.path, error)
                default:
                    break
                }
                queue.append(contentsOf: more)
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
