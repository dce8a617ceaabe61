import Driver
import Foundation

// The I/O thread: executes the queued device operations one at a time, in issue order, without
// the lock; feeds their completions back in batches; feeds `.idle` when nothing is queued; and
// carries out power cuts between two operations. It sleeps on the condition when it has
// nothing to do (never spins).

extension DriverRuntime {
    /// What executing one operation gave.
    enum OpOutcome {
        /// An operation of the core finished (`bytes` for a read).
        case completed(IOTicket, bytes: [UInt8]?)
        /// A caller's read was served.
        case served(ReadTicket, [UInt8])
        /// The device failed: fatal.
        case failed(BlockDeviceError)
    }

    /// The most completions held back before they are fed (a flush is fed at once).
    static let completionBatch = 32

    /// The I/O thread's body; returns when the driver is closed and nothing is queued.
    func ioLoop() {
        var done: [(IOTicket, [UInt8]?)] = []
        var wake = Wakeups()
        condition.lock()
        while true {
            if !wake.isEmpty {
                condition.unlock()
                wake.run()
                wake = Wakeups()
                condition.lock()
                continue
            }
            if state.exit && !state.hasQueued { break }
            if state.cut != nil {
                // Completions of operations that ran before the cut are lost with the power.
                done.removeAll()
                carryOutCut(&wake)
                continue
            }
            if state.hasQueued {
                let op = state.queue[state.head]
                state.head += 1
                if state.head == state.queue.count {
                    state.queue.removeAll(keepingCapacity: true)
                    state.head = 0
                }
                condition.unlock()
                let outcome = execute(op)
                condition.lock()
                count(op)
                switch outcome {
                case let .completed(ticket, bytes):
                    done.append((ticket, bytes))
                case let .served(ticket, bytes):
                    if let continuation = state.reads.removeValue(forKey: ticket.raw) {
                        wake.reads.append((continuation, .success(bytes)))
                    }
                case let .failed(error):
                    done.removeAll()
                    close(with: error, &wake)
                    continue
                }
                if state.cut != nil { continue }
                if case .flush = op {} else if state.hasQueued, done.count < Self.completionBatch { continue }
            }
            if !done.isEmpty {
                state.statistics.completionBatches += 1
                state.statistics.completions += done.count
                var refusal: RequestRefusal?
                for (ticket, bytes) in done where !state.exit {
                    carryOut(state.core.handle(.completed(ticket, bytes: bytes)), refusal: &refusal, &wake)
                }
                done.removeAll(keepingCapacity: true)
                state.idleDue = true
                continue
            }
            if state.idleDue {
                state.idleDue = false
                if state.core.phase == .online {
                    var refusal: RequestRefusal?
                    carryOut(state.core.handle(.idle), refusal: &refusal, &wake)
                }
                continue
            }
            if !wake.isEmpty { continue }
            state.ioWaiting = true
            while !state.signaled { condition.wait() }
            state.signaled = false
            state.ioWaiting = false
        }
        state.threadFinished = true
        condition.broadcast()
        condition.unlock()
        wake.run()
    }

    /// Runs one operation on the device (lock released).
    private func execute(_ op: DeviceOp) -> OpOutcome {
        do throws(BlockDeviceError) {
            switch op {
            case let .write(ticket, block, bytes):
                try device.write(block: block, bytes, fua: false)
                return .completed(ticket, bytes: nil)
            case let .patch(ticket, extents):
                try device.patch(extents)
                return .completed(ticket, bytes: nil)
            case let .flush(ticket):
                try device.flush()
                return .completed(ticket, bytes: nil)
            case let .read(ticket, block, count):
                return .completed(ticket, bytes: try device.read(block: block, count: count))
            case let .serve(ticket, pieces, overlay):
                return .served(ticket, try device.readBytes(pieces: pieces, overlay: overlay))
            }
        } catch {
            return .failed(error)
        }
    }

    /// Counts an executed operation (lock held).
    private func count(_ op: DeviceOp) {
        switch op {
        case let .write(_, _, bytes):
            state.statistics.writes += 1
            state.statistics.bytesWritten += bytes.count
        case let .patch(_, extents):
            state.statistics.patches += 1
            state.statistics.bytesPatched += extents.reduce(0) { $0 + $1.bytes.count }
        case .flush:
            state.statistics.flushes += 1
        case .read, .serve:
            state.statistics.reads += 1
        }
    }

    /// Carries out the power cut asked for (lock held on entry and exit; released while the
    /// cache decides what survives): operations not started are dropped, callers waiting get
    /// `powerLost`, the core gets `.powerLoss` and starts recovering.
    private func carryOutCut(_ wake: inout Wakeups) {
        guard let cut = state.cut else { return }
        state.queue.removeAll()
        state.head = 0
        condition.unlock()
        let result = Result { () throws(BlockDeviceError) in try cut.cache.cut(seed: cut.seed) }
        condition.lock()
        state.cut = nil
        switch result {
        case let .failure(error):
            wake.cuts.append((cut.continuation, .failure(error)))
            close(with: error, &wake)
        case let .success(report):
            sweep(LiveDriverError.powerLost, &wake)
            if let earlier = state.recovering {
                // Power lost again during recovery: that cut's recovery never finishes.
                wake.cuts.append((earlier.continuation, .failure(LiveDriverError.powerLost)))
            }
            state.recovering = (report, cut.continuation)
            var refusal: RequestRefusal?
            carryOut(state.core.handle(.powerLoss), refusal: &refusal, &wake)
        }
    }
}
