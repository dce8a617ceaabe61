import Driver

extension DriverSimulation {
    /// The fixed, deterministic workload of a configuration: what each interface's caller
    /// submits, in order, and when it syncs. Small on purpose, but made to reach the tricky
    /// cases: overlapping byte ranges (so the order of patches shows in the data area), ranges
    /// across block boundaries (so patches span blocks and can tear), deps across interfaces,
    /// and requests sized so that two fill a staging region (so segments seal when full, and a
    /// full segment takes two blocks).
    ///
    /// Request `k` (from 0) has id `k + 1`, goes to interface `k % ifaces`, writes `210 + 8 * (k
    /// % 2)` bytes at data offset `400 + 120 * (k % 8) + 1024 * (k / 8)` (each overlaps the one
    /// before), byte `i` being `(id * 37 + i) % 256`; an odd `k` depends on request `k - 1`.
    /// Every fourth request from the third (`k % 4 == 2`) instead covers the whole chunk (one
    /// block) that holds that offset, so it is written out of place and remaps the chunk under
    /// its neighbours' bytes. Interface 0 syncs after its last submit.
    ///
    /// With the `regionSized` kind every request instead writes 400 bytes inline at the same
    /// offsets: one request fills a staging region, so each is a journal segment of its own,
    /// and nothing waits for out-of-place data to be flushed before its segment is written.
    /// With a flush outstanding, a cached write per request can then gather (given regions
    /// enough): the deep crash states that the default kind, whose segments hold two requests
    /// and queue behind out-of-place data, does not reach (a search of 200,000 states at 4
    /// interfaces, 16 requests and 16 regions finds none with more than 8 cached writes).
    package struct Workload: Sendable {
        /// What the requests write.
        package enum Kind: String, Sendable, Hashable, CaseIterable {
            /// Half a region each, every fourth a whole chunk written out of place (the default).
            case mixed
            /// A whole region each, all inline: one journal segment per request.
            case regionSized = "region-sized"
        }

        /// One step of a caller's program.
        package enum Step: Sendable, Hashable {
            /// Submit `requests[index]`.
            case submit(index: Int)
            /// Sync the interface.
            case sync
        }

        /// The requests, by index (`id == index + 1`).
        package let requests: [WriteRequest]
        /// Each interface's program, in order.
        package let programs: [[Step]]
        /// Per request, by index: the interface whose program submits it, and at which step
        /// (how `wasSubmitted` tells a submitted request from the interfaces' cursors).
        let places: [(iface: Int, step: Int)]

        /// The workload of `requests` requests over `ifaces` interfaces, each submitted once.
        package init(ifaces: Int, requests count: Int, kind: Kind = .mixed) {
            var requests: [WriteRequest] = []
            var programs = [[Step]](repeating: [], count: ifaces)
            for k in 0..<count {
                let id = k + 1
                let whole = kind == .mixed && k % 4 == 2
                let length = whole ? DriverSimulation.blockSize : kind == .regionSized ? 400 : 210 + 8 * (k % 2)
                var offset = 400 + 120 * (k % 8) + 1024 * (k / 8)
                if whole { offset -= offset % DriverSimulation.blockSize }
                let bytes = (0..<length).map { UInt8(truncatingIfNeeded: id * 37 + $0) }
                requests.append(WriteRequest(
                    iface: k % ifaces, id: id, offset: offset, bytes: bytes, deps: k % 2 == 1 ? [k] : []))
                programs[k % ifaces].append(.submit(index: k))
            }
            programs[0].append(.sync)
            self.requests = requests
            self.programs = programs
            places = Self.places(of: programs, requests: count)
        }

        /// Where each of `requests` requests is submitted in `programs` (the interface and the
        /// step); (-1, -1) for one no program submits.
        static func places(of programs: [[Step]], requests: Int) -> [(iface: Int, step: Int)] {
            var places = [(iface: Int, step: Int)](repeating: (-1, -1), count: requests)
            for (iface, program) in programs.enumerated() {
                for (step, item) in program.enumerated() {
                    if case let .submit(index) = item { places[index] = (iface, step) }
                }
            }
            return places
        }

        /// The request with id `id`.
        package func request(id: Int) -> WriteRequest { requests[id - 1] }
    }
}
