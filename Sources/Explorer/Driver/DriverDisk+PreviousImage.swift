import Driver

extension DriverDisk {
    /// The nonce of the earlier image (the explored one uses `DriverSimulation.nonce`).
    static let previousNonce: UInt32 = 0x0BAD_1DEA

    /// Requests of the earlier image: ids from 1001, so that none is a request of the explored
    /// run, each sealed alone into a one-block segment at ring positions 0, 1, 2, 3.
    static let previousRequests = (0..<4).map { k in
        WriteRequest(iface: 0, id: 1001 + k, offset: 300 + 150 * k,
                     bytes: (0..<200).map { UInt8(truncatingIfNeeded: 0xA5 ^ ($0 + 11 * k)) })
    }

    /// Makes the disk one that held an earlier driver image, as a reused device does: a core
    /// formats it with another nonce, writes `previousRequests` one segment each, everything is
    /// flushed, and power goes. Its journal segments stay on the medium (intact, but of
    /// another chain) where the explored image's journal will be written, and its data in the
    /// data area; a recovery must tell them from its own (`stale`).
    ///
    /// Every I/O completes in issue order, at once. Returns false if the earlier image could not
    /// be made (a broken core).
    func holdPreviousImage(blockSize: Int, blockCount: Int, staging: StagingConfig) -> Bool {
        var core = DriverCore(node: "previous")
        var queue: [DriverCore.Action] = core.handle(.format(
            blockSize: blockSize, blockCount: blockCount, staging: staging, nonce: Self.previousNonce))
        func drain() -> Bool {
            while !queue.isEmpty {
                let action = queue.removeFirst()
                var completion: (IOTicket, [UInt8]?)?
                do throws(BlockDeviceError) {
                    switch action {
                    case let .write(ticket, block, bytes):
                        try cache.write(block: block, bytes, fua: false)
                        completion = (ticket, nil)
                    case let .patch(ticket, extents):
                        try cache.patch(extents)
                        completion = (ticket, nil)
                    case let .flush(ticket):
                        try cache.flush()
                        completion = (ticket, nil)
                    case let .read(ticket, block, count):
                        completion = (ticket, try cache.read(block: block, count: count))
                    case .failed, .refused:
                        return false
                    default:
                        break
                    }
                } catch {
                    return false
                }
                if let (ticket, bytes) = completion { queue += core.handle(.completed(ticket, bytes: bytes)) }
            }
            return true
        }
        guard drain() else { return false }
        for request in Self.previousRequests {
            queue += core.handle(.submit(request))
            guard drain() else { return false }
            queue += core.handle(.idle)
            guard drain() else { return false }
        }
        return (try? cache.flush()) != nil
    }
}
