import Driver
import Foundation
import Trace

/// Work queued for the I/O thread.
enum IOJob: Sendable {
    /// A device operation the core asked for (`BlockDevice.perform(_:)` does it).
    case device(IOTicket, DeviceOperation)
    /// A caller's read to answer (`BlockDevice.readBytes(pieces:overlay:)`).
    case serve(ReadTicket, pieces: [DeviceRange], overlay: [ByteExtent])
}

/// Continuations to resume once the lock is released, with what each gets.
struct Wakeups {
    var voids: [(CheckedContinuation<Void, any Error>, (any Error)?)] = []
    var reads: [(CheckedContinuation<[UInt8], any Error>, Result<[UInt8], any Error>)] = []
    var summaries: [(CheckedContinuation<RecoverySummary, any Error>, Result<RecoverySummary, any Error>)] = []
    var cuts: [(CheckedContinuation<CutReport, any Error>, Result<CutReport, any Error>)] = []

    var isEmpty: Bool { voids.isEmpty && reads.isEmpty && summaries.isEmpty && cuts.isEmpty }

    /// Resumes every continuation (lock released).
    func run() {
        for (continuation, error) in voids {
            if let error { continuation.resume(throwing: error) } else { continuation.resume() }
        }
        for (continuation, result) in reads { continuation.resume(with: result) }
        for (continuation, result) in summaries { continuation.resume(with: result) }
        for (continuation, result) in cuts { continuation.resume(with: result) }
    }
}

// Carrying out the core's actions. Called with the lock held: events are recorded here, in the
// order returned; device operations are queued for the I/O thread; callers to resume are
// collected in `wake`, resumed after the lock is released.
extension DriverRuntime {
    /// Carries out `actions` in order (lock held). A `.refused` is handed back in `refusal`:
    /// it answers the input just fed, whose caller throws it.
    func carryOut(_ actions: [DriverCore.Action], refusal: inout RequestRefusal?, _ wake: inout Wakeups) {
        for action in actions {
            if let (ticket, operation) = action.deviceOperation {
                state.queue.append(.device(ticket, operation))
                continue
            }
            switch action {
            case var .record(event):
                event.t = nanoseconds()
                recorder.record(event)
            case .write, .patch, .flush, .read:
                break // device I/O, queued above
            case let .serveRead(ticket, pieces, overlay):
                state.queue.append(.serve(ticket, pieces: pieces, overlay: overlay))
            case let .complete(id):
                finishWrite(id, nil, &wake)
            case let .syncDone(iface):
                if var waiting = state.syncs[iface], !waiting.isEmpty {
                    wake.voids.append((waiting.removeFirst(), nil))
                    state.syncs[iface] = waiting.isEmpty ? nil : waiting
                }
            case let .refused(why):
                refusal = why
            case let .online(summary):
                state.lastRecovery = summary
                if let start = state.start {
                    state.start = nil
                    wake.summaries.append((start, .success(summary)))
                }
                if let recovering = state.recovering {
                    state.recovering = nil
                    wake.cuts.append((recovering.continuation, .success(recovering.report)))
                }
            case let .failed(error):
                let starting = state.start != nil
                close(with: starting ? LiveDriverError.image(device: deviceName, error)
                                     : LiveDriverError.failed(device: deviceName, error), &wake)
                // Nothing after a failure runs: a failed mount leaves the device untouched.
                return
            case .stopped:
                if let shutdown = state.shutdown {
                    state.shutdown = nil
                    wake.voids.append((shutdown, nil))
                }
                state.closed = LiveDriverError.stopped
                state.exit = true
                sweep(LiveDriverError.stopped, &wake)
                recorder.flush()
            }
        }
        wakeIOThread()
    }

    /// A write's `complete` (nil) or failure: resumes its caller, or leaves the answer for it.
    func finishWrite(_ id: Int, _ error: (any Error)?, _ wake: inout Wakeups) {
        switch state.writes[id] {
        case .pending:
            state.writes[id] = .finished(error)
        case let .parked(continuation):
            state.writes[id] = nil
            wake.voids.append((continuation, error))
        case .finished, nil:
            break
        }
    }

    /// Every waiting write, sync and read gets `error` (lock held).
    func sweep(_ error: any Error, _ wake: inout Wakeups) {
        for (id, slot) in state.writes {
            switch slot {
            case .pending: state.writes[id] = .finished(error)
            case let .parked(continuation):
                state.writes[id] = nil
                wake.voids.append((continuation, error))
            case .finished: break
            }
        }
        for (_, waiting) in state.syncs {
            for continuation in waiting { wake.voids.append((continuation, error)) }
        }
        state.syncs = [:]
        for (_, continuation) in state.reads { wake.reads.append((continuation, .failure(error))) }
        state.reads = [:]
    }

    /// The driver serves no more (lock held): queued operations are dropped, every waiter and
    /// every later call gets `error`, and the I/O thread ends.
    func close(with error: any Error, _ wake: inout Wakeups) {
        state.closed = error
        state.exit = true
        state.queue.removeAll()
        state.head = 0
        state.heldFlushes.removeAll()
        sweep(error, &wake)
        if let start = state.start {
            state.start = nil
            wake.summaries.append((start, .failure(error)))
        }
        if let cut = state.cut {
            state.cut = nil
            wake.cuts.append((cut.continuation, .failure(error)))
        }
        if let recovering = state.recovering {
            state.recovering = nil
            wake.cuts.append((recovering.continuation, .failure(error)))
        }
        if let shutdown = state.shutdown {
            state.shutdown = nil
            wake.voids.append((shutdown, error))
        }
        recorder.flush()
        if state.ioWaiting {
            state.signaled = true
            condition.signal()
        }
    }

    /// Nanoseconds since the runtime was made, for `t`.
    func nanoseconds() -> Int {
        epoch.duration(to: clock.now).nanoseconds
    }
}
