import Driver
import Foundation

// The I/O thread: executes the queued device operations one at a time, in issue order, without
// the lock (`BlockDevice.perform`); feeds their completions back in batches; feeds `.idle` when
// nothing is queued; and carries out power failures. It sleeps on the condition when it has
// nothing to do (never spins).
//
// A power failure (a cut or a halt) lands while writes sit in the volatile cache: from the
// moment it is asked for, a flush is held (taken off the queue and not carried out, as a disk
// that has not finished it when the power goes) whenever the cache holds writes it would make
// durable, while every other queued operation runs and its completion is fed to the core. Once
// nothing is left but held flushes (or nothing at all), the power goes: the cache holds every
// write since the last flush that completed. Nothing the core was told durable is lost: a
// flush's completion is fed only after the flush ran. `holdFlushes` holds them earlier, but
// lets them go ahead while a caller waits on one (room in staging, a sync, a shutdown).

extension DriverRuntime {
    /// What executing one job gave.
    enum JobOutcome {
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
            if !state.heldFlushes.isEmpty, !holdsFlush() {
                // The hold lifted (a caller waits on a flush): the held flushes go first, in order.
                state.queue.insert(contentsOf: state.heldFlushes.map { .device($0, .flush) }, at: state.head)
                state.heldFlushes.removeAll()
            }
            if state.hasQueued {
                let job = state.queue[state.head]
                state.head += 1
                if state.head == state.queue.count {
                    state.queue.removeAll(keepingCapacity: true)
                    state.head = 0
                }
                if case let .device(ticket, .flush) = job, holdsFlush() {
                    state.heldFlushes.append(ticket)
                    continue
                }
                condition.unlock()
                let outcome = execute(job)
                condition.lock()
                count(job)
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
                if case .device(_, .flush) = job {} else if state.hasQueued, done.count < Self.completionBatch { continue }
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
            // Nothing queued but held flushes, nothing to feed: a power failure lands here.
            if state.cut != nil {
                carryOutCut(&wake)
                continue
            }
            if state.halting {
                close(with: LiveDriverError.powerLost, &wake)
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

    /// Whether a flush is held now (lock held, on the I/O thread): when flushes are to be held
    /// (`State.flushesHeld`) and the cache holds writes the flush would make durable. Over an
    /// empty cache a flush changes nothing on the medium, so it goes ahead and the core moves
    /// on (a journal whose ring waits for a commit, say, writes the commit's blocks next).
    private func holdsFlush() -> Bool {
        state.flushesHeld && (cache?.pendingWrites ?? 1) > 0
    }

    /// Runs one job on the device (lock released).
    private func execute(_ job: IOJob) -> JobOutcome {
        do throws(BlockDeviceError) {
            switch job {
            case let .device(ticket, operation):
                return .completed(ticket, bytes: try device.perform(operation))
            case let .serve(ticket, pieces, overlay):
                return .served(ticket, try device.readBytes(pieces: pieces, overlay: overlay))
            }
        } catch {
            return .failed(error)
        }
    }

    /// Counts an executed job (lock held).
    private func count(_ job: IOJob) {
        switch job {
        case .device(_, .write(_, let bytes)):
            state.statistics.writes += 1
            state.statistics.bytesWritten += bytes.count
        case .device(_, .patch(let extents)):
            state.statistics.patches += 1
            state.statistics.bytesPatched += extents.reduce(0) { $0 + $1.bytes.count }
        case .device(_, .flush):
            state.statistics.flushes += 1
        case .device(_, .read), .serve:
            state.statistics.reads += 1
        }
    }

    /// Carries out the power cut asked for, once nothing but held flushes is left (lock held on
    /// entry and exit; released while the cache decides what survives): the held flushes are
    /// dropped, the cache's unflushed writes meet their fates, callers waiting get `powerLost`,
    /// the core gets `.powerLoss` and starts recovering.
    private func carryOutCut(_ wake: inout Wakeups) {
        guard let cut = state.cut else { return }
        state.queue.removeAll()
        state.head = 0
        state.heldFlushes.removeAll()
        state.holdingFlushes = false
        condition.unlock()
        let result = Result { () throws(BlockDeviceError) in try cut.cache.cut(seed: cut.seed, tornFraction: cut.tornFraction) }
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
