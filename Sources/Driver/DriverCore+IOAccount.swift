/// What an outstanding I/O of the core is for, told for people: the explorer names each I/O's
/// request and role in its step descriptions. Read-only: asking changes nothing in the core.
package struct IOAccount: Sendable, Hashable, CustomStringConvertible {
    /// The role of an I/O in the core's protocol.
    package enum Role: String, Sendable, Hashable {
        /// A sealed segment's write to the journal ring.
        case journal = "journal"
        /// A record's out-of-place write to the data area.
        case data = "data"
        /// The checkpoint patch of durable segments into the data area.
        case checkpoint = "checkpoint"
        /// A cache flush.
        case flush = "flush"
        /// The ledger write of a superblock commit.
        case ledger = "ledger"
        /// The superblock write of a superblock commit.
        case superblock = "superblock"
        /// An I/O of formatting, mounting or recovering.
        case recovery = "recovery"
    }

    /// One request an I/O carries: its id and the interface that submitted it.
    package struct Request: Sendable, Hashable {
        /// The request's id.
        package var id: Int
        /// The interface that submitted it.
        package var iface: Int
    }

    /// What the I/O does for the core.
    package var role: Role
    /// The requests whose bytes it carries, in arrival order; empty for I/O of no request.
    package var requests: [Request]

    /// `request 2 on iface 1`, `requests 1, 3 on ifaces 0, 1`, or empty when it carries none.
    package var description: String {
        guard let first = requests.first else { return "" }
        if requests.count == 1 { return "request \(first.id) on iface \(first.iface)" }
        let ifaces = requests.map(\.iface).reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
        return "requests \(requests.map { String($0.id) }.joined(separator: ", ")) on "
            + (ifaces.count == 1 ? "iface \(ifaces[0])" : "ifaces \(ifaces.map(String.init).joined(separator: ", "))")
    }
}

extension DriverCore {
    /// What outstanding I/O `ticket` is for, or nil when the core awaits no such I/O. `block`,
    /// the first block an out-of-place data write goes to, tells which record it carries.
    package func account(of ticket: IOTicket, block: Int? = nil) -> IOAccount? {
        guard let purpose = pendingIO[ticket] else { return nil }
        switch purpose {
        case let .journal(seq):
            return IOAccount(role: .journal, requests: segmentIndex(seq).map { requests(ofSegments: $0 ..< $0 + 1) } ?? [])
        case let .data(region):
            guard regions.indices.contains(region), let layout else { return IOAccount(role: .data, requests: []) }
            let records = regions[region].records.filter { record in
                block.map { b in record.chunks.contains { layout.block(ofChunk: $0) == b } } ?? false
            }
            return IOAccount(role: .data, requests: records.map { IOAccount.Request(id: $0.id, iface: $0.iface) })
        case let .patch(first, count):
            guard let i = segmentIndex(first) else { return IOAccount(role: .checkpoint, requests: []) }
            return IOAccount(role: .checkpoint, requests: requests(ofSegments: i ..< min(i + count, journal.segments.count)))
        case .flush: return IOAccount(role: .flush, requests: [])
        case .ledger: return IOAccount(role: .ledger, requests: [])
        case .superblock: return IOAccount(role: .superblock, requests: [])
        case .recovery: return IOAccount(role: .recovery, requests: [])
        }
    }

    /// The requests staged in the regions of journal segments `range`, in arrival order.
    private func requests(ofSegments range: Range<Int>) -> [IOAccount.Request] {
        range.flatMap { i -> [IOAccount.Request] in
            let region = journal.segments[i].region
            guard regions.indices.contains(region) else { return [] }
            return regions[region].records.map { IOAccount.Request(id: $0.id, iface: $0.iface) }
        }
    }
}
