import Driver
import Specs
import Trace

extension DriverSimulation.Workload {
    /// A workload given request by request (`plumb explore driver --from`): `requests[id - 1]`
    /// is the request with internal id `id`, and `programs` each interface's steps, which submit
    /// each request at most once (the fingerprint relies on it, see `DriverSimulation.digest(of:)`).
    init(requests: [WriteRequest], programs: [[Step]]) {
        var submitted = [Bool](repeating: false, count: requests.count)
        for case let .submit(index) in programs.joined() {
            precondition(!submitted[index], "a workload submits request \(index + 1) twice")
            submitted[index] = true
        }
        self.requests = requests
        self.programs = programs
        places = Self.places(of: programs, requests: requests.count)
    }
}

extension DriverSimulation {
    /// The start state of a workload taken from a trace, on a device of `blockCount` blocks
    /// formatted for `staging` (the simulation's own start, `init(_:)`, with the workload and
    /// the geometry given rather than derived from the bounds); nil when the device cannot be
    /// formatted for them.
    ///
    /// `configuration` gives the interfaces, crashes, tearing, crash states, faults, and the
    /// regions of `staging` (for the recovery's I/O limit); its request count is not used.
    init?(configuration: Configuration, workload: Workload, blockCount: Int, staging: StagingConfig) {
        self.configuration = configuration
        self.workload = workload
        core = DriverCore()
        core.faults = configuration.faults
        disk = DriverDisk(blockSize: Self.blockSize, blockCount: blockCount)
        cursors = Array(repeating: 0, count: configuration.ifaces)
        crashesLeft = configuration.crashes
        model = DriverContentsModel(base: [])
        guard disk.holdPreviousImage(blockSize: Self.blockSize, blockCount: blockCount, staging: staging) else { return nil }
        perform(core.handle(.format(blockSize: Self.blockSize, blockCount: blockCount, staging: staging, nonce: Self.nonce)))
        while let first = outstanding.first { complete(first.ticket) }
        guard core.phase == .online, found == nil, let data = dataArea() else { return nil }
        model = DriverContentsModel(base: data)
        pristine = PristineDataArea(self, data: data)
        // Once no power loss can come, fingerprints take the data area's digest alone.
        if let layout = core.layout { disk.lazy.split(at: layout.dataStart) }
        pendingDigest = Self.digest(of: disk)
        specDigest = Self.digest(of: monitor.spec)
    }

    /// The blocks (of `blockSize`) of the smallest device whose data area holds `bytes`, with
    /// `staging`; nil when none up to 2^31 blocks does.
    static func blockCount(holding bytes: Int, staging: StagingConfig) -> Int? {
        var count = max(64, bytes / blockSize + 64)
        while count < Int(Int32.max) {
            if let layout = DeviceLayout.make(blockSize: blockSize, blockCount: count, staging: staging),
               layout.dataBytes >= bytes {
                return count
            }
            let have = DeviceLayout.make(blockSize: blockSize, blockCount: count, staging: staging)?.dataBytes ?? 0
            count += max(staging.chunkBytes / blockSize, (bytes - have) / blockSize + 1)
        }
        return nil
    }
}
