import Mirror
import Trace

// Feeding the cores and carrying out their actions, as the live nodes' `perform` does.
extension MirrorSimulation {
    /// Feeds the primary one input and carries out its actions in order.
    mutating func feedPrimary(_ input: MirrorPrimary.Input) {
        for action in primary.handle(input) {
            switch action {
            case .record(let event):
                if keepsTrace { events.append(event) }
                monitor.observe(event)
            case .note(let note):
                if keepsTrace {
                    notes.append(note)
                    notePositions.append(events.count)
                }
            case let .send(path, message):
                if paths[path].connected { paths[path].toSecondary.append(message) }
            case .commit(let lsn):
                commits.append(lsn)
                commitsDigest &+= StableHasher.hash(UInt64(bitPattern: Int64(lsn)))
            case .degraded, .rejected:
                // The live node only logs these.
                break
            case .fenced:
                // Stopped for good: the live node closes every path.
                for p in paths.indices {
                    breakConnection(p)
                    paths[p].primarySeesUp = false
                }
            }
        }
        primaryDigest = Self.digest(of: primary)
    }

    /// Feeds the secondary one input and carries out its actions in order.
    mutating func feedSecondary(_ input: MirrorSecondary.Input) {
        for action in secondary.handle(input) {
            switch action {
            case .record(let event):
                if keepsTrace { events.append(event) }
                monitor.observe(event)
            case .note(let note):
                if keepsTrace {
                    notes.append(note)
                    notePositions.append(events.count)
                }
            case let .send(path, message):
                if paths[path].connected { paths[path].toPrimary.append(message) }
            case .persist(let record):
                persisted.append(record)
                if persistedAtTakeover == nil { persistedDigest &+= Self.digest(of: record) }
            case .tookOver:
                persistedAtTakeover = persisted.count
            }
        }
        secondaryDigest = Self.digest(of: secondary)
    }

    /// Breaks a path's connection: whatever is in flight on it, either way, is lost, and later
    /// sends on it are lost until it comes back.
    mutating func breakConnection(_ p: Int) {
        paths[p].connected = false
        paths[p].toSecondary.removeAll()
        paths[p].toPrimary.removeAll()
    }
}
