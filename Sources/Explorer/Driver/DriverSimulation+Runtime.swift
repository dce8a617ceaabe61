import Driver
import Specs
import Trace

// The simulated runtime: carrying out the core's actions, the device's I/O, and power cuts.
extension DriverSimulation {
    /// Carries out the core's actions, in order.
    mutating func perform(_ actions: [DriverCore.Action]) {
        for action in actions {
            switch action {
            case let .record(event):
                record(event)
            case let .write(ticket, block, bytes):
                outstanding.append(IO(ticket: ticket, operation: .write(block: block, bytes: bytes)))
            case let .patch(ticket, extents):
                outstanding.append(IO(ticket: ticket, operation: .patch(extents)))
            case let .flush(ticket):
                outstanding.append(IO(ticket: ticket, operation: .flush))
            case let .read(ticket, block, count):
                outstanding.append(IO(ticket: ticket, operation: .read(block: block, count: count)))
            case .complete, .syncDone, .serveRead, .online:
                // Callers are not told (their programs do not wait), and nobody reads.
                break
            case let .refused(refusal):
                report("driver.runtime", "the core refused a step of the workload: \(refusal)")
            case let .failed(error):
                report(Self.contentsInvariant, "the image cannot be recovered, so nothing survived: \(error)")
            case .stopped:
                checkDataArea(against: model.everything(workload), when: "after the shutdown")
            }
        }
    }

    /// Appends an event to the trace and the contents model; after the `online` that ends a
    /// recovery, checks the data area.
    mutating func record(_ event: TraceEvent) {
        if keepsTrace { events.append(event) }
        let wasRecovering = model.recovering
        model.observe(event, workload: workload)
        monitor.observe(event)
        if wasRecovering, case .online = event.kind {
            checkDataArea(against: model.base, when: "after the recovery that ended at seq \(event.seq)")
        }
    }

    /// The device does outstanding I/O `ticket`, and the core hears of its completion.
    mutating func complete(_ ticket: IOTicket) {
        guard let index = outstanding.firstIndex(where: { $0.ticket == ticket }) else { return }
        let io = outstanding.remove(at: index)
        var bytes: [UInt8]?
        do throws(BlockDeviceError) {
            switch io.operation {
            case let .write(block, data):
                try mutableDisk().cache.write(block: block, data, fua: false)
            case let .patch(extents):
                try mutableDisk().cache.patch(extents)
            case .flush:
                let changes = disk.cache.pendingWrites > 0
                try mutableDisk().cache.flush()
                if changes { mediumChanged() }
            case let .read(block, count):
                bytes = try disk.cache.read(block: block, count: count)
            }
        } catch {
            return report("driver.device", "\(io.summary) failed: \(error)")
        }
        if case .read = io.operation {} else { pendingDigest = Self.digest(of: disk) }
        if core.phase == .recovering {
            recoverySteps += 1
            if recoverySteps > Self.recoveryStepLimit {
                return report(Self.stuckInvariant, "the recovery did \(recoverySteps) I/Os and does not end")
            }
        }
        perform(core.handle(.completed(ticket, bytes: bytes)))
    }

    /// Power fails: outstanding I/O is dropped; the fates of the pending writes come next.
    mutating func powerLoss() {
        crashesLeft -= 1
        recoverySteps = 0
        outstanding = []
        // The controller's shutdown request is lost with the power; it asks again once online.
        shutdownIssued = false
        fates = []
        if disk.cache.pendingWrites == 0 { cut() }
    }

    /// The fates a power cut may give pending write `index`: lost, durable, and with `torn`,
    /// its first k sectors kept for each k between.
    func fateChoices(after index: Int) -> [Choice] {
        let sectors = disk.cache.pendingWriteSectors
        let count = sectors[index]
        var fates: [Choice.Fate] = [.lost, .durable]
        if configuration.torn, count > 1 { fates += (1..<count).map { .torn(kept: $0) } }
        return fates.map { .fate(write: index, of: sectors.count, sectors: count, $0) }
    }

    /// Takes the fate of the next pending write; after the last one, cuts the power.
    mutating func decide(_ fate: Choice.Fate) {
        fates!.append(fate)
        if fates!.count == disk.cache.pendingWrites { cut() }
    }

    /// Applies the fates with `VolatileCacheDevice.cut(_:)`, then the core recovers.
    mutating func cut() {
        let chosen = (fates ?? []).map(\.writeFate)
        fates = nil
        if !chosen.isEmpty {
            do throws(BlockDeviceError) {
                try mutableDisk().cache.cut { index, _ in chosen[index] }
            } catch {
                return report("driver.device", "the power cut failed: \(error)")
            }
            mediumChanged()
            pendingDigest = Self.digest(of: disk)
        }
        perform(core.handle(.powerLoss))
    }

    /// The disk, copied first if another state shares it.
    mutating func mutableDisk() -> DriverDisk {
        if !isKnownUniquelyReferenced(&disk) { disk = DriverDisk(copying: disk) }
        return disk
    }

    /// Updates `mediumDigest` after the medium's bytes changed.
    mutating func mediumChanged() {
        var hash = StableHasher()
        hash.combine(bytes: disk.medium.bytes)
        mediumDigest = hash.value
    }
}
