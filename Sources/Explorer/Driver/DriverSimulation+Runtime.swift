import Driver
import Specs
import Trace

// The simulated runtime: carrying out the core's actions, the device's I/O, and power cuts.
extension DriverSimulation {
    /// Carries out the core's actions, in order: device I/O waits in `outstanding`.
    mutating func perform(_ actions: [DriverCore.Action]) {
        for action in actions {
            if let (ticket, operation) = action.deviceOperation {
                outstanding.append(IO(ticket: ticket, operation: operation))
                continue
            }
            switch action {
            case let .record(event):
                record(event)
            case .write, .patch, .flush, .read:
                break // device I/O, queued above
            case .complete, .syncDone, .serveRead, .online:
                // Callers are not told (their programs do not wait), and nobody reads.
                break
            case let .refused(refusal):
                report("driver.runtime", "the core refused a step of the workload: \(refusal)")
            case let .failed(error):
                noteRecoveryEnd()
                report(Self.contentsInvariant, "the image cannot be recovered, so nothing survived: \(error)")
            case .stopped:
                let model = self.model, index = model.writerIndex(), workload = self.workload
                checkDataArea(when: "after the shutdown", expected: { range in
                    model.expected(range, index: index) { workload.request(id: $0.id).bytes }
                }, baseHolds: { model.writers(of: $0, index: index).isEmpty })
            }
        }
    }

    /// The bytes of a request of the workload, for the contents model.
    func requestBytes(_ request: DriverContentsModel.Request) -> [UInt8] {
        workload.request(id: request.id).bytes
    }

    /// Appends an event to the trace and the contents model; after the `online` that ends a
    /// recovery, folds the finished epoch into the model's base and checks the data area.
    mutating func record(_ event: TraceEvent) {
        if keepsTrace { events.append(event) }
        let wasRecovering = model.recovering
        model.observe(event)
        monitor.observe(event)
        if wasRecovering, case .online = event.kind {
            noteRecoveryEnd()
            model.fold(bytes: requestBytes)
            let model = self.model
            checkDataArea(when: "after the recovery that ended at seq \(event.seq)", expected: { model.base(in: $0) },
                          baseHolds: { _ in true })
        }
    }

    /// The device does outstanding I/O `ticket` (`BlockDevice.perform(_:)` on the cache), and
    /// the core hears of its completion. With lazy crash states, the undecided sectors it reads
    /// show their distinct content number `content` (see `undecidedRead`), worked out already
    /// in `worked` when it is given.
    mutating func complete(_ ticket: IOTicket, content: Int = 0, worked: Choice.WorkedContent? = nil) {
        guard let index = outstanding.firstIndex(where: { $0.ticket == ticket }) else { return }
        decideRead(of: outstanding[index], content: content, worked: worked)
        let io = outstanding.remove(at: index)
        var bytes: [UInt8]?
        var reads = false, flushes = false
        switch io.operation {
        case .read: reads = true
        case .flush: flushes = true
        case .write, .patch: break
        }
        // A read changes nothing, so it needs no copy of a shared disk.
        let changes = flushes && disk.cache.pendingWrites > 0
        do throws(BlockDeviceError) {
            bytes = try (reads ? disk : mutableDisk()).cache.perform(io.operation)
        } catch {
            return report("driver.device", "\(io.summary) failed: \(error)")
        }
        if changes { mediumChanged() }
        if !reads { pendingDigest = Self.digest(of: disk) }
        if core.phase == .recovering {
            recoverySteps += 1
            if recoverySteps > recoveryStepLimit {
                return report(Self.stuckInvariant, "the recovery did \(recoverySteps) I/Os and does not end")
            }
        }
        perform(core.handle(.completed(ticket, bytes: bytes)))
    }

    /// Power fails: outstanding I/O is dropped; the fates of the pending writes come next
    /// (eager), or stay undecided and the core recovers (lazy).
    mutating func powerLoss() {
        noteCrashPoint()
        crashesLeft -= 1
        recoverySteps = 0
        outstanding = []
        // The controller's shutdown request is lost with the power; it asks again once online.
        shutdownIssued = false
        if configuration.crashStates == .lazy { return cutUndecided() }
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
        noteRecoveryStart()
        perform(core.handle(.powerLoss))
    }

    /// The disk, copied first if another state shares it.
    mutating func mutableDisk() -> DriverDisk {
        if !isKnownUniquelyReferenced(&disk) { disk = DriverDisk(copying: disk) }
        return disk
    }

    /// Updates `mediumDigest` after the medium's bytes or its undecided writes changed.
    mutating func mediumChanged() {
        var hash = StableHasher()
        hash.combine(disk.lazy.digest)
        if !disk.lazy.fates.isEmpty { disk.lazy.fates.hash(into: &hash) }
        mediumDigest = hash.value
    }
}
