/// One device operation a `DriverCore` asks for: every runtime (live, simulated, tests)
/// queues these and carries them out with `BlockDevice.perform(_:)`.
public enum DeviceOperation: Sendable, Equatable {
    /// Write whole blocks at `block`.
    case write(block: Int, bytes: [UInt8])
    /// Read-modify-write byte extents in order (`BlockDevice.patch`).
    case patch([ByteExtent])
    /// Flush the device's cache.
    case flush
    /// Read `count` blocks at `block`.
    case read(block: Int, count: Int)
}

extension DriverCore.Action {
    /// The device operation this action asks for, with the ticket its completion names; nil
    /// for actions that are not device I/O.
    public var deviceOperation: (IOTicket, DeviceOperation)? {
        switch self {
        case let .write(ticket, block, bytes): (ticket, .write(block: block, bytes: bytes))
        case let .patch(ticket, extents): (ticket, .patch(extents))
        case let .flush(ticket): (ticket, .flush)
        case let .read(ticket, block, count): (ticket, .read(block: block, count: count))
        default: nil
        }
    }
}

extension BlockDevice {
    /// Carries out `operation`; returns the bytes of a read (nil otherwise), which the core
    /// takes as `.completed(ticket, bytes:)`.
    public func perform(_ operation: DeviceOperation) throws(BlockDeviceError) -> [UInt8]? {
        switch operation {
        case let .write(block, bytes):
            try write(block: block, bytes, fua: false)
            return nil
        case let .patch(extents):
            try patch(extents)
            return nil
        case .flush:
            try flush()
            return nil
        case let .read(block, count):
            return try read(block: block, count: count)
        }
    }

    /// The bytes of `pieces`, one after another, with `overlay` (offsets counted from the first
    /// byte returned) laid over them in order: how a runtime answers `.serveRead`.
    public func readBytes(pieces: [DeviceRange], overlay: [ByteExtent]) throws(BlockDeviceError) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(pieces.reduce(0) { $0 + $1.count })
        for piece in pieces {
            result += try readBytes(at: piece.offset, count: piece.count)
        }
        for extent in overlay {
            let lo = max(0, extent.offset), hi = min(result.count, extent.offset + extent.bytes.count)
            guard lo < hi else { continue }
            result.replaceSubrange(lo ..< hi, with: extent.bytes[(lo - extent.offset) ..< (hi - extent.offset)])
        }
        return result
    }
}
